import path from 'node:path';
import type { Command } from 'commander';
import { defaultResultsDir, listRuns, loadRun, runDir, runFile } from '../../results/run-store.ts';
import { removeRuns, resolveRunId, runAlerts, setRunLabel } from '../../results/run-manage.ts';
import { formatScorecard } from '../../score/format.ts';
import { UserError } from '../../errors.ts';
import { emitJson } from '../context.ts';
import { renderTable } from '../format.ts';

export const order = 52;

interface RunsOptions {
  results?: string;
  json?: string | boolean;
}

const resultsOf = (cmd: Command): string => path.resolve((cmd.optsWithGlobals() as RunsOptions).results ?? defaultResultsDir());
const rel = (p: string) => path.relative(process.cwd(), p) || p;

function listAction(opts: RunsOptions, cmd: Command): Promise<void> | void {
  const dir = resultsOf(cmd);
  const runs = listRuns(dir).map((m) => ({ ...m, alerts: runAlerts(dir, m.id) }));
  if (opts.json) return emitJson(opts.json, runs);
  if (runs.length === 0) {
    console.log(`No saved runs in ${rel(dir)}. \`regime start\` or \`regime backtest\` saves one.`);
    return;
  }
  const rows = [...runs].reverse().map((r) => [r.id, r.label ?? '', `${r.from} → ${r.to}`, r.symbols.join(','), r.config_hash, r.alerts ?? '—', r.created_at.slice(0, 16).replace('T', ' ')]);
  console.log(renderTable(['id', 'label', 'range (UTC)', 'symbols', 'config', 'alerts', 'created (UTC)'], rows));
  console.log(`\n${runs.length} run${runs.length === 1 ? '' : 's'} in ${rel(dir)}, newest first. A unique prefix of an id is enough: regime runs show|label|rm <id>`);
}

export function register(program: Command): void {
  const runs = program
    .command('runs')
    .description('list saved runs (id, label, range, symbols, config hash, alerts, created); show, label or remove one')
    .option('--results <dir>', 'results folder (default results/ or REGIME_RESULTS_DIR)')
    .option('--json [file]', 'print (or write) the list as JSON')
    .action(listAction);

  runs
    .command('show')
    .description("a run's manifest, alert counts and scorecard")
    .argument('<id>', 'run id or a unique prefix')
    .option('--json [file]', 'print (or write) run.json')
    .action(async (prefix: string, opts: RunsOptions, cmd: Command) => {
      const dir = resultsOf(cmd);
      const id = resolveRunId(dir, prefix);
      const record = loadRun(dir, id);
      if (opts.json) return emitJson(opts.json, record);
      const m = record.manifest;
      const lines: [string, string][] = [
        ['id', m.id],
        ['label', m.label ?? '—'],
        ['kind', m.kind],
        ['range', `${m.from} → ${m.to} UTC`],
        ['symbols', m.symbols.join(', ')],
        ['config hash', m.config_hash],
        ['dataset', m.dataset_manifest_sha256?.slice(0, 12) ?? '—'],
        ['git commit', m.git_commit?.slice(0, 12) ?? '—'],
        ['created', m.created_at],
        ['alerts', record.report ? String(record.report.alerts_total) : '—'],
        ['folder', rel(runDir(dir, id))],
        ['features', runFile(dir, id, 'features.parquet') ? 'features.parquet' : 'not kept'],
      ];
      for (const [k, v] of lines) console.log(`${k.padEnd(12)} ${v}`);
      if (record.report?.scorecard) console.log(`\n${formatScorecard(record.report.scorecard)}`);
      console.log(`\nregime serve --run ${id} · regime report backtest-overview --run ${id}`);
    });

  runs
    .command('label')
    .description('name a run (shown by runs, serve and the reports); an empty text clears the label')
    .argument('<id>', 'run id or a unique prefix')
    .argument('<text...>', 'the label')
    .action((prefix: string, words: string[], _opts: unknown, cmd: Command) => {
      const m = setRunLabel(resultsOf(cmd), prefix, words.join(' '));
      console.log(m.label ? `Run ${m.id} labelled '${m.label}'` : `Run ${m.id}: label cleared`);
    });

  runs
    .command('rm')
    .description('remove saved runs; every prefix must name exactly one run, or nothing is removed')
    .argument('<ids...>', 'run ids or unique prefixes')
    .action((prefixes: string[], _opts: unknown, cmd: Command) => {
      if (prefixes.length === 0) throw new UserError('name at least one run');
      for (const m of removeRuns(resultsOf(cmd), prefixes)) console.log(`Removed run ${m.id}${m.label ? ` '${m.label}'` : ''}`);
    });
}
