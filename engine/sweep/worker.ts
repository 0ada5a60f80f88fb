/**
 * A sweep worker: receives the context once (replay data and markets in shared memory), then runs one job per
 * message and answers with its id. Errors travel back as messages; the pool decides what they mean.
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { SweepJobs, type Job, type Period, type SweepContext } from './jobs.ts';
import { threadCpuMs } from './thread-cpu.ts';

/** periods: the context's periods when init carried none (the sweep sends the data first, so a features job can start) */
export type WorkerRequest = { type: 'init'; ctx: SweepContext } | { type: 'periods'; periods: Period[] } | { type: 'job'; id: number; job: Job } | { type: 'cpu'; id: number };
export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; userError: boolean };

const port = parentPort;
if (port) {
  let jobs: SweepJobs | null = null;
  port.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'init') {
      // a kept pool's next sweep on the same inputs keeps what this worker built from them
      if (!jobs?.renew(msg.ctx)) jobs = new SweepJobs(msg.ctx);
      return;
    }
    if (msg.type === 'periods') {
      jobs?.setPeriods(msg.periods);
      return;
    }
    if (msg.type === 'cpu') {
      port.postMessage({ id: msg.id, ok: true, value: threadCpuMs() } satisfies WorkerReply);
      return;
    }
    let reply: WorkerReply;
    try {
      if (!jobs) throw new Error('sweep worker: job before init');
      reply = { id: msg.id, ok: true, value: jobs.run(msg.job) };
    } catch (err) {
      reply = { id: msg.id, ok: false, message: (err as Error).message ?? String(err), userError: err instanceof UserError };
    }
    port.postMessage(reply);
  });
}
