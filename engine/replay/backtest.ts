/**
 * A backtest: load the data (with a warm-up period before `from`), replay it through the pipeline, and
 * summarise what fired, what the cooldown suppressed and which data gaps the replay met.
 */
import { performance } from 'node:perf_hooks';
import type { Store } from '../data/store.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import { configHash } from '../pipeline/load-config.ts';
import { featureColumns } from '../pipeline/feature-row.ts';
import type { Alert } from '../pipeline/alerts.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { DEFAULT_WARMUP_HOURS } from '../pipeline/warmup.ts';
import type { SuppressionCounts } from '../pipeline/cooldown.ts';
import { storeSource, type ReplaySource } from './replay-source.ts';
import { runReplay, type GapMet } from './replay.ts';
import { FeatureTable } from './feature-writer.ts';
import { pricesOf, toScorable } from './score-alerts.ts';
import { BaselinePool, type PnlDone } from '../score/baseline-pool.ts';
import type { ThreadsAhead } from '../worker-threads.ts';
import { prepareMarket } from '../score/market.ts';
import { parseScoreOptions } from '../score/options.ts';
import { scoreOnMarket, scoreOnMarketWith } from '../score/score.ts';
import { paperPnl, type PaperPnl, type PnlSummary } from '../score/pnl.ts';
import type { Scorecard } from '../score/index.ts';
import { isoHour } from '../time.ts';
import { writeAlertsParquet } from '../results/run-store.ts';
import { byText } from '../text-order.ts';

/** Enough history for the slowest window before the first kept hour: check-lookahead measures the weekly regime at ≈ 105 days. */
export { DEFAULT_WARMUP_HOURS } from '../pipeline/warmup.ts';

export interface BacktestOptions {
  config: PipelineConfig;
  /** first hour to report (epoch ms, inclusive); default the start of the data */
  from?: number;
  /** end (epoch ms, exclusive); default the end of the data */
  to?: number;
  warmupHours?: number;
  featuresFile?: string;
  /** scorer options (k, horizons, permutations, seed…); false skips scoring */
  score?: unknown | false;
  /** paper P&L options (engine/score/pnl-options.ts); false skips it */
  pnl?: unknown | false;
  onProgress?: (done: number, total: number) => void;
  /** called once the data is in memory: the store is no longer needed (a CLI closes DuckDB before the replay) */
  onLoaded?: () => void;
  /**
   * A run about to be saved: write its alerts file here right after the replay, and its P&L files into
   * pnlFilesDir on the worker that computes the P&L, while the scorecard is computed (saveRun then moves them in).
   */
  alertsFile?: string;
  pnlFilesDir?: string;
  /** where the scorer's prepared market is kept between runs (engine/score/market-cache.ts): the next run over the same prices and scorer options reads it */
  marketCacheDir?: string;
  /**
   * baseline workers the caller started ahead (startAhead(BASELINE_WORKER, …): a CLI, before it loads the data, so they
   * load their code meanwhile): taken by the pool, or stopped when the run needs none
   */
  baselineWorkers?: ThreadsAhead;
  /** called as each phase after the replay begins, so a CLI can say what the time is going to */
  onPhase?: (phase: 'features' | 'scoring' | 'pnl') => void;
}

export interface AlertCount {
  symbol: string;
  event_type: string;
  severity: string;
  count: number;
}

export interface BacktestReport {
  config_hash: string;
  dataset_manifest_sha256: string | null;
  symbols: string[];
  from: string;
  to: string;
  warmup_hours: number;
  hours: number;
  symbol_hours: number;
  alerts_total: number;
  alert_counts: AlertCount[];
  suppressed: SuppressionCounts;
  suppressed_total: number;
  gaps: (GapMet & { start: string; end: string })[];
  liquidation_coverage: { symbol: string; hours_with_data: number }[];
  features_file: string | null;
  scorecard: Scorecard | null;
  /** paper P&L of following the alerts (summary; the equity curves and trades are in BacktestResult.pnl) */
  pnl: PnlSummary | null;
  /** features and score both count from the replay's end: the feature file is finished beside the scoring */
  elapsed_ms: { load: number; replay: number; features: number; score: number; pnl: number };
}

