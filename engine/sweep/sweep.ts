/**
 * A threshold sweep: every configuration of a spec replayed over the same data, scored on a train and a
 * holdout period, results streamed into results/sweeps/<sweep id>/ (see runs-table.ts) and resumable.
 *
 * The detectors run once per distinct set of feature keys (keys.ts) in a worker, into shared memory; every
 * threshold, rule and cooldown variant is then evaluated on those columns by whichever worker is free.
 * Configurations are generated lazily and at most a few are in flight, so memory does not grow with the grid.
 *
 * Each configuration is scored with the scorer's own metrics but without its random baseline (metrics.ts):
 * permutations for every configuration would cost ~100× the evaluation. The configuration selected on the
 * train period gets the full scorecard, baseline and p-values included, on the holdout (report.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { storeOf, type LazyStore, type Store } from '../data/store.ts';
import { manifestHash } from '../data/layout.ts';
import { writeFileAtomic } from '../data/atomic-file.ts';
import { UserError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { configHash, stableStringify } from '../pipeline/load-config.ts';
import { loadReplayData, type ReplayData } from '../replay/replay-data.ts';
import { defaultResultsDir, gitCommit } from '../results/run-store.ts';
import { prepareMarket } from '../score/index.ts';
import { applyParams, countVariants, variants, type Params } from './expand.ts';
import type { FeatureSet } from './features.ts';
import { metricColumns, P_VALUE, type Period, type PeriodResults, type SelectedAlerts, type SweepContext } from './jobs.ts';
import { EvaluationPlanner, planEvaluation, type EvaluationPlan } from './keys.ts';
import { metricNames } from './metrics.ts';
import { WorkerPool } from './pool.ts';
import { buildSweepReport, ineffectiveText, startSelected, type SweepReport } from './report.ts';
import { sweepBaselineRunner } from './baseline-runner.ts';
import { ineffectiveKeys as ineffectiveKeysOf } from './ineffective-keys.ts';
import { LOCALITY_WINDOW, localityOrder } from './locality.ts';
import { featureCacheFile, inputsCacheFile, loadFeatureSet, saveFeatureSet } from './feature-cache.ts';
import { loadShared, saveShared } from '../results/cache-file.ts';
import { RunsTable, type RunRow } from './runs-table.ts';
import type { PriceSeries, ScorableAlert } from '../score/types.ts';
import { toShared } from './shared.ts';
import { compactLayout } from '../score/evaluator.ts';
import { inSharedMemory } from '../score/market-arrays.ts';
import { threadCpuMs } from './thread-cpu.ts';
import type { SweepMemo } from './sweep-memo.ts';
import { periodMarkets, pricesBetween } from './periods.ts';
import { scorableFromColumns } from './evaluate.ts';
import { storeQValues, withQValues } from './qvalues.ts';
import { foldPeriods, walkForwardFolds, type Fold } from './walk-forward.ts';
import type { SweepSpec } from './spec.ts';

export interface SweepOptions {
  /** worker threads (default: the CPU count) */
  workers?: number;
  /** results folder; the sweep writes <resultsDir>/sweeps/<sweep id>/ */
  resultsDir?: string;
  /** compute at most this many new configurations, then stop; a later run resumes */
  limit?: number;
  /** include every result row in the report (the CLI's --json) */
  includeRows?: boolean;
  onProgress?: (done: number, total: number) => void;
  logger?: Logger;
  /** computes the configurations elsewhere (queue-coordinator.ts) instead of in this process's worker threads */
  remote?: RemoteEvaluator;
  /** where feature sets are kept between sweeps (feature-cache.ts; default <resultsDir>/cache/sweep-features), false for none */
  featureCache?: string | false;
  /**
   * worker threads the caller keeps and closes (the bench's ceiling without JIT warm-up): sweeps run one after another
   * on one pool start from fresh state in each worker but find their code already compiled. Its size is the
   * sweep's worker count; not with `remote`
   */
  pool?: WorkerPool;
  /** inputs and feature sets kept from earlier sweeps in this process (a resident process: sweep-server.ts) */
  memo?: SweepMemo;
}

