/**
 * `regime worker --queue redis://…`: takes sweep jobs from the queue and computes them with the local sweep's
 * own code (SweepJobs: cached features per feature set, the columnar evaluator, the Pipeline fallback).
 *
 * A job carries the coordinator's dataset manifest hash and code version. A worker whose own differ refuses
 * it: the job goes back to the queue untouched for a worker that matches, the refusal is left in Redis for
 * the coordinator to show, and this worker stops with a clear error — a result computed on other data or by
 * other code must never land in the sweep.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Store } from '../data/store.ts';
import { manifestHash } from '../data/layout.ts';
import { killPoint } from '../data/kill-point.ts';
import { UserError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { redact } from '../notify/redact.ts';
import { parseConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { configHash } from '../pipeline/load-config.ts';
import { currentCodeVersion } from '../queue/code-version.ts';
import { closeWithin, connectionLost, connectRedis, redisErrorText } from '../queue/connect.ts';
import { parseRedisUrl } from '../queue/redis-url.ts';
import { loadReplayData, type ReplayData } from '../replay/replay-data.ts';
import { defaultResultsDir } from '../results/run-store.ts';
import { applyParams } from './expand.ts';
import type { FeatureSet } from './features.ts';
import { featureCacheFile, loadFeatureSet, saveFeatureSet } from './feature-cache.ts';
import { SweepJobs, type PeriodResults } from './jobs.ts';
import { EvaluationPlanner } from './keys.ts';
import { QUEUE_NAME, QUEUE_PREFIX, KEY_TTL_S, decode, decodeParams, doneKey, encodeResults, refusalsKey, resultsKey, type SweepJobData, type SweepJobResult } from './queue-protocol.ts';
import type { SweepSpec } from './spec.ts';
import { configId, FEATURE_SETS_KEPT, periodsOf, resolveFrame, sweepId, type SweepFrame } from './sweep.ts';

// bullmq is CommonJS: imported as ESM, node first scans every file it re-exports for names (≈ 150 ms CPU of
// each worker process's start); required, it is just loaded
const { UnrecoverableError, WaitingError, Worker } = createRequire(import.meta.url)('bullmq') as typeof import('bullmq');

export const DEFAULT_LOCK_MS = 30_000;
/** the kill point a fault test stops a worker at: results of part of a batch stored, the rest not yet */
export const MID_JOB_KILL_POINT = 'queue-worker-mid-job';

export interface QueueWorkerOptions {
  queue: string;
  /** how long a job stays locked without renewal before another worker may take it (BullMQ lockDuration) */
  lockMs?: number;
  /** how often a worker looks for jobs whose lock lapsed (BullMQ stalledInterval; default half the lock, at least 500 ms) */
  stallCheckMs?: number;
  logger?: Logger;
  /** after every job */
  onJob?: (info: { jobId: string; sweepId: string; computed: number }) => void;
  /** stops taking jobs (the current one finishes) and resolves */
  signal?: AbortSignal;
  /** connected and waiting for jobs */
  onReady?: () => void;
  /** the feature sets' cache folder (the local sweep's, by default results/cache/sweep-features); false: none */
  featureCache?: string | false;
}

export function workerName(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** the parts of a spec a worker needs (data range, split, scoring, base config), rebuilt from its canonical form */
export function specFromCanonical(canonical: Record<string, unknown>): SweepSpec {
  const c = canonical as {
    base: Record<string, unknown>;
    from: number | null;
    to: number | null;
    warmup_hours: number;
    split: SweepSpec['split'];
    select: SweepSpec['select'];
    score: SweepSpec['score'];
  };
  return {
    base: c.base,
    baseConfig: parseConfig(c.base),
    from: c.from,
    to: c.to,
    warmupHours: c.warmup_hours,
    split: c.split,
    grid: [],
    random: null,
    select: c.select,
    score: c.score,
    hash: configHash(canonical),
    canonical,
  };
}

interface SweepState {
  id: string;
  spec: SweepSpec;
  frame: SweepFrame;
  jobs: SweepJobs;
  data: ReplayData;
  features: Map<string, FeatureSet>;
  /** this sweep's configurations' plans (keys.ts): the feature keys hashed again only when they change */
  planner: EvaluationPlanner;
}

export class SweepRefused extends UserError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'SweepRefused';
  }
}

