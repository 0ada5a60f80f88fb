/**
 * A fixed set of sweep workers, one job at a time each. A job may name the feature set it reads: an idle
 * worker that evaluated that set last is preferred, because its rule caches for that set are warm.
 */
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import type { Job, SweepContext } from './jobs.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

interface Slot {
  worker: Worker;
  busy: boolean;
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

  /** workers start loading at once; init() hands them the context when it is ready (messages queue until then) */
  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      // a small young generation: each configuration's garbage is short-lived, and the default lets every
      // worker hold ~30 MB more for no measurable speed
      const worker = new Worker(new URL('./worker.mjs', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      const slot: Slot = { worker, busy: false, lastKey: null };
      worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
      worker.on('error', (err) => this.fail(new Error(`sweep worker failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`sweep worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  init(ctx: SweepContext): void {
    for (const s of this.slots) s.worker.postMessage({ type: 'init', ctx } satisfies WorkerRequest);
  }

  get size(): number {
    return this.slots.length;
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
      const idle = this.slots.filter((s) => !s.busy);
      if (idle.length === 0) return;
      // a free worker takes the first job of its own lane, else the first job of no lane or of a busy worker's
      // lane, else (its lane's jobs all handed out) any
      let pick = -1;
      let slot = idle[0];
      for (const s of idle) {
        const own = this.slots.indexOf(s);
        const i = this.queue.findIndex((q) => q.lane === own);
        if (i >= 0) {
          pick = i;
          slot = s;
          break;
        }
      }
      if (pick < 0) {
        const i = this.queue.findIndex((q) => q.lane === null || this.slots[q.lane].busy);
        pick = i >= 0 ? i : 0;
        const p = this.queue[pick];
        slot = idle.find((s) => p.prefer !== null && s.lastKey === p.prefer) ?? idle[0];
      }
      const p = this.queue.splice(pick, 1)[0];
      const id = this.nextId++;
      slot.busy = true;
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
    slot.busy = false;
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
            // answered like a job: the slot stays out of pump() until the reply
            slot.busy = true;
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