/** the one hook a distributed sweep needs: everything else (resume, results, report) stays the local sweep's */
export interface RemoteEvaluator {
  /** configurations in flight at once */
  readonly inflight: number;
  evaluate(configId: string, params: Params): Promise<PeriodResults>;
  /** no more configurations are coming: send what is waiting to be batched */
  flush(): void;
}

/** what, besides the configuration, decides a result: part of every configuration id */
export interface SweepFrame {
  symbols: string[];
  emitFrom: number;
  emitUntil: number;
  /** the holdout's first hour; null for a walk-forward split */
  holdoutFrom: number | null;
  /** the walk-forward folds; null for a train/holdout split */
  folds: Fold[] | null;
  warmupHours: number;
}

/** feature sets held at once, here and in a queue worker (queue-worker.ts) */
export const FEATURE_SETS_KEPT = 3;
// commits are what a kill -9 cannot lose; each costs the main thread a DuckDB appender close, so at hundreds of
// configurations a second the one-second bound decides, not a row count
const FLUSH_ROWS = 512;
const FLUSH_MS = 1000;
/**
 * configurations a worker holds at once (the pool's depth: the next waits in its queue while this thread records the
 * last one's row), what each lane keeps in flight, and what each worker warms up on before the first window ordered
 * for locality is generated (all of them handed out at once)
 */
const JOBS_PER_WORKER = 2;

/** bumped when the runs table's layout changes, so an old sweep folder is never appended to with new columns */
const RESULTS_LAYOUT = 2;

export function sweepId(spec: SweepSpec, datasetHash: string | null): string {
  // the metric columns too: a scorer that gained a metric writes a new folder rather than failing to append
  return configHash({ spec: spec.hash, dataset: datasetHash, layout: RESULTS_LAYOUT, metrics: metricNames(spec.score.horizons_hours) });
}

export function configId(config: unknown, frame: SweepFrame, spec: SweepSpec): string {
  const split = frame.folds === null ? { holdout_from: frame.holdoutFrom } : { folds: frame.folds };
  return configHash({ config, range: [frame.emitFrom, frame.emitUntil, frame.warmupHours], ...split, score: spec.score });
}

/** the folds' test periods side by side: the hours between them are missing to the scorer, never scored */
export function stitchedPrices(data: ReplayData, folds: readonly Fold[]): PriceSeries[] {
  const parts = folds.map((f) => pricesBetween(data, f.test.from, f.test.to));
  return data.series.map((s, i) => {
    const cat = (pick: (p: PriceSeries) => Float64Array | undefined) => {
      const arrays = parts.map((p) => pick(p[i]) ?? new Float64Array(0));
      const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
      let o = 0;
      for (const a of arrays) {
        out.set(a, o);
        o += a.length;
      }
      return out;
    };
    return { symbol: s.symbol, ts: cat((p) => p.ts as Float64Array), close: cat((p) => p.close as Float64Array), high: cat((p) => p.high as Float64Array), low: cat((p) => p.low as Float64Array) };
  });
}

export function resolveFrame(spec: SweepSpec, data: ReplayData): SweepFrame {
  const hourCeil = (t: number) => Math.ceil(t / HOUR_MS) * HOUR_MS;
  const emitFrom = hourCeil(Math.max(spec.from ?? data.firstHour, data.firstHour));
  const emitUntil = data.lastHour;
  if (emitUntil < emitFrom) throw new UserError('from: no candles between from and to');
  const base = { symbols: [...spec.baseConfig.symbols], emitFrom, emitUntil, warmupHours: spec.warmupHours };
  if ('walk_forward' in spec.split) return { ...base, holdoutFrom: null, folds: walkForwardFolds(emitFrom, emitUntil + HOUR_MS, spec.split.walk_forward) };
  const hours = (emitUntil - emitFrom) / HOUR_MS + 1;
  const holdoutFrom =
    'holdout_from' in spec.split ? hourCeil(spec.split.holdout_from) : emitFrom + Math.round(hours * (1 - spec.split.holdout_fraction)) * HOUR_MS;
  if (holdoutFrom <= emitFrom || holdoutFrom > emitUntil) {
    const iso = (t: number) => new Date(t).toISOString().slice(0, 16);
    throw new UserError(`split: the holdout must start inside the data (${iso(emitFrom)} .. ${iso(emitUntil)}), got ${iso(holdoutFrom)}`);
  }
  return { ...base, holdoutFrom, folds: null };
}

