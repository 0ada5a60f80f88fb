import type { Command } from 'commander';
import { parseTimeArg } from '../../time.ts';
import { loadConfigFile } from '../../pipeline/load-config.ts';
import type { PipelineConfig } from '../../pipeline/config.ts';
import { featuresOnThread, poolPays, runBacktest, DEFAULT_WARMUP_HOURS, type BacktestResult } from '../../replay/backtest.ts';
import { BASELINE_WORKER, defaultBaselineWorkers, PARQUET_WRITER, startAhead, type ThreadsAhead } from '../../worker-threads.ts';
import { cachedSource } from '../../replay/replay-source.ts';
import { EVENT_TYPES } from '../../pipeline/alerts.ts';
import { UserError } from '../../errors.ts';
import { emitJson, globals, storeFor } from '../context.ts';
import { createProgress } from '../progress.ts';
import { renderTable } from '../format.ts';
import { thousands } from '../../thousands.ts';
import { formatScorecard } from '../../score/index.ts';
import { formatPnl } from '../../score/format.ts';
import { parseTypedList } from '../../score/pnl-options.ts';
import { defaultResultsDir, runDir, runFile, saveRun, type RunRecord } from '../../results/run-store.ts';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { symbolList } from '../args.ts';

export interface BacktestCliOptions {
  config?: string;
  symbols?: string;
  from?: string;
  to?: string;
  warmup?: string;
  features?: string;
  json?: string | boolean;
  permutations?: string;
  seed?: string;
  score?: boolean;
  pnl?: boolean;
  hold?: string;
  fee?: string;
  follow?: string;
  save?: boolean;
  label?: string;
  results?: string;
}

export function printBacktest({ report }: BacktestResult): void {
  console.log(`Backtest ${report.symbols.join(', ')}  ${report.from} → ${report.to} UTC  (config ${report.config_hash}, dataset ${report.dataset_manifest_sha256?.slice(0, 12) ?? '—'})`);
  console.log(`${thousands(report.hours)} hours, ${thousands(report.symbol_hours)} symbol-hours, warm-up ${report.warmup_hours} h; replay ${report.elapsed_ms.replay} ms\n`);
  const symbols = [...new Set(report.alert_counts.map((c) => c.symbol))];
  const rows: (string | number)[][] = [];
  for (const type of EVENT_TYPES) {
    for (const severity of ['CRITICAL', 'WARNING', 'INFO']) {
      const per = symbols.map((s) => report.alert_counts.find((c) => c.symbol === s && c.event_type === type && c.severity === severity)?.count ?? 0);
      if (per.some((n) => n > 0)) rows.push([type, severity, ...per, per.reduce((a, b) => a + b, 0)]);
    }
  }
  console.log(`Alerts (${report.alerts_total}):`);
  console.log(renderTable(['event type', 'severity', ...symbols, 'total'], rows));
  const sup = Object.entries(report.suppressed).flatMap(([reason, byType]) =>
    Object.entries(byType).filter(([, n]) => n > 0).map(([type, n]) => [reason, type, n] as (string | number)[]),
  );
  console.log(`\nSuppressed by the cooldown/dedup policy (${report.suppressed_total}):`);
  console.log(sup.length ? renderTable(['reason', 'event type', 'count'], sup) : '  none');
  console.log(`\nData gaps met (${report.gaps.length} runs, ${report.gaps.reduce((a, g) => a + g.hours, 0)} missing symbol-hours; skipped, never filled):`);
  const gapsBySymbol = new Map<string, number[]>();
  for (const g of report.gaps) gapsBySymbol.set(g.symbol, [...(gapsBySymbol.get(g.symbol) ?? []), g.hours]);
  for (const [s, hs] of gapsBySymbol) {
    const largest = report.gaps.filter((g) => g.symbol === s).sort((a, b) => b.hours - a.hours)[0];
    console.log(`  ${s}: ${hs.length} runs, ${hs.reduce((a, b) => a + b, 0)} h; largest ${largest.start} .. ${largest.end} (${largest.hours} h)`);
  }
  console.log('\nLiquidation coverage (hours with data; the rest is "no data", not zero):');
  for (const c of report.liquidation_coverage) console.log(`  ${c.symbol}: ${thousands(c.hours_with_data)} of ${thousands(report.hours)} h`);
  if (report.scorecard) {
    console.log(`\nScorecard (alerts vs what the price did next; random baseline ${report.scorecard.options.permutations} permutations, seed ${report.scorecard.options.seed}):`);
    console.log(formatScorecard(report.scorecard));
  }
  if (report.pnl) console.log(`\n${formatPnl(report.pnl)}`);
  // only a file that is still there: a saved run's features live in the run folder, not in a temp folder
  if (report.features_file && fs.existsSync(report.features_file)) console.log(`\nFeatures written to ${report.features_file}`);
}

