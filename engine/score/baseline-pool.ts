/**
 * Random baselines split across worker threads and the calling thread. The permutations of every baseline job
 * are cut into slices; whoever is free takes the next slice (the calling thread too, between replies), and the
 * values land at their permutation's place. Because a permutation's draws are a hash of (seed, alert, p)
 * (engine/score/baseline.ts), the values — and the p-values and means folded from them in permutation order —
 * are bit-identical to one thread computing everything, however the slices were shared out.
 *
 * Workers start at construction and prepare their copy of the market while the caller does something else
 * (the backtest replays meanwhile); market() hands the caller that market, its arrays in shared memory, rather
 * than the caller preparing its own. A worker that fails hands its slice back; the calling thread finishes.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { BASELINE_WORKER, defaultBaselineWorkers, startThread } from '../worker-threads.ts';
import { metricCount, permutationValues, placeSlice, type BaselineSpec } from './baseline.ts';
import { adoptDrawTables, type DrawTables } from './draw-table.ts';
import { prepareMarket, type Market } from './market.ts';
import type { BaselineRunner } from './score.ts';
import { paperPnl, type PaperPnl, type PnlSummary } from './pnl.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';
import type { BaselineWorkerReply, BaselineWorkerRequest, SliceRequest } from './baseline-worker.ts';

export interface PnlDone {
  summary: PnlSummary;
  /** the curves and trades: null when the worker wrote them into the files folder (filesWritten), which the caller then moves */
  pnl: PaperPnl | null;
  filesWritten: boolean;
}

/** alert placements per slice: small enough that no thread waits long for the last ones, large enough that messages cost nothing */
const DRAWS_PER_SLICE = 50_000;
/** slices a worker holds at once while the queue is long (one near its end, so the last slices are shared out) */
const IN_FLIGHT = 2;

function sharedCopy(a: Float64Array): Float64Array {
  // already in shared memory (a backtest's data read from its cache file): the workers share it as it is
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** the ids of the slices sent to it and not yet answered */
  inFlight: Set<number>;
  /** computing a paper P&L: no slices meanwhile */
  pnl: number | null;
  dead: boolean;
  /** the specs of the running baseline this worker already holds */
  specs: Set<number>;
}

interface SharedMarket {
  market: Market;
  tables: DrawTables;
}

interface Slice {
  spec: number;
  from: number;
  to: number;
}

export interface PoolRunStats {
  slices: number;
  onCaller: number;
  onWorkers: number;
}

export class BaselinePool {
  private readonly slots: Slot[] = [];
  private onReply: ((slot: Slot, reply: Exclude<BaselineWorkerReply, { type: 'market' }>) => void) | null = null;
  private closed = false;
  /** paper P&Ls a worker computed (the others fell back to the calling thread) */
  pnlOnWorkers = 0;
  /** where the slices of the last run went */
  lastRun: PoolRunStats = { slices: 0, onCaller: 0, onWorkers: 0 };

