/**
 * The project's kinds of worker thread, and threads of a kind started before the code that uses them has loaded.
 *
 * Why ahead: a CLI command spends its first ≈ 0.2 s loading its modules on one thread while the other cores idle,
 * and a worker thread spends ≈ 0.1–0.2 s of CPU starting (a new isolate loading its own modules). The CLI starts
 * the threads a command will use early (engine/cli/threads-ahead.ts before the command's module loads; `regime
 * backtest` its baseline and writer threads before it loads the data), so that start-up runs beside work that leaves
 * a core idle; the pool that needs a thread later takes one started ahead instead of starting its own. One never
 * taken does not keep the process alive.
 */
import os from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export interface ThreadKind {
  entry: URL;
  options: WorkerOptions;
}

/**
 * the sweep's evaluation workers (engine/sweep/pool.ts). A small young generation: each configuration's garbage is
 * short-lived, and the default lets every worker hold ~30 MB more for no measurable speed
 */
export const SWEEP_WORKER: ThreadKind = {
  entry: new URL('./sweep/worker.mjs', import.meta.url),
  options: { resourceLimits: { maxYoungGenerationSizeMb: 8 } },
};

/**
 * the random baseline's workers (engine/score/baseline-pool.ts). A small young generation: the worker allocates
 * little per slice, and the default semi-spaces only add to the backtest's peak RSS (measured ≈ 20 MB lower, same CPU)
 */
export const BASELINE_WORKER: ThreadKind = {
  entry: new URL('./score/baseline-worker.mjs', import.meta.url),
  options: { resourceLimits: { maxYoungGenerationSizeMb: 8 } },
};

/** the random baseline's workers a run starts: one per core beside the calling thread, which takes slices too */
export function defaultBaselineWorkers(): number {
  return Math.max(0, Math.min(7, os.availableParallelism() - 1));
}

/**
 * the feature export's Parquet encoder (engine/results/parquet-writer-thread.ts). A small young generation, as the
 * baseline workers: the thread allocates little per group
 */
export const PARQUET_WRITER: ThreadKind = {
  entry: new URL('./results/parquet-writer-worker.mjs', import.meta.url),
  options: { resourceLimits: { maxYoungGenerationSizeMb: 8 } },
};

interface Ahead {
  worker: Worker;
  /** it stopped or failed before anyone took it */
  gone: boolean;
}

/** the threads started ahead and not taken yet, per kind, oldest first */
const ahead = new Map<ThreadKind, Ahead[]>();

/** threads one caller started ahead */
export interface ThreadsAhead {
  /** stops those of them nobody took (a run that turned out not to need them) */
  stop(): Promise<void>;
}

/**
 * starts `count` threads of a kind for later startThread(kind) calls to take. A thread that fails before it is taken
 * is never handed out; one never taken does not keep the process alive.
 */
export function startAhead(kind: ThreadKind, count: number): ThreadsAhead {
  let list = ahead.get(kind);
  if (list === undefined) ahead.set(kind, (list = []));
  const mine: Ahead[] = [];
  for (let i = 0; i < count; i++) {
    const entry: Ahead = { worker: new Worker(kind.entry, kind.options), gone: false };
    // an 'error' with no listener would be thrown in this thread: a thread that failed is simply not handed out
    const stopped = () => void (entry.gone = true);
    entry.worker.on('error', stopped);
    entry.worker.on('exit', stopped);
    entry.worker.unref();
    list.push(entry);
    mine.push(entry);
  }
  return {
    async stop() {
      const waiting = ahead.get(kind) ?? [];
      const untaken = mine.filter((a) => waiting.includes(a));
      ahead.set(kind, waiting.filter((a) => !untaken.includes(a)));
      await Promise.all(untaken.map((a) => a.worker.terminate()));
    },
  };
}

/** the threads of a kind started ahead and not taken yet (tests) */
export function waitingAhead(kind: ThreadKind): Worker[] {
  return (ahead.get(kind) ?? []).map((a) => a.worker);
}

/**
 * a thread of this kind: one started ahead that is still running, else a new one. The caller listens to it from
 * now on; an exit or error not yet delivered reaches its listeners too (events arrive on a later turn).
 */
export function startThread(kind: ThreadKind): Worker {
  const list = ahead.get(kind);
  while (list !== undefined && list.length > 0) {
    const a = list.shift()!;
    if (a.gone) continue;
    a.worker.ref();
    return a.worker;
  }
  return new Worker(kind.entry, kind.options);
}