/** the periods every configuration is scored on: train and holdout, or the whole range and each fold's two */
export function periodRanges(frame: SweepFrame): { name: string; from: number; to: number }[] {
  const end = frame.emitUntil + HOUR_MS;
  if (frame.folds === null) return [{ name: 'train', from: frame.emitFrom, to: frame.holdoutFrom! }, { name: 'holdout', from: frame.holdoutFrom!, to: end }];
  return [
    { name: 'full', from: frame.emitFrom, to: end },
    ...frame.folds.flatMap((f) => [{ name: foldPeriods(f.fold).train, from: f.train.from, to: f.train.to }, { name: foldPeriods(f.fold).test, from: f.test.from, to: f.test.to }]),
  ];
}

/** those periods with their markets */
export function periodsOf(frame: SweepFrame, data: ReplayData, spec: SweepSpec): Period[] {
  return periodMarkets(data, periodRanges(frame), spec.score);
}

/** every metric of both periods as `${period}_${metric}` */
function flatMetrics(r: PeriodResults): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [period, m] of Object.entries(r)) for (const [k, v] of Object.entries(m)) out[`${period}_${k}`] = v;
  return out;
}

interface Progress {
  planned: number;
  done: number;
  computed: number;
  resumed: number;
  duplicates: number;
}

/**
 * The feature sets a sweep evaluates on, each read from the cache or replayed on a worker once (the worker that
 * replays a set evaluates it next: the pool prefers it), the last FEATURE_SETS_KEPT kept.
 */
function featureSource(run: { pool: WorkerPool; data: ReplayData; datasetHash: string | null; cacheDir: string | null; saves: Promise<void>[]; log: Logger; memo: SweepMemo | null }): (plan: EvaluationPlan) => Promise<FeatureSet> {
  const { pool, data, datasetHash, cacheDir, saves, log, memo } = run;
  const features = new Map<string, Promise<FeatureSet>>();
  return (plan) => {
    let p = features.get(plan.featureKey);
    if (!p) {
      const file = cacheDir === null ? null : featureCacheFile(cacheDir, { datasetHash, featureKey: plan.featureKey, symbols: data.symbols, firstHour: data.firstHour, lastHour: data.lastHour });
      const cached = file === null ? null : (memo?.get<FeatureSet>(file) ?? loadFeatureSet(file));
      if (cached !== null && cached.key === plan.featureKey) {
        log.debug({ feature_key: plan.featureKey, file }, 'feature set from the cache');
        p = Promise.resolve(cached);
        if (file !== null) memo?.set(file, cached);
      } else {
        log.debug({ feature_key: plan.featureKey }, 'feature replay');
        p = pool.run<FeatureSet>({ kind: 'features', key: plan.featureKey, featureConfig: plan.featureConfig }, plan.featureKey);
        if (file !== null && memo !== null) p.then((set) => memo.set(file, set), () => undefined);
        if (file !== null) {
          const save = p.then((set) => saveFeatureSet(file, set)).catch((err: unknown) => log.warn({ err: (err as Error).message, file }, 'feature set not cached'));
          saves.push(save);
        }
      }
      features.set(plan.featureKey, p);
      if (features.size > FEATURE_SETS_KEPT) features.delete(features.keys().next().value!);
    }
    return p;
  };
}