  /**
   * @param prices the prices the market will be prepared from (shared with each worker, copied into shared memory first when they are not there)
   * @param options the scorer options, as given to prepareMarket
   * @param callerTakesSlices false leaves every slice to the workers (tests use it to prove the split)
   * @param more marketCacheDir: where the market prepared for these prices and options is kept between runs
   *   (market-cache.ts)
   */
  constructor(
    prices: readonly PriceSeries[],
    options: unknown,
    workers = defaultBaselineWorkers(),
    private readonly callerTakesSlices = true,
    more: { marketCacheDir?: string } = {},
  ) {
    // in shared memory: the workers read them where they are (posting a subarray would clone its whole backing
    // buffer into every worker, posting a plain copy would clone it again)
    const copy = prices.map((p) => ({ symbol: p.symbol, ts: sharedCopy(p.ts), close: sharedCopy(p.close), high: p.high && sharedCopy(p.high), low: p.low && sharedCopy(p.low) }));
    this.prices = copy;
    this.options = options;
    let shareMarket: (shared: SharedMarket | null) => void = () => {};
    this.shared = new Promise<SharedMarket | null>((resolve) => (shareMarket = resolve));
    // threads a caller started ahead are taken first (engine/worker-threads.ts: a CLI backtest starts them first thing)
    const threads = Array.from({ length: workers }, () => startThread(BASELINE_WORKER));
    if (threads.length === 0) shareMarket(null);
    this.unshare = () => shareMarket(null);
    const started: Promise<void>[] = [];
    for (const [i, worker] of threads.entries()) {
      const slot: Slot = { worker, ready: false, inFlight: new Set(), pnl: null, dead: false, specs: new Set() };
      let settle = () => {};
      started.push(new Promise<void>((resolve) => (settle = resolve)));
      worker.on('message', (reply: BaselineWorkerReply) => {
        if ((reply.type === 'pnl' || reply.type === 'error') && slot.pnl !== null && reply.id === slot.pnl) {
          this.settlePnl(slot, reply.type === 'pnl' ? { summary: reply.summary, pnl: reply.pnl, filesWritten: reply.filesWritten } : null);
          return;
        }
        if (reply.type === 'market') {
          shareMarket({ market: reply.market, tables: reply.tables });
          return;
        }
        // a worker that could not prepare the market (the caller's prepareMarket then reports why)
        if (reply.type === 'error' && !slot.ready && i === 0) shareMarket(null);
        if (reply.type === 'ready') {
          slot.ready = true;
          settle();
        }
        this.onReply?.(slot, reply);
      });
      const lost = () => {
        settle();
        if (i === 0) shareMarket(null);
        if (slot.dead) return;
        slot.dead = true;
        if (slot.pnl !== null) this.settlePnl(slot, null);
        this.onReply?.(slot, { type: 'error', id: null, message: 'worker stopped' });
      };
      worker.on('error', lost);
      worker.on('exit', lost);
      // the first worker sends its market as soon as it is prepared: the copy is made on that worker during the
      // caller's replay and waits in the caller's queue, while a copy asked for after the replay would wait
      // behind the worker's P&L
      worker.postMessage({ type: 'init', prices: copy, options, shareMarket: i === 0, cacheDir: more.marketCacheDir } satisfies BaselineWorkerRequest);
      this.slots.push(slot);
    }
    this.started = Promise.all(started).then(() => undefined);
  }

  private readonly started: Promise<void>;
  private readonly prices: PriceSeries[];
  private readonly options: unknown;
  /** the first worker's market, once it arrives (null when that worker stopped first) */
  private readonly shared: Promise<SharedMarket | null>;
  private readonly unshare: () => void;
  private nextSpecId = 1;
  /** 1 once the caller took the workers' market (rather than preparing its own) */
  marketsFromWorkers = 0;
  private readonly pnlWaiters = new Map<number, (done: PnlDone | null) => void>();
  private nextPnlId = -1;
  /** the running baseline's dispatcher, to hand a worker slices again once its P&L is done */
  private redispatch: (() => void) | null = null;

  /**
   * The paper P&L (engine/score/pnl.ts paperPnl) of `alerts` on the pool's prices, computed by a worker so it
   * runs beside the scorecard; the same result as paperPnl on this thread, which computes it when no worker is
   * alive or the worker fails.
   */
  async paperPnl(alerts: readonly ScorableAlert[], options: unknown): Promise<PaperPnl> {
    // no files folder: the worker always sends the whole P&L back
    return (await this.paperPnlWithFiles(alerts, options)).pnl!;
  }

  /**
   * paperPnl, and the run's P&L files (engine/results/pnl-files.ts) written into filesDir by the same worker as
   * soon as the P&L is known — then only its summary comes back (pnl null); filesWritten false: they are not (no
   * worker, or writing failed there), the whole P&L comes back and the caller writes them.
   */
  async paperPnlWithFiles(alerts: readonly ScorableAlert[], options: unknown, filesDir?: string): Promise<PnlDone> {
    const slot = this.closed ? undefined : this.slots.find((x) => !x.dead && x.pnl === null);
    if (slot) {
      const id = this.nextPnlId--;
      const reply = new Promise<PnlDone | null>((resolve) => this.pnlWaiters.set(id, resolve));
      slot.pnl = id;
      slot.worker.postMessage({ type: 'pnl', id, alerts: [...alerts], options, filesDir } satisfies BaselineWorkerRequest);
      const done = await reply;
      if (done) {
        this.pnlOnWorkers++;
        return done;
      }
    }
    const pnl = paperPnl(this.prices, alerts, options);
    return { summary: pnl.summary, pnl, filesWritten: false };
  }

  private settlePnl(slot: Slot, done: PnlDone | null): void {
    const id = slot.pnl!;
    slot.pnl = null;
    this.pnlWaiters.get(id)?.(done);
    this.pnlWaiters.delete(id);
    this.redispatch?.();
  }