/** --hold 24,VOLATILITY_REGIME_CHANGE=72 · --fee 0.1 · --follow continuation,FUNDING_ANOMALY=reversal; checked by parsePnlOptions */
export function pnlOptionsFromCli(opts: BacktestCliOptions): Record<string, unknown> | false {
  if (opts.pnl === false) return false;
  const out: Record<string, unknown> = {
    random_entries: opts.permutations === undefined ? 1000 : Number(opts.permutations),
    seed: opts.seed === undefined ? 1 : Number(opts.seed),
  };
  const byType: Record<string, Record<string, unknown>> = {};
  const hours = (s: string) => {
    if (!/^\d+$/.test(s)) throw new UserError(`--hold: '${s}' is not a whole number of hours`);
    return Number(s);
  };
  for (const [flag, key, text, value] of [
    ['--hold', 'hold_hours', opts.hold, hours],
    ['--follow', 'follow', opts.follow, (s: string) => s.toLowerCase()],
  ] as const) {
    if (text === undefined) continue;
    const list = parseTypedList(text, flag, EVENT_TYPES, value);
    if (list.all !== undefined) out[key] = list.all;
    for (const [type, v] of Object.entries(list.byType)) (byType[type] ??= {})[key] = v;
  }
  out.event_types = byType;
  if (opts.fee !== undefined) {
    const fee = Number(opts.fee);
    if (opts.fee.trim() === '' || !Number.isFinite(fee)) throw new UserError(`--fee: '${opts.fee}' is not a percentage`);
    out.fee_pct = fee;
  }
  return out;
}

export async function backtestFromCli(opts: BacktestCliOptions, cmd: Command): Promise<BacktestResult & { run: RunRecord | null }> {
  const symbols = symbolList(opts.symbols);
  const config = loadConfigFile(opts.config, symbols ? { symbols } : {});
  const warmupHours = opts.warmup === undefined ? DEFAULT_WARMUP_HOURS : Number(opts.warmup);
  if (!Number.isInteger(warmupHours) || warmupHours < 0) throw new UserError(`--warmup: '${opts.warmup}' is not a whole number of hours`);
  const from = opts.from === undefined ? undefined : parseTimeArg(opts.from, '--from');
  const to = opts.to === undefined ? undefined : parseTimeArg(opts.to, '--to');
  if (from !== undefined && to !== undefined && to <= from) throw new UserError('--to must be after --from');
  // a run long enough for the baseline worker pool: its workers start now and load their code while this thread
  // reads the data (≈ 0.5 s from the store, the first time), rather than beside the replay
  const hours = from === undefined ? Infinity : ((to ?? Date.now()) - from) / 3_600_000;
  const symbolHours = hours * config.symbols.length;
  const permutations = opts.permutations === undefined ? 1000 : Number(opts.permutations);
  const workers = opts.score !== false && poolPays(permutations, symbolHours) ? startAhead(BASELINE_WORKER, defaultBaselineWorkers()) : null;
  // and the feature file's writer thread, for a run that writes one large enough for it (a saved run writes one)
  const writer = (opts.save !== false || opts.features !== undefined) && featuresOnThread(symbolHours) ? startAhead(PARQUET_WRITER, 1) : null;
  try {
    return await backtestWith(opts, cmd, { config, warmupHours, from, to, workers });
  } finally {
    await workers?.stop();
    await writer?.stop();
  }
}