export class SweepComputer {
  private state: SweepState | null = null;

  constructor(
    private readonly store: Store,
    readonly datasetHash: string | null,
    readonly code: string,
    /** where feature sets are kept between sweeps and processes (feature-cache.ts); null: always replayed */
    readonly featureCache: string | null = null,
  ) {}

  /** why this worker must not compute the job, or null */
  refusal(d: SweepJobData): string | null {
    const short = (h: string | null) => (h === null ? 'none' : h.slice(0, 12));
    if (d.datasetHash !== this.datasetHash) {
      return `dataset manifest hash ${short(this.datasetHash)} here differs from the coordinator's ${short(d.datasetHash)} (copy the coordinator's datasets/ folder to this machine, or point --datasets at it)`;
    }
    if (d.codeVersion !== this.code) {
      return `code version ${short(this.code)} here differs from the coordinator's ${short(d.codeVersion)}${d.gitCommit ? ` (git ${d.gitCommit.slice(0, 12)})` : ''}: run the same checkout and npm ci on both`;
    }
    return null;
  }

  private async stateFor(d: SweepJobData): Promise<SweepState> {
    if (this.state?.id === d.sweepId) return this.state;
    this.state = null;
    const spec = specFromCanonical(decode<Record<string, unknown>>(d.spec));
    if (spec.hash !== d.specHash || sweepId(spec, this.datasetHash) !== d.sweepId) {
      throw new UnrecoverableError(`sweep ${d.sweepId}: the spec in the job does not hash to its id here (different code?)`);
    }
    const loadFrom = spec.from === null ? undefined : spec.from - spec.warmupHours * HOUR_MS;
    const data = await loadReplayData(this.store, [...spec.baseConfig.symbols], { from: loadFrom, to: spec.to ?? undefined });
    const frame = resolveFrame(spec, data);
    const periods = periodsOf(frame, data, spec);
    const jobs = new SweepJobs({ data, periods, emitFrom: frame.emitFrom, emitUntil: frame.emitUntil });
    this.state = { id: d.sweepId, spec, frame, jobs, data, features: new Map(), planner: new EvaluationPlanner() };
    return this.state;
  }

  /** one configuration, exactly as the local sweep computes it */
  async compute(d: SweepJobData, id: string, paramsText: string): Promise<PeriodResults> {
    const st = await this.stateFor(d);
    const config = parseConfig(applyParams(st.spec.base, decodeParams(paramsText)));
    if (configId(config, st.frame, st.spec) !== id) throw new UnrecoverableError(`configuration ${id}: its parameters give another id here (different code?)`);
    const plan = st.planner.plan(config);
    if (plan.mode === 'replay') return st.jobs.replay(config);
    let fs = st.features.get(plan.featureKey);
    if (!fs) {
      fs = this.featureSet(st, plan.featureKey, plan.featureConfig);
      st.features.set(plan.featureKey, fs);
      if (st.features.size > FEATURE_SETS_KEPT) st.features.delete(st.features.keys().next().value!);
    }
    return st.jobs.evaluate(config, plan.featureKey, fs);
  }

  /**
   * The feature set from the cache the local sweep keeps (the same key names the same data, range and code), else
   * replayed here and stored there: every worker after the first, and every later sweep, skips the replay.
   */
  private featureSet(st: SweepState, key: string, featureConfig: Record<string, unknown>): FeatureSet {
    const file = this.featureCache === null ? null : featureCacheFile(this.featureCache, { datasetHash: this.datasetHash, featureKey: key, symbols: st.data.symbols, firstHour: st.data.firstHour, lastHour: st.data.lastHour });
    const cached = file === null ? null : loadFeatureSet(file);
    if (cached !== null && cached.key === key) return cached;
    const set = st.jobs.features(key, featureConfig);
    // written beside (temp + rename); a failed write only means the next process replays too
    if (file !== null) saveFeatureSet(file, set).catch(() => undefined);
    return set;
  }
}

