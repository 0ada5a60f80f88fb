/**
 * A fixed set of sweep workers, one job at a time each. A job may name the feature set it reads: an idle
 * worker that evaluated that set last is preferred, because its rule caches for that set are warm.
 */
import type { Worker } from 'node:worker_threads';
import { startThread, SWEEP_WORKER } from '../worker-threads.ts';
import { UserError } from '../errors.ts';
import type { Job, Period, SweepContext } from './jobs.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

interface Slot {
  worker: Worker;
  /** jobs posted and not answered yet: the one running, then those waiting in the worker's message queue */
  inflight: number;
  lastKey: string | null;
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface Pending extends Waiting {
  job: Job;
  prefer: string | null;
  /** the worker (slot index) this job's lane runs on; null: any */
  lane: number | null;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<number, Waiting>();
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;
  /** jobs each worker holds at once */
  private readonly depth: number;

  /**
   * Workers start loading at once; init() hands them the context when it is ready (messages queue until then).
   * depth: jobs posted to a worker before the first is answered. With 2, a worker's next job already waits in its
   * queue when it answers one, so it does not sit idle for the reply's round trip through this thread (≈ a tenth of
   * a sweep worker's time at a few milliseconds a job).
   */
  constructor(size: number, depth = 1) {
    this.depth = Math.max(1, Math.floor(depth));
    for (let i = 0; i < size; i++) {
      // one the CLI started ahead when there is one (engine/worker-threads.ts)
      const worker = startThread(SWEEP_WORKER);
      const slot: Slot = { worker, inflight: 0, lastKey: null };
      worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
      worker.on('error', (err) => this.fail(new Error(`sweep worker failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`sweep worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** a worker starts afresh at init (a pool kept for another sweep): it holds no feature set from before */
  init(ctx: SweepContext): void {
    for (const s of this.slots) {
      s.lastKey = null;
      s.worker.postMessage({ type: 'init', ctx } satisfies WorkerRequest);
    }
  }

  /** the periods of a context init() sent without them: jobs posted from now on see them */
  setPeriods(periods: Period[]): void {
    for (const s of this.slots) s.worker.postMessage({ type: 'periods', periods } satisfies WorkerRequest);
  }

  get size(): number {
    return this.slots.length;
  }

  /** a worker failed or exited: every job from now on is refused (a kept pool is then replaced: sweep-server.ts) */
  get failed(): boolean {
    return this.failure !== null;
  }

  /**
   * lane: run on worker `lane % size` when it is free (a sweep hands each worker its own stretch of configurations);
   * a worker with no job of its lane waiting takes any other
   */
  run<T>(job: Job, prefer: string | null = null, lane: number | null = null): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, prefer, lane: lane === null ? null : lane % this.slots.length, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const next = nextAssignment(this.slots, this.queue, this.depth);
      if (next === null) return;
      const { pick } = next;
      const slot = this.slots[next.slot];
      const p = this.queue.splice(pick, 1)[0];
      const id = this.nextId++;
      slot.inflight++;
      // the worker still holds the feature set it used last: posting it again would only cost the cloning
      const job = (p.job.kind === 'evaluate' || p.job.kind === 'evaluate-row' || p.job.kind === 'alerts') && slot.lastKey === p.job.key ? { ...p.job, features: null } : p.job;
      if (p.prefer !== null) slot.lastKey = p.prefer;
      this.running.set(id, p);
      slot.worker.postMessage({ type: 'job', id, job } satisfies WorkerRequest);
    }
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    const p = this.running.get(reply.id);
    this.running.delete(reply.id);
    slot.inflight--;
    if (p) {
      if (reply.ok) p.resolve(reply.value);
      else p.reject(reply.userError ? new UserError(reply.message) : new Error(reply.message));
    }
    this.pump();
  }

  /** each worker thread's CPU time so far (ms; null without /proc), asked once every worker is idle */
  threadCpuMs(): Promise<(number | null)[]> {
    return Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<number | null>((resolve, reject) => {
            if (this.failure) return reject(this.failure);
            const id = this.nextId++;
            // answered like a job: the slot counts it until the reply
            slot.inflight++;
            this.running.set(id, { resolve: resolve as (v: unknown) => void, reject });
            slot.worker.postMessage({ type: 'cpu', id } satisfies WorkerRequest);
          }),
      ),
    );
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of [...this.running.values(), ...this.queue]) p.reject(err);
    this.running.clear();
    this.queue.length = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/**
 * The next job (its index in the queue) and the worker to take it (its index), least loaded workers first: a
 * worker's own lane's first job; else, for a worker with nothing in hand, the first job (its lane's jobs are all
 * handed out); else the first job of no lane. A worker still busy never takes another lane's job: with two jobs a
 * worker, one that took its neighbour's would leave its own lane's next job to the neighbour, and the two would swap
 * stretches for good, each a hop away from the regime bands the other had left (measured: +50 % worker CPU).
 */
export function nextAssignment(
  workers: readonly { inflight: number; lastKey: string | null }[],
  queue: readonly { lane: number | null; prefer: string | null }[],
  depth: number,
): { pick: number; slot: number } | null {
  const open = workers.map((w, i) => ({ i, inflight: w.inflight })).filter((w) => w.inflight < depth);
  if (open.length === 0 || queue.length === 0) return null;
  // stable: among equally loaded workers the first
  open.sort((a, b) => a.inflight - b.inflight);
  for (const w of open) {
    const pick = queue.findIndex((q) => q.lane === w.i);
    if (pick >= 0) return { pick, slot: w.i };
  }
  // what is left is of no lane or of a full worker's lane
  const least = open[0].inflight;
  const pick = least === 0 ? 0 : queue.findIndex((q) => q.lane === null);
  if (pick < 0) return null;
  const prefer = queue[pick].prefer;
  const idle = open.filter((w) => w.inflight === least);
  return { pick, slot: (idle.find((w) => prefer !== null && workers[w.i].lastKey === prefer) ?? idle[0]).i };
}
