import path from 'node:path';
import type { Command } from 'commander';
import { listNotebooks, renderNotebook, parseParamArgs } from '../../report/index.ts';
import { UserError } from '../../errors.ts';
import { globals } from '../context.ts';
import { loggerFor } from '../logger.ts';
import { renderTable } from '../format.ts';
import { createProgress } from '../progress.ts';
import { servedReportUrl } from '../../report/server-url.ts';

interface ReportCliOptions {
  param: string[];
  run: string[];
  out?: string;
  results?: string;
  list?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function printList(): void {
  const notebooks = listNotebooks();
  if (notebooks.length === 0) {
    console.log('No notebooks in notebooks/.');
    return;
  }
  for (const nb of notebooks) {
    console.log(`${nb.name} — ${nb.title}`);
    if (nb.error) {
      console.log(`  cannot be read: ${nb.error}\n`);
      continue;
    }
    if (nb.description) console.log(`  ${nb.description}`);
    if (nb.params.length) {
      const rows = nb.params.map((p) => [p.name, p.values ? `enum (${p.values.join('|')})` : p.type, p.default === '' ? '""' : p.default, p.description]);
      console.log(renderTable(['param', 'type', 'default', 'meaning'], rows).replace(/^/gm, '  '));
    }
    console.log('');
  }
  console.log('Render one: regime report notebooks/<name>.md [--param key=value …] [--run id] [--out dir]');
}

/** `regime report`: renders a notebook (Markdown + SQL + Vega-Lite) to an offline HTML page, PNG charts and CSVs. */
export const order = 70;

export function register(program: Command): void {
  program
    .command('report')
    .description('render a notebook (Markdown + SQL + Vega-Lite) to an offline HTML page, PNG charts and CSV data')
    .argument('[notebook]', 'notebook name (built-in, see --list) or path to a .md file')
    .option('--param <key=value>', 'set a notebook parameter (repeatable)', collect, [])
    .option('--run <id>', "the run to read (sets the notebook's run parameter; repeat for a comparison)", collect, [])
    .option('--out <dir>', 'output folder (default results/reports/<notebook>[-<params hash>])')
    .option('--results <dir>', 'results folder with saved runs and sweeps (default results/ or REGIME_RESULTS_DIR)')
    .option('--list', 'list the notebooks and their parameters')
    .option('--json', 'print the render result as JSON')
    .addHelpText(
      'after',
      `
Notebook format, parameters and built-in tables: notebooks/README.md.
Exit status: 0 when every cell rendered, 1 when a cell failed (the page still renders, with the error in place),
2 for a bad notebook, parameter or option.

Examples:
  regime report --list
  regime report notebooks/event-study.md --param from=2022-11-06 --param to=2022-11-12
  regime report backtest-overview --param symbol=ETHUSDT --run 20261124-053639`,
    )
    .action(async (notebook: string | undefined, opts: ReportCliOptions, cmd: Command) => {
      if (opts.list) return printList();
      if (!notebook) throw new UserError('name a notebook (regime report --list shows them)');
      const g = globals(cmd);
      const log = loggerFor(g);
      const progress = createProgress();
      const result = await renderNotebook(notebook, {
        params: parseParamArgs(opts.param),
        runs: opts.run,
        outDir: opts.out,
        resultsDir: opts.results,
        datasetsDir: g.datasets,
        dbPath: g.db,
        onProgress: (message) => {
          log.info({ notebook }, message);
          progress.phase(`report ${notebook}: ${message}`);
        },
      }).finally(() => progress.stop());
      if (opts.json) process.stdout.write(JSON.stringify(result, null, 1) + '\n');
      else {
        const rel = (p: string) => path.relative(process.cwd(), p) || p;
        console.log(`Rendered ${result.label} → ${rel(result.html)}`);
        const url = await servedReportUrl(path.basename(result.outDir));
        if (url) console.log(`  served at ${url}`);
        console.log(`  ${result.charts.length} charts (${rel(path.join(result.outDir, 'charts'))}), ${result.data.length} CSVs (${rel(path.join(result.outDir, 'data'))}), ${result.elapsed_ms} ms`);
        for (const r of result.runs) console.log(`  data: ${r.source === 'saved' ? `saved run ${r.id}` : `fresh backtest '${r.label}' (not saved)`}, ${r.from} → ${r.to} UTC`);
        for (const w of result.warnings) log.warn(w);
      }
      if (!result.ok) {
        throw new UserError(`${result.errors.length} cell error${result.errors.length === 1 ? '' : 's'} (shown in place in ${path.relative(process.cwd(), result.html) || result.html}):\n${result.errors.join('\n')}`, 1);
      }
    });
}