export interface BacktestResult {
  report: BacktestReport;
  alerts: Alert[];
  /** the paper P&L's curves and trades: null when not computed, or when they are already in written.pnlFilesDir */
  pnl: PaperPnl | null;
  /** what of the run's files is already written (BacktestOptions.alertsFile, pnlFilesDir) */
  written: { alertsFile: string | null; pnlFilesDir: string | null };
}

const iso = isoHour;

/** from: a store read directly, or a ReplaySource (replay-source.ts: the store or a copy of what it gave before) */
export async function runBacktest(from: Store | ReplaySource, opts: BacktestOptions): Promise<BacktestResult> {
  try {
    return await backtest(from, opts);
  } finally {
    // taken by the pool when it needed them, else stopped here (also when loading failed)
    await opts.baselineWorkers?.stop();
  }
}

async function backtest(from: Store | ReplaySource, opts: BacktestOptions): Promise<BacktestResult> {
  const { config } = opts;
  const warmup = opts.warmupHours ?? DEFAULT_WARMUP_HOURS;
  const t0 = performance.now();
  const loadFrom = opts.from === undefined ? undefined : opts.from - warmup * HOUR_MS;
  const source = 'conn' in from ? storeSource(from) : from;
  const { data, datasetHash } = await source.load(config.symbols, { from: loadFrom, to: opts.to });
  opts.onLoaded?.();
  const t1 = performance.now();
  const emitFrom = opts.from ?? data.firstHour;
  // the baseline workers prepare their markets on the other cores while this thread replays; a short or
  // lightly permuted run is done before a worker would have loaded, so it stays on this thread
  const scoreOptions = opts.score === false ? null : parseScoreOptions(opts.score ?? {});
  const prices = pricesOf(data, emitFrom);
  const rows = prices.reduce((n, p) => n + p.ts.length, 0);
  const pool = scoreOptions && poolPays(scoreOptions.permutations, rows) ? new BaselinePool(prices, scoreOptions, undefined, true, { marketCacheDir: opts.marketCacheDir }) : null;
  // a run too small for the pool does not keep the workers started for it
  if (!pool) await opts.baselineWorkers?.stop();
  let featuresWritten: Promise<void> | null = null;
  try {
    const features = opts.featuresFile ? FeatureTable.open(featureColumns(config.symbols, config.correlation), opts.featuresFile, { onThread: featuresOnThread(rows) }) : null;
    let result: ReturnType<typeof runReplay>;
    try {
      result = runReplay(data, config, {
        emitFrom,
        onProgress: opts.onProgress,
        onStep: features
          ? (step) => {
              if (step.ts >= emitFrom) features.addHour(step.features);
            }
          : undefined,
      });
    } catch (err) {
      features?.close();
      throw err;
    }
    const t2 = performance.now();
    // the writer thread encodes the last row groups and the footer while this thread scores
    let featuresDone = t2;
    featuresWritten = features ? features.finish().then(() => void (featuresDone = performance.now())) : null;
    // its error is thrown where it is awaited, after the scoring, not as an unhandled rejection
    featuresWritten?.catch(() => undefined);
    if (opts.score !== false) opts.onPhase?.('scoring');
    const scorable = result.alerts.map(toScorable);
    // the pool's worker holds the same prices: it computes the P&L beside the scorecard (same result). (The replay's
    // emitFrom is only ever raised to the data's first hour, before which there are no candles to cut.)
    const pnlOnWorker = opts.pnl !== false && pool ? pool.paperPnlWithFiles(scorable, opts.pnl ?? {}, opts.pnlFilesDir) : null;
    // its error (bad P&L options) is thrown where it is awaited, after the scorecard, not as an unhandled rejection
    pnlOnWorker?.catch(() => undefined);
    // while the worker computes the P&L: the baseline's slices meanwhile fall to the worker, not onto the end of the run
    if (opts.alertsFile) writeAlertsParquet(opts.alertsFile, result.alerts);
    // the pool's workers prepared this market during the replay: a copy of theirs rather than preparing it again
    const market = scoreOptions === null ? null : pool ? await pool.market() : prepareMarket(prices, scoreOptions);
    const scorecard = market === null ? null : pool ? await scoreOnMarketWith(market, scorable, pool.runner) : scoreOnMarket(market, scorable);
    const t4 = performance.now();
    if (opts.pnl !== false) opts.onPhase?.('pnl');
    const pnlDone = opts.pnl === false ? null : pnlOnWorker ? await pnlOnWorker : localPnl(paperPnl(prices, scorable, opts.pnl ?? {}));
    const pnl = pnlDone?.pnl ?? null;
    const t5 = performance.now();
    if (featuresWritten) {
      opts.onPhase?.('features');
      await featuresWritten;
    }

    const counts = new Map<string, AlertCount>();
    for (const a of result.alerts) {
      const key = `${a.symbol}|${a.event_type}|${a.severity}`;
      const c = counts.get(key) ?? { symbol: a.symbol, event_type: a.event_type, severity: a.severity, count: 0 };
      c.count++;
      counts.set(key, c);
    }
    let suppressedTotal = 0;
    for (const byType of Object.values(result.suppressed)) for (const n of Object.values(byType)) suppressedTotal += n;
    const report: BacktestReport = {
      config_hash: configHash(config),
      dataset_manifest_sha256: datasetHash,
      symbols: [...config.symbols],
      from: iso(result.emitFrom),
      to: iso(result.lastHour),
      warmup_hours: (result.emitFrom - result.firstHour) / HOUR_MS,
      hours: (result.lastHour - result.emitFrom) / HOUR_MS + 1,
      symbol_hours: result.symbolHours,
      alerts_total: result.alerts.length,
      alert_counts: [...counts.values()].sort((a, b) => byText(a.symbol, b.symbol) || byText(a.event_type, b.event_type) || byText(a.severity, b.severity)),
      suppressed: result.suppressed,
      suppressed_total: suppressedTotal,
      gaps: result.gaps.map((g) => ({ ...g, start: iso(g.start_ms), end: iso(g.end_ms) })),
      liquidation_coverage: data.series.map((s) => ({
        symbol: s.symbol,
        hours_with_data: s.liquidations.ts.filter((t) => t >= result.emitFrom && t <= result.lastHour).length,
      })),
      features_file: opts.featuresFile ?? null,
      scorecard,
      pnl: pnlDone?.summary ?? null,
      elapsed_ms: { load: Math.round(t1 - t0), replay: Math.round(t2 - t1), features: Math.round(featuresDone - t2), score: Math.round(t4 - t2), pnl: Math.round(t5 - t4) },
    };
    const written = { alertsFile: opts.alertsFile ?? null, pnlFilesDir: pnlDone?.filesWritten && opts.pnlFilesDir ? opts.pnlFilesDir : null };
    return { report, alerts: result.alerts, pnl, written };
  } finally {
    // a run that failed while scoring still lets the feature file settle before the caller removes its folder
    await featuresWritten?.catch(() => undefined);
    await pool?.close();
  }
}

function localPnl(pnl: PaperPnl): PnlDone {
  return { summary: pnl.summary, pnl, filesWritten: false };
}

/** reported symbol-hours from which the feature file is encoded on a thread of its own (the default full run is ≈ 2.2e5) */
const THREAD_MIN_ROWS = 65_536;

/** whether a feature file of this many reported symbol-hours is encoded on a thread of its own */
export function featuresOnThread(symbolHours: number): boolean {
  return symbolHours >= THREAD_MIN_ROWS;
}

/** permutations × reported symbol-hours from which the worker pool pays (the default full run is ≈ 2e8) */
const POOL_MIN_WORK = 2e7;

/** whether a run of this many permutations over this many reported symbol-hours scores on the worker pool */
export function poolPays(permutations: number, symbolHours: number): boolean {
  return permutations * symbolHours >= POOL_MIN_WORK;
}