async function backtestWith(
  opts: BacktestCliOptions,
  cmd: Command,
  { config, warmupHours, from, to, workers }: { config: PipelineConfig; warmupHours: number; from?: number; to?: number; workers: ThreadsAhead | null },
): Promise<BacktestResult & { run: RunRecord | null }> {
  const pnl = pnlOptionsFromCli(opts);
  const global = globals(cmd);
  const resultsDir = opts.results ?? defaultResultsDir();
  // the store's data as read by an earlier run of the same dataset generation, if any, and the scorer's market as prepared for
  // the same prices (REGIME_DATA_CACHE=0: neither)
  const source =
    process.env.REGIME_DATA_CACHE === '0' ? null : cachedSource(path.join(resultsDir, 'cache', 'backtest-data'), global.datasets, () => storeFor(global));
  const store = source ? null : await storeFor(global);
  const progress = createProgress();
  // a saved run keeps its features for the dashboard's time slider and the notebooks
  const save = opts.save !== false;
  // a run to save: its files are written here as they become known, then moved into the run folder
  const scratch = save ? fs.mkdtempSync(path.join(os.tmpdir(), 'regime-run-')) : null;
  const tmpFeatures = scratch && !opts.features ? path.join(scratch, 'features.parquet') : null;
  try {
    progress.phase('loading data');
    const result = await runBacktest(source ?? store!, {
      config,
      from,
      to,
      warmupHours,
      featuresFile: opts.features ?? tmpFeatures ?? undefined,
      score: opts.score === false ? false : { permutations: opts.permutations === undefined ? 1000 : Number(opts.permutations), seed: opts.seed === undefined ? 1 : Number(opts.seed) },
      onProgress: (done, total) => {
        progress.start(total, 'replay (hours)');
        progress.update(done);
      },
      pnl,
      alertsFile: scratch ? path.join(scratch, 'alerts.parquet') : undefined,
      pnlFilesDir: scratch ?? undefined,
      marketCacheDir: process.env.REGIME_DATA_CACHE === '0' ? undefined : path.join(resultsDir, 'cache', 'backtest-market'),
      baselineWorkers: workers ?? undefined,
      // DuckDB's memory goes before the replay and the scoring, the peak of the run (a cached source closes its own)
      onLoaded: () => store?.close(),
      onPhase: (phase) => progress.phase(phase === 'features' ? 'writing features' : phase === 'pnl' ? 'paper P&L (random entries)' : 'scoring (random baseline)'),
    });
    // the temp features file moves into the run folder: the report must not name a path that will be gone
    if (tmpFeatures) result.report.features_file = null;
    let run: RunRecord | null = null;
    if (save) {
      let featuresFile = tmpFeatures;
      if (opts.features) {
        featuresFile = path.join(scratch!, 'features.parquet');
        fs.copyFileSync(opts.features, featuresFile);
      }
      progress.phase('saving the run');
      run = await saveRun(resultsDir, { config, report: result.report, alerts: result.alerts, featuresFile, label: opts.label ?? null, pnl: result.pnl, written: result.written });
      if (tmpFeatures) result.report.features_file = runFile(resultsDir, run.manifest.id, 'features.parquet');
    }
    progress.stop();
    return { ...result, run };
  } finally {
    progress.stop();
    store?.close();
    await source?.settled();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function addBacktestOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config (detectors, rules, cooldown, symbols); defaults everywhere')
    .option('--symbols <list>', 'comma-separated symbols (overrides the config)')
    .option('--from <time>', 'first hour reported (UTC date/time or epoch ms); detectors warm up before it')
    .option('--to <time>', 'end, exclusive')
    .option('--warmup <hours>', `hours of history replayed before --from to warm the detectors up (default ${DEFAULT_WARMUP_HOURS})`)
    .option('--features <file.parquet>', 'write one row per symbol-hour with every feature column')
    .option('--permutations <n>', 'random-baseline permutations for the scorecard', '1000')
    .option('--seed <n>', 'seed of the random baseline', '1')
    .option('--no-score', 'skip the scorecard')
    .option('--hold <hours>', 'paper P&L: hours each position is held (default 24); per type: 24,VOLATILITY_REGIME_CHANGE=72')
    .option('--fee <pct>', 'paper P&L: taker fee per side in percent (default 0.1)')
    .option('--follow <mode>', 'paper P&L: continuation (trade in the alert direction) or reversal; per type: continuation,FUNDING_ANOMALY=reversal')
    .option('--no-pnl', 'skip the paper P&L')
    .option('--no-save', 'do not keep the run under the results folder')
    .option('--label <text>', 'a name for the saved run')
    .option('--results <dir>', 'results folder (default results/ or REGIME_RESULTS_DIR)')
    .option('--json [file]', 'print (or write) the report, the scorecard and every alert as JSON');
}

export const order = 50;

/** the shared action of `backtest` and `start`: run, save, print or emit JSON */
export async function backtestAction(opts: BacktestCliOptions, cmd: Command, footer?: string | ((run: RunRecord | null) => string)): Promise<void> {
  const result = await backtestFromCli(opts, cmd);
  if (opts.json) await emitJson(opts.json, { run_id: result.run?.manifest.id ?? null, ...result.report, alerts: result.alerts });
  if (opts.json === true) return;
  printBacktest(result);
  if (result.run) {
    const dir = runDir(opts.results ?? defaultResultsDir(), result.run.manifest.id);
    console.log(`\nSaved run ${result.run.manifest.id}${result.run.manifest.label ? ` '${result.run.manifest.label}'` : ''} → ${path.relative(process.cwd(), dir) || dir}`);
  }
  const text = typeof footer === 'function' ? footer(result.run) : footer;
  if (text) console.log(`\n${text}`);
}

export function register(program: Command): void {
  addBacktestOptions(program.command('backtest').description('replay history hour by hour through the five detectors and the alert rules'))
    .action((opts: BacktestCliOptions, cmd: Command) => backtestAction(opts, cmd));
}