/** the plan of the spec's first valid configuration among its first few, null when there is none */
function firstPlan(spec: SweepSpec): EvaluationPlan | null {
  let looked = 0;
  for (const params of variants(spec)) {
    if (looked++ >= FIRST_PLAN_TRIES) break;
    try {
      return planEvaluation(parseConfig(applyParams(spec.base, params)));
    } catch (err) {
      // invalid: the sweep records it when it comes to it
      if (!(err instanceof UserError)) throw err;
    }
  }
  return null;
}

/** the sweep's runs database, in its folder */
const RUNS_FILE = 'runs.duckdb';

/** configurations firstPlan parses at most (≈ 50 µs each) */
const FIRST_PLAN_TRIES = 64;

/** worker threads as a sweep makes them: for a caller that keeps them for several sweeps (SweepOptions.pool) */
export function sweepWorkerPool(workers: number = os.availableParallelism()): WorkerPool {
  return new WorkerPool(Math.max(1, Math.floor(workers)), JOBS_PER_WORKER);
}

/** store: opened only when the sweep reads the data (a LazyStore stays closed when its inputs are cached) */
export async function runSweep(store: Store | LazyStore, spec: SweepSpec, opts: SweepOptions = {}): Promise<SweepReport> {
  // before the sweep folder exists: a call that cannot run leaves nothing behind
  if (opts.pool && opts.remote) throw new Error('runSweep: a kept worker pool and a remote evaluator exclude each other');
  const log = opts.logger ?? silentLogger;
  const t0 = performance.now();
  const cpu0 = { process: process.cpuUsage(), main: threadCpuMs() };
  const datasetHash = manifestHash(store.datasetsDir);
  const id = sweepId(spec, datasetHash);
  const dir = path.join(opts.resultsDir ?? defaultResultsDir(), 'sweeps', id);
  fs.mkdirSync(dir, { recursive: true });

  const workers = opts.pool?.size ?? Math.max(1, Math.floor(opts.workers ?? os.availableParallelism()));
  // the workers load their modules while this thread loads the data and prepares the markets
  const pool = opts.pool ?? sweepWorkerPool(opts.remote ? 1 : workers);
  try {
    return await sweepWith(store, spec, opts, { id, dir, datasetHash, workers, pool, t0, cpu0, log });
  } catch (err) {
    // a spec that fails on the data (no fold fits, a holdout outside it) leaves no empty sweep folder behind
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
    throw err;
  } finally {
    if (pool !== opts.pool) await pool.close();
  }
}

interface SweepRun {
  id: string;
  dir: string;
  datasetHash: string | null;
  workers: number;
  pool: WorkerPool;
  t0: number;
  /** CPU time at the start: the process's and this thread's */
  cpu0: { process: NodeJS.CpuUsage; main: number | null };
  log: Logger;
}