  /**
   * The market the workers prepared (engine/score/market.ts prepareMarket of the pool's prices and options),
   * cloned from the first worker with its draw tables — the same values as preparing it on this thread, for a
   * memory copy instead of the preparation. Prepared on this thread when that worker stopped before sending it.
   */
  async market(): Promise<Market> {
    const got = await this.shared;
    if (!got) return prepareMarket(this.prices, this.options);
    if (this.marketsFromWorkers === 0) {
      adoptDrawTables(got.market, got.tables);
      this.marketsFromWorkers = 1;
    }
    return got.market;
  }

  /** resolves once every worker has its market (or has stopped): benches time the scoring apart from the start-up */
  ready(): Promise<void> {
    return this.started;
  }

  readonly runner: BaselineRunner = (market, jobs) => this.run(market, jobs);

  async run(market: Market, specs: readonly BaselineSpec[]): Promise<Float64Array[]> {
    if (this.closed) throw new Error('baseline pool is closed');
    const m = metricCount(market);
    const values = specs.map((j) => new Float64Array(j.rows.length * j.permutations * m));
    const specIds = specs.map(() => this.nextSpecId++);
    for (const slot of this.slots) slot.specs.clear();
    const queue: Slice[] = [];
    specs.forEach((j, spec) => {
      const per = Math.max(1, Math.floor(DRAWS_PER_SLICE / Math.max(1, j.keys.length)));
      for (let from = 0; from < j.permutations; from += per) queue.push({ spec, from, to: Math.min(j.permutations, from + per) });
    });
    const stats: PoolRunStats = { slices: queue.length, onCaller: 0, onWorkers: 0 };
    const sliceOf = new Map<number, Slice>();
    let nextId = 1;
    let pending = 0;
    let wake: (() => void) | null = null;

    const dispatch = () => {
      for (const slot of this.slots) {
        // two slices in flight: the worker starts the next one at once instead of waiting for this thread,
        // which answers only between its own slices
        while (slot.ready && !slot.dead && slot.pnl === null && slot.inFlight.size < (queue.length > 2 * this.slots.length ? IN_FLIGHT : 1) && queue.length > 0) {
          const s = queue.shift()!;
          const specId = specIds[s.spec];
          const id = nextId++;
          const req: SliceRequest = { type: 'slice', id, specId, spec: slot.specs.has(specId) ? undefined : specs[s.spec], from: s.from, to: s.to };
          slot.specs.add(specId);
          sliceOf.set(id, s);
          slot.inFlight.add(id);
          pending++;
          slot.worker.postMessage(req);
        }
      }
    };
    this.onReply = (slot, reply) => {
      if (reply.type === 'ready') {
        dispatch();
        return;
      }
      if (reply.type === 'done') {
        const s = sliceOf.get(reply.id);
        if (s && slot.inFlight.delete(reply.id)) {
          sliceOf.delete(reply.id);
          pending--;
          const j = specs[s.spec];
          placeSlice(values[s.spec], reply.values, j.rows.length, j.permutations, s.from, s.to, m);
          stats.onWorkers++;
        }
      } else if (reply.type === 'error') {
        // a worker that failed (or stopped) is not asked again: its slices go back to the queue
        slot.dead = true;
        for (const id of slot.inFlight) {
          const s = sliceOf.get(id);
          if (!s) continue;
          sliceOf.delete(id);
          pending--;
          queue.push(s);
        }
        slot.inFlight.clear();
      }
      dispatch();
      wake?.();
    };
    this.redispatch = () => {
      dispatch();
      wake?.();
    };
    try {
      dispatch();
      for (;;) {
        if (queue.length > 0 && (this.callerTakesSlices || this.slots.every((x) => x.dead))) {
          const s = queue.shift()!;
          const j = specs[s.spec];
          placeSlice(values[s.spec], permutationValues(market, j, s.from, s.to), j.rows.length, j.permutations, s.from, s.to, m);
          stats.onCaller++;
          // let worker replies in before the next slice
          await nextTurn();
          dispatch();
          continue;
        }
        if (queue.length === 0 && pending === 0) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      this.onReply = null;
      this.redispatch = null;
    }
    this.lastRun = stats;
    return values;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unshare();
    for (const s of this.slots) s.dead = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
