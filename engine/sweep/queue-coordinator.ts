/**
 * `regime sweep --queue redis://…`: the local sweep (sweep.ts — resume, results, report) with its
 * configurations computed by `regime worker` processes on any number of machines, through BullMQ on Redis.
 *
 * Configurations go out in batches, one BullMQ job per batch, the job id derived from the batch's config ids
 * (re-adding the same batch is a no-op). Workers write each configuration's results into a Redis hash as
 * they finish it, so a worker killed mid-batch loses nothing: BullMQ hands the stalled job to another worker,
 * which skips what is already there. The coordinator takes results out of the hash into runs.duckdb, where
 * the local sweep's resume applies; a restarted coordinator first takes whatever workers finished meanwhile.
 * A configuration's id is recorded once, however many times it was computed.
 */
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Store } from '../data/store.ts';
import { manifestHash } from '../data/layout.ts';
import { UserError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { redact } from '../notify/redact.ts';
import { currentCodeVersion } from '../queue/code-version.ts';
import { closeWithin, connectionLost, connectRedis, isConnectionLoss, REDIS_UNREACHABLE_EXIT, redisErrorText } from '../queue/connect.ts';
import { parseRedisUrl, type RedisTarget } from '../queue/redis-url.ts';
import { gitCommit } from '../results/run-store.ts';
import type { Params } from './expand.ts';
import type { PeriodResults } from './jobs.ts';
import {
  JOB_NAME,
  KEY_TTL_S,
  QUEUE_NAME,
  QUEUE_PREFIX,
  batchJobId,
  decodeResults,
  doneKey,
  encode,
  encodeParams,
  refusalsKey,
  resultsKey,
  type SweepJobData,
  type SweepJobResult,
} from './queue-protocol.ts';
import type { SweepReport } from './report.ts';
import { runSweep, sweepId, type RemoteEvaluator, type SweepOptions } from './sweep.ts';
import type { SweepSpec } from './spec.ts';

export const DEFAULT_BATCH = 50;
const DEFAULT_JOBS_IN_FLIGHT = 64;
/** a partial batch waits this long for more configurations before it is sent anyway */
const BATCH_IDLE_MS = 50;
const REFUSALS_POLL_MS = 2_000;

export interface QueueStatus {
  done: number;
  total: number;
  /** configurations per second computed through the queue in this run */
  rate: number;
  workersSeen: number;
  refusals: number;
}

export interface QueueSweepOptions extends Omit<SweepOptions, 'remote' | 'workers'> {
  /** redis:// or rediss:// URL */
  queue: string;
  /** configurations per job */
  batch?: number;
  /** jobs in flight at once (the queue's depth): more than the workers can take keeps them all busy */
  jobsInFlight?: number;
  onStatus?: (s: QueueStatus) => void;
  /** waits before each reconnect to a lost Redis, then the sweep fails (default: REGIME_REDIS_RECONNECT_MS or 7 s in all) */
  reconnectDelaysMs?: readonly number[];
}

export interface QueuedSweepReport extends SweepReport {
  queue: { redis: string; batch: number; jobs: number; computed_by_workers: number; workers_seen: number; refusals: string[] };
}

interface Pending {
  id: string;
  params: Params;
  resolve: (r: PeriodResults) => void;
  reject: (err: unknown) => void;
}

class QueueEvaluator implements RemoteEvaluator {
  readonly inflight: number;
  readonly workers = new Set<string>();
  jobs = 0;
  computed = 0;
  private pending: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private broken: unknown = null;

  constructor(
    private readonly ctx: {
      redis: Redis;
      queue: Queue;
      events: QueueEvents;
      lost: Promise<never>;
      batch: number;
      jobsInFlight: number;
      data: Omit<SweepJobData, 'configs'>;
    },
  ) {
    this.inflight = ctx.batch * ctx.jobsInFlight;
  }

  evaluate(configId: string, params: Params): Promise<PeriodResults> {
    return new Promise<PeriodResults>((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.pending.push({ id: configId, params, resolve, reject });
      if (this.pending.length >= this.ctx.batch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), BATCH_IDLE_MS);
    });
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    Promise.race([this.dispatch(batch), this.ctx.lost]).catch((err: unknown) => {
      this.broken ??= err;
      for (const p of batch) p.reject(err);
    });
  }

  /** takes what is in the results hash for these ids; returns the ids still missing */
  private async collect(batch: Pending[]): Promise<Pending[]> {
    const key = resultsKey(this.ctx.data.sweepId);
    const found = await this.ctx.redis.hmget(key, ...batch.map((p) => p.id));
    const missing: Pending[] = [];
    const taken: string[] = [];
    batch.forEach((p, i) => {
      const text = found[i];
      if (text === null) missing.push(p);
      else {
        taken.push(p.id);
        p.resolve(decodeResults(text));
      }
    });
    // once in this process they reach runs.duckdb within a second; a crash before that recomputes them
    if (taken.length > 0) await this.ctx.redis.hdel(key, ...taken);
    return missing;
  }

  private async dispatch(batch: Pending[]): Promise<void> {
    let missing = await this.collect(batch);
    for (let attempt = 0; missing.length > 0; attempt++) {
      if (attempt >= 3) throw new Error(`queue: configurations ${missing.map((p) => p.id).join(', ')} came back without results three times (a worker skipping them as done?)`);
      const jobId = batchJobId(this.ctx.data.sweepId, missing.map((p) => p.id));
      const data: SweepJobData = { ...this.ctx.data, configs: missing.map((p) => ({ id: p.id, params: encodeParams(p.params) })) };
      // the id may exist already (an earlier coordinator's job): a failed one is tried again; a finished one
      // whose results are not in the hash any more (taken by that coordinator, then lost with it) is replaced
      let job: Job | undefined = await this.ctx.queue.getJob(jobId);
      const state = job ? await job.getState() : null;
      if (job && state === 'completed') {
        await job.remove();
        job = undefined;
      } else if (job && state === 'failed') {
        await job.retry('failed');
      }
      job ??= await this.ctx.queue.add(JOB_NAME, data, { jobId, attempts: 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: KEY_TTL_S } });
      this.jobs++;
      let result: SweepJobResult;
      try {
        result = (await job.waitUntilFinished(this.ctx.events)) as SweepJobResult;
      } catch (err) {
        throw new Error(`queue job ${jobId} failed: ${redact((err as Error).message ?? String(err))}`);
      }
      if (result?.worker) this.workers.add(result.worker);
      this.computed += result?.computed ?? 0;
      missing = await this.collect(missing);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function bullConnection(target: RedisTarget) {
  return { ...target.options };
}

export async function runQueuedSweep(store: Store, spec: SweepSpec, opts: QueueSweepOptions): Promise<QueuedSweepReport> {
  const log = opts.logger ?? silentLogger;
  const target = parseRedisUrl(opts.queue, '--queue', opts.reconnectDelaysMs);
  const batch = opts.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1) throw new UserError('--batch: expected a positive integer');
  const redis = await connectRedis(target, 'sweep --queue');
  const lost = connectionLost(redis, target, 'sweep --queue');
  lost.catch(() => {});
  const datasetHash = manifestHash(store.datasetsDir);
  const id = sweepId(spec, datasetHash);
  const queue = new Queue(QUEUE_NAME, { connection: bullConnection(target), prefix: QUEUE_PREFIX });
  const events = new QueueEvents(QUEUE_NAME, { connection: bullConnection(target), prefix: QUEUE_PREFIX });
  // every job in flight waits on these two emitters: many listeners by design, not a leak
  queue.setMaxListeners(0);
  events.setMaxListeners(0);
  // their own connection errors say what ours already says; logged at debug, redacted like every log line
  queue.on('error', (err) => log.debug({ err: redisErrorText(err) }, 'queue connection'));
  events.on('error', (err) => log.debug({ err: redisErrorText(err) }, 'queue events connection'));
  const evaluator = new QueueEvaluator({
    redis,
    queue,
    events,
    lost,
    batch,
    jobsInFlight: opts.jobsInFlight ?? DEFAULT_JOBS_IN_FLIGHT,
    data: { sweepId: id, specHash: spec.hash, spec: encode(spec.canonical), datasetHash, codeVersion: currentCodeVersion(), gitCommit: gitCommit() },
  });
  const refusals = new Set<string>();
  const pollRefusals = async () => {
    for (const r of await redis.lrange(refusalsKey(id), 0, 99)) {
      if (refusals.has(r)) continue;
      refusals.add(r);
      log.warn({ refusal: redact(r) }, 'a worker refused this sweep');
    }
  };
  let poller: ReturnType<typeof setInterval> | null = null;
  try {
    await Promise.race([Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), lost]);
    // a done marker from an earlier complete run would make workers skip jobs this run needs
    await redis.del(doneKey(id), refusalsKey(id));
    log.info({ sweep_id: id, redis: target.shown, batch }, 'sweep through the queue');
    poller = setInterval(() => void pollRefusals().catch(() => {}), REFUSALS_POLL_MS);
    const t0 = performance.now();
    const report = await runSweep(store, spec, {
      ...opts,
      logger: log,
      remote: evaluator,
      onProgress: (done, total) => {
        opts.onProgress?.(done, total);
        const s = (performance.now() - t0) / 1000;
        opts.onStatus?.({ done, total, rate: s > 0 ? evaluator.computed / s : 0, workersSeen: evaluator.workers.size, refusals: refusals.size });
      },
    });
    await pollRefusals();
    if (report.complete) {
      await redis.multi().del(resultsKey(id)).set(doneKey(id), '1', 'EX', KEY_TTL_S).exec();
    }
    return {
      ...report,
      queue: { redis: target.shown, batch, jobs: evaluator.jobs, computed_by_workers: evaluator.computed, workers_seen: evaluator.workers.size, refusals: [...refusals].map(redact) },
    };
  } catch (err) {
    if (err instanceof UserError) throw new UserError(redact(err.message), err.exitCode);
    // a command can fail on the dropped connection before the client gives up reconnecting ('end'): the same loss
    if (isConnectionLoss(err)) throw new UserError(`sweep --queue: lost the connection to Redis at ${target.shown}: ${redisErrorText(err)}`, REDIS_UNREACHABLE_EXIT);
    throw new Error(redact((err as Error).message ?? String(err)));
  } finally {
    if (poller) clearInterval(poller);
    evaluator.close();
    await closeWithin([queue.close(), events.close()]);
    redis.disconnect();
  }
}

export function queueProgressLabel(s: QueueStatus): string {
  const refused = s.refusals > 0 ? ` · ${s.refusals} refused` : '';
  return `sweep via queue · ${s.workersSeen} worker${s.workersSeen === 1 ? '' : 's'} seen · ${s.rate.toFixed(s.rate < 10 ? 1 : 0)}/s${refused}`;
}

export function formatQueueLine(r: QueuedSweepReport): string {
  const q = r.queue;
  const refused = q.refusals.length > 0 ? `\n${q.refusals.map((m) => `  refused: ${m}`).join('\n')}` : '';
  return `queue: ${q.redis} · ${q.jobs} jobs of up to ${q.batch} · ${q.computed_by_workers} configurations computed by ${q.workers_seen} worker${q.workers_seen === 1 ? '' : 's'}${refused}`;
}