/** one job: the configurations not yet in the results hash, each stored as soon as it is computed */
async function processJob(job: Job<SweepJobData>, computer: SweepComputer, redis: Redis, name: string): Promise<SweepJobResult> {
  const d = job.data;
  if ((await redis.exists(doneKey(d.sweepId))) === 1) return { worker: name, computed: 0 };
  const key = resultsKey(d.sweepId);
  const have = await redis.hmget(key, ...d.configs.map((c) => c.id));
  const todo = d.configs.filter((_, i) => have[i] === null);
  let computed = 0;
  for (const c of todo) {
    const results = await computer.compute(d, c.id, c.params);
    await redis.multi().hset(key, c.id, encodeResults(results)).expire(key, KEY_TTL_S).exec();
    computed++;
    if (computed < todo.length) killPoint(MID_JOB_KILL_POINT);
    // lets BullMQ renew the job's lock between configurations: a long synchronous batch would lose it
    await new Promise((r) => setImmediate(r));
  }
  return { worker: name, computed };
}

export async function runQueueWorker(store: Store, opts: QueueWorkerOptions): Promise<{ jobs: number; computed: number }> {
  const log = opts.logger ?? silentLogger;
  const target = parseRedisUrl(opts.queue);
  const lockMs = opts.lockMs ?? DEFAULT_LOCK_MS;
  const redis = await connectRedis(target, 'worker');
  const lost = connectionLost(redis, target, 'worker');
  lost.catch(() => {});
  const featureCache = opts.featureCache === false ? null : (opts.featureCache ?? path.join(defaultResultsDir(), 'cache', 'sweep-features'));
  const computer = new SweepComputer(store, manifestHash(store.datasetsDir), currentCodeVersion(), featureCache);
  const name = workerName();
  let refused: SweepRefused | null = null;
  const totals = { jobs: 0, computed: 0 };

  const worker = new Worker<SweepJobData, SweepJobResult>(
    QUEUE_NAME,
    async (job, token) => {
      const why = computer.refusal(job.data);
      if (why) {
        const message = `worker ${name} refused sweep ${job.data.sweepId}: ${why}`;
        await redis.multi().rpush(refusalsKey(job.data.sweepId), message).expire(refusalsKey(job.data.sweepId), KEY_TTL_S).exec();
        await job.moveToWait(token);
        refused ??= new SweepRefused(message);
        // stop before taking another: the job is back in the queue for a worker that matches
        void worker.close();
        throw new WaitingError();
      }
      const r = await processJob(job, computer, redis, name);
      totals.jobs++;
      totals.computed += r.computed;
      log.info({ job: job.id, sweep_id: job.data.sweepId, computed: r.computed }, 'job done');
      opts.onJob?.({ jobId: job.id!, sweepId: job.data.sweepId, computed: r.computed });
      return r;
    },
    {
      connection: { ...target.options },
      prefix: QUEUE_PREFIX,
      concurrency: 1,
      lockDuration: lockMs,
      stalledInterval: opts.stallCheckMs ?? Math.max(500, Math.floor(lockMs / 2)),
      maxStalledCount: 3,
      name,
    },
  );
  worker.on('error', (err) => log.warn({ err: redisErrorText(err) }, 'worker connection'));
  worker.on('failed', (job, err) => log.error({ job: job?.id, err: redact(err.message) }, 'job failed'));
  log.info({ worker: name, redis: target.shown, lock_ms: lockMs }, 'worker ready');

  const closed = new Promise<void>((resolve) => worker.once('closed', () => resolve()));
  const stop = () => void worker.close();
  opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    await Promise.race([worker.waitUntilReady().then(() => (opts.onReady?.(), closed)), lost]);
    if (refused) throw refused;
    return totals;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    await closeWithin([worker.close(true)]);
    redis.disconnect();
  }
}