async function sweepWith(store: Store | LazyStore, spec: SweepSpec, opts: SweepOptions, run: SweepRun): Promise<SweepReport> {
  const { id, dir, datasetHash, workers, pool, t0, log } = run;
  const loadFrom = spec.from === null ? undefined : spec.from - spec.warmupHours * HOUR_MS;
  let tLoaded = 0;
  /** the process's CPU time (ms, every thread) at each stage boundary: stages_cpu_ms */
  const processCpu = () => {
    const c = process.cpuUsage(run.cpu0.process);
    return (c.user + c.system) / 1000;
  };
  let cLoaded = 0;
  const cacheDir = opts.featureCache === false ? null : (opts.featureCache ?? path.join(opts.resultsDir ?? defaultResultsDir(), 'cache', 'sweep-features'));
  const saves: Promise<void>[] = [];
  // the loaded data and the periods' markets are the same for every sweep over the same data, range, split and
  // scorer options: kept beside the feature sets and read straight into shared memory
  const symbols = [...spec.baseConfig.symbols];
  const inputsFile =
    cacheDir === null ? null : inputsCacheFile(cacheDir, datasetHash, { symbols, loadFrom: loadFrom ?? null, to: spec.to, from: spec.from, warmup: spec.warmupHours, split: spec.split, score: spec.score });
  // the data and markets in shared memory, used by this thread too: the unshared originals are garbage once copied,
  // so the process holds one copy instead of two
  const memo = opts.memo ?? null;
  // kept by a resident process from an earlier sweep: in shared memory already, the markets' layouts made
  const remembered = inputsFile === null ? undefined : memo?.get<Pick<SweepContext, 'data' | 'periods'>>(inputsFile);
  const cached = remembered ?? (inputsFile === null ? null : loadShared<Pick<SweepContext, 'data' | 'periods'>>(inputsFile));
  let data: ReplayData;
  if (cached !== null) {
    log.debug({ file: inputsFile, kept: remembered !== undefined }, 'data and markets from the cache');
    data = remembered?.data ?? toShared(cached.data);
  } else {
    data = toShared(await loadReplayData(await storeOf(store), symbols, { from: loadFrom, to: spec.to ?? undefined }));
  }
  tLoaded = performance.now();
  cLoaded = processCpu();
  const frame = resolveFrame(spec, data);
  const featuresFor = featureSource({ pool, data, datasetHash, cacheDir, saves, log, memo });
  // the workers get the data first: the first configuration's feature replay, when it is not cached, starts on one of
  // them while this thread prepares the markets. Not for a remote sweep (its workers replay their own), nor for one
  // being resumed (its first configurations may be done: their features would be replayed for nothing)
  // named by the kept inputs' file in a resident process: its workers keep what they built from them (SweepJobs.renew)
  pool.init({ data, periods: [], emitFrom: frame.emitFrom, emitUntil: frame.emitUntil, inputs: memo !== null ? inputsFile : null });
  const resuming = fs.existsSync(path.join(dir, RUNS_FILE));
  const first = opts.remote || resuming ? null : firstPlan(spec);
  if (first !== null && first.mode === 'columns') featuresFor(first).catch(() => undefined);
  // built in shared memory from the start: toShared then copies nothing (a copy was ≈ 20 MB of first touches)
  const periods = remembered?.periods ?? toShared(cached?.periods ?? inSharedMemory(() => periodsOf(frame, data, spec)));
  if (cached === null && inputsFile !== null) {
    saves.push(saveShared(inputsFile, { data, periods }).catch((err: unknown) => log.warn({ err: (err as Error).message, file: inputsFile }, 'sweep inputs not cached')));
  }
  // each period's scoring layout made once, in memory every worker reads, rather than once per worker
  if (remembered === undefined) for (const p of periods) p.layout = inSharedMemory(() => compactLayout(p.market));
  if (inputsFile !== null) memo?.set(inputsFile, { data, periods });
  pool.setPeriods(periods);
  const tMarkets = performance.now();
  const cMarkets = processCpu();
  log.debug({ load_ms: Math.round(tLoaded - t0), markets_ms: Math.round(tMarkets - tLoaded) }, 'data and markets ready');
  const tableMetrics = [...metricNames(spec.score.horizons_hours), P_VALUE];
  const tableColumns = RunsTable.columnsOf(tableMetrics, periods.map((p) => p.name));
  // the workers' rows follow the markets' horizons: the same columns in the same order, or nothing is written
  const rowColumns = metricColumns(periods.map((p) => p.name), periods[0]?.market.options.horizons_hours ?? []).map((c) => `${c.period}_${c.metric}`);
  if (rowColumns.join() !== tableColumns.join()) throw new Error(`sweep: worker rows (${rowColumns.join()}) differ from the runs table (${tableColumns.join()})`);
  const progress: Progress = { planned: countVariants(spec), done: 0, computed: 0, resumed: 0, duplicates: 0 };
  // said before the configurations are run: a long sweep over a key that decides nothing is better not waited for
  const ineffectiveKeys = ineffectiveKeysOf(spec);
  for (const k of ineffectiveKeys) log.warn({ key: k.path, configurations_checked: k.checked }, ineffectiveText(k));
  const manifest = (complete: boolean, stored: { results: number; invalid: number } | null) => ({
    sweep_id: id,
    spec_hash: spec.hash,
    dataset_manifest_sha256: datasetHash,
    git_commit: gitCommit(),
    seed: spec.random?.seed ?? null,
    score_seed: spec.score.seed,
    created_at: readCreatedAt(dir) ?? new Date().toISOString(),
    updated_at: new Date().toISOString(),
    complete,
    configurations: { planned: progress.planned, tried: stored?.results ?? null, invalid: stored?.invalid ?? null },
    // beside the results, for whoever reads them later (a notebook, another session)
    ineffective_keys: ineffectiveKeys,
    spec: spec.canonical,
  });
  writeFileAtomic(path.join(dir, 'spec.json'), JSON.stringify(spec.canonical, null, 1) + '\n');
  writeFileAtomic(path.join(dir, 'manifest.json'), JSON.stringify(manifest(false, null), null, 1) + '\n');

  const warned = new Set<string>();
  const planner = new EvaluationPlanner();
  const evaluateOne = async (configId: string, params: Params, config: PipelineConfig, lane: number | null): Promise<RunRow> => {
    const plan = planner.plan(config);
    const row = { config_id: configId, status: 'ok' as const, error: null, params: stableStringify(params), feature_key: plan.featureKey, mode: plan.mode };
    if (opts.remote) return { ...row, metrics: flatMetrics(await opts.remote.evaluate(configId, params)) };
    if (plan.mode === 'replay') {
      const keys = plan.unclassified.join(',');
      if (!warned.has(keys)) log.warn({ keys: plan.unclassified }, 'config keys unknown to the columnar evaluator: replaying the whole Pipeline');
      warned.add(keys);
      return { ...row, metrics: flatMetrics(await pool.run<PeriodResults>({ kind: 'replay', config })) };
    }
    // the metrics as one typed row: no object of ~60 named numbers cloned across threads and flattened here
    const fs = await featuresFor(plan);
    const values = await pool.run<Float64Array>({ kind: 'evaluate-row', config, key: plan.featureKey, features: fs }, plan.featureKey, lane);
    return { ...row, metrics: {}, values };
  };

  // opened beside the first configurations (its ≈ 30–50 ms are DuckDB's, with the workers idle if awaited here);
  // awaited first only by a sweep that resumes, which needs the ids stored. A failure is the sweep's: the first
  // row to be recorded, or the report, awaits it
  const opening = RunsTable.open(path.join(dir, RUNS_FILE), tableMetrics, periods.map((p) => p.name));
  opening.catch(() => undefined);
  const finished = resuming ? await (await opening).finishedIds() : new Set<string>();
  const seen = new Set<string>();
  const cap = opts.remote?.inflight ?? workers * JOBS_PER_WORKER;
  const limit = pLimit(cap);
  const inflight = new Set<Promise<void>>();
  let failure: unknown = null;
  let lastFlush = performance.now();
  let stopped = false;
  const tPool = performance.now();
  const cPool = processCpu();
  const record = async (row: RunRow) => {
    const table = await opening;
    await table.append(row);
    if (table.unflushed >= FLUSH_ROWS || performance.now() - lastFlush > FLUSH_MS) {
      const rows = table.unflushed;
      table.flush();
      lastFlush = performance.now();
      log.debug({ rows }, 'results committed');
    }
  };
  const tick = () => {
    progress.done++;
    opts.onProgress?.(progress.done, progress.planned);
  };

  // the configurations generated but not yet handed out: dispatched in an order where neighbours are close
  type Pending = { cid: string; params: Params; config: PipelineConfig };
  let window: Pending[] = [];
  const lanes = opts.remote ? 1 : workers;
  const laneCap = Math.max(1, Math.floor(cap / lanes));
  /** one worker's stretch of the path, in order; an idle lane takes the far end of the longest other stretch */
  const dispatchLane = async (stretches: Pending[][], lane: number) => {
    const mine = new Set<Promise<void>>();
    for (;;) {
      while (mine.size >= laneCap && !failure) await Promise.race(mine);
      if (failure) return;
      let next = stretches[lane].shift();
      if (next === undefined) {
        const longest = stretches.reduce((a, b) => (b.length > a.length ? b : a));
        next = longest.pop();
      }
      if (next === undefined) return;
      const { cid, params, config } = next;
      const task: Promise<void> = limit(() => evaluateOne(cid, params, config, lanes > 1 ? lane : null))
        .then(record)
        .then(tick)
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => {
          inflight.delete(task);
          mine.delete(task);
        });
      inflight.add(task);
      mine.add(task);
    }
  };
  /**
   * The first configuration goes out alone: it starts the feature replay. The next JOBS_PER_WORKER a worker go out as
   * they come: the workers warm up on them (a worker's first configurations take it ≈ 30–150 ms each: caches built,
   * code cold) while this thread generates the first full window (≈ 0.1 ms a configuration).
   */
  const warmUp = JOBS_PER_WORKER * lanes;
  const windowSize = (computed: number) => (computed === 1 ? 1 : computed <= warmUp + 1 ? warmUp : LOCALITY_WINDOW);
  /** the last configuration of the first lane's stretch so far: that worker's next window starts nearest to it */
  let laneEnd: Params | undefined;
  /** when the first window past the warm-up went out, and how many configurations had gone before it */
  let steadyFrom: { t: number; after: number } | null = null;
  const dispatchWindow = async () => {
    if (steadyFrom === null && progress.computed > warmUp + 1) steadyFrom = { t: performance.now(), after: progress.computed - window.length };
    const batch = localityOrder(window, (w) => w.params, laneEnd);
    window = [];
    // each worker walks its own stretch of the path: the configurations one worker evaluates in a row are then one
    // hop apart, not `workers` hops (the regime bands it reclassifies are that much narrower, regime-hours.ts)
    const per = Math.ceil(batch.length / lanes);
    const stretches = Array.from({ length: lanes }, (_, l) => batch.slice(l * per, (l + 1) * per));
    laneEnd = stretches[0].at(-1)?.params ?? laneEnd;
    await Promise.all(stretches.map((_, l) => dispatchLane(stretches, l)));
  };

  try {
    for (const params of variants(spec)) {
      if (failure) break;
      const json = applyParams(spec.base, params);
      let config: PipelineConfig;
      try {
        config = parseConfig(json);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        const invalidId = configId({ invalid: json }, frame, spec);
        if (finished.has(invalidId)) progress.resumed++;
        else if (seen.has(invalidId)) progress.duplicates++;
        else {
          seen.add(invalidId);
          await record({ config_id: invalidId, status: 'invalid', error: err.message.split('\n').join('; '), params: stableStringify(params), feature_key: null, mode: null, metrics: {} });
        }
        tick();
        continue;
      }
      const cid = configId(config, frame, spec);
      if (finished.has(cid)) {
        progress.resumed++;
        tick();
        continue;
      }
      if (seen.has(cid)) {
        progress.duplicates++;
        tick();
        continue;
      }
      if (opts.limit !== undefined && progress.computed >= opts.limit) {
        stopped = true;
        break;
      }
      seen.add(cid);
      progress.computed++;
      window.push({ cid, params, config });
      if (window.length >= windowSize(progress.computed)) await dispatchWindow();
    }
    await dispatchWindow();
    opts.remote?.flush();
    await Promise.all(inflight);
    await Promise.all(saves);
    if (failure) throw failure;
    const table = await opening;
    table.flush();
    const computeMs = performance.now() - tPool;
    const cEvaluated = processCpu();
    const complete = !stopped;
    const bestAlerts = async (config: PipelineConfig) => {
      const plan = planEvaluation(config);
      if (plan.mode === 'replay') return pool.run<ScorableAlert[]>({ kind: 'replay-alerts', config });
      const features = await featuresFor(plan);
      const { cols, ids } = await pool.run<SelectedAlerts>({ kind: 'alerts', config, key: plan.featureKey, features }, plan.featureKey);
      return scorableFromColumns(features, cols, ids);
    };
    // the report starts from the selected configuration's alerts: asked for now, a worker computes them while the
    // q-values and the results are written
    const baselineRunner = sweepBaselineRunner(pool, periods);
    // a train/holdout split's periods are [train, holdout] (periodRanges)
    const selected = frame.folds === null ? await startSelected(table, spec, bestAlerts, { period: periods[1], runner: baselineRunner, train: periods[0] }) : null;
    // q-values across the configurations stored so far: on a partial sweep, so far is all that was tried
    await storeQValues(table, periods.map((p) => p.name));
    // the database file brought up to date now, while the workers compute the selected configuration's alerts and
    // holdout baseline (when there is one): done after the report's queries instead, its ≈ 35–40 ms came once every
    // thread had finished. In one call with results.parquet: this thread is busy with the selected configuration's
    // scorecards meanwhile, and a checkpoint asked for after the file's rename waited for them (≈ 70 ms later)
    if (complete) await table.writeParquet(path.join(dir, 'results.parquet'), withQValues, { checkpoint: true });
    else await table.checkpoint();
    const stored = await table.storedCounts();
    writeFileAtomic(path.join(dir, 'manifest.json'), JSON.stringify(manifest(complete, stored), null, 1) + '\n');
    const report = await buildSweepReport({
      table,
      spec,
      frame,
      dir,
      sweepId: id,
      datasetHash,
      periods,
      complete,
      planned: progress.planned,
      duplicates: progress.duplicates,
      run: {
        computed: progress.computed,
        resumed: progress.resumed,
        workers,
        compute_ms: Math.round(computeMs),
        stages_ms: { load: Math.round(tLoaded - t0), markets: Math.round(tMarkets - tLoaded), evaluate: Math.round(computeMs), report: 0 },
      },
      includeRows: opts.includeRows ?? false,
      stored,
      ineffectiveKeys,
      stitchedTestMarket: () => prepareMarket(stitchedPrices(data, frame.folds ?? []), spec.score),
      baselineRunner,
      bestAlerts,
      selected,
    });
    if (report.walk_forward && complete) writeFileAtomic(path.join(dir, 'walk_forward.json'), JSON.stringify(report.walk_forward, null, 1) + '\n');
    // one reading for both: the parts of the timeline add up to the whole, whatever runs between two readings
    const tEnd = performance.now();
    report.run.stages_ms.report = Math.round(tEnd - tPool - computeMs);
    const tEvaluated = tPool + computeMs;
    // set inside dispatchWindow, which the compiler does not follow
    const steady = steadyFrom as { t: number; after: number } | null;
    const tSteady = steady?.t ?? tEvaluated;
    report.run.timeline_ms = {
      before: Math.round(t0),
      load: report.run.stages_ms.load,
      markets: report.run.stages_ms.markets,
      runs_table: Math.round(tPool - tMarkets),
      warm_up: Math.round(tSteady - tPool),
      warm_up_configurations: steady?.after ?? progress.computed,
      steady: Math.round(tEvaluated - tSteady),
      report: report.run.stages_ms.report,
    };
    report.run.elapsed_ms = Math.round(tEnd - t0);
    report.run.stages_cpu_ms = {
      load: Math.round(cLoaded),
      markets: Math.round(cMarkets - cLoaded),
      evaluate: Math.round(cEvaluated - cPool),
      report: Math.round(processCpu() - cEvaluated),
    };
    const used = process.cpuUsage(run.cpu0.process);
    const main = threadCpuMs();
    report.run.cpu_ms = {
      process: Math.round((used.user + used.system) / 1000),
      main: main === null || run.cpu0.main === null ? null : Math.round(main - run.cpu0.main),
      workers: (await pool.threadCpuMs()).map((ms) => (ms === null ? null : Math.round(ms))),
    };
    return report;
  } finally {
    await Promise.allSettled([...inflight, ...saves]);
    await (await opening.catch(() => null))?.close();
  }
}

function readCreatedAt(dir: string): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { created_at?: string }).created_at ?? null;
  } catch {
    return null;
  }
}
