// The pool's choice of worker for each job (nextAssignment), with one job a worker and with two; its threads.
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../detectors/synthetic.ts';
import { startAhead, SWEEP_WORKER, waitingAhead } from '../worker-threads.ts';
import { nextAssignment, WorkerPool } from './pool.ts';

describe('WorkerPool threads', () => {
  it('takes a worker the CLI started ahead before starting its own, and both answer it', async () => {
    startAhead(SWEEP_WORKER, 1);
    expect(waitingAhead(SWEEP_WORKER)).toHaveLength(1);
    const pool = new WorkerPool(2);
    try {
      expect(waitingAhead(SWEEP_WORKER)).toHaveLength(0);
      // a thread taken but not listened to would never answer: the test would time out
      const cpu = await pool.threadCpuMs();
      expect(cpu).toHaveLength(2);
      for (const ms of cpu) expect(ms === null || ms > 0).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

const idle = (n: number) => Array.from({ length: n }, () => ({ inflight: 0, lastKey: null as string | null }));
const job = (lane: number | null, prefer: string | null = null) => ({ lane, prefer });

describe('nextAssignment', () => {
  it('gives a worker its own lane first, then any job to a worker with nothing in hand', () => {
    expect(nextAssignment(idle(2), [job(1), job(0)], 1)).toEqual({ pick: 1, slot: 0 });
    // worker 0 busy at depth 1: worker 1 takes its own lane's job, not the first in the queue
    expect(nextAssignment([{ inflight: 1, lastKey: null }, { inflight: 0, lastKey: null }], [job(0), job(1)], 1)).toEqual({ pick: 1, slot: 1 });
    // worker 1 idle with no job of its lane: it takes worker 0's
    expect(nextAssignment([{ inflight: 1, lastKey: null }, { inflight: 0, lastKey: null }], [job(0)], 1)).toEqual({ pick: 0, slot: 1 });
    expect(nextAssignment([{ inflight: 1, lastKey: null }, { inflight: 1, lastKey: null }], [job(0)], 1)).toBeNull();
  });

  it('with two jobs a worker, a busy worker never takes another lane’s job', () => {
    const load = [{ inflight: 1, lastKey: null }, { inflight: 2, lastKey: null }];
    expect(nextAssignment(load, [job(1)], 2)).toBeNull();
    expect(nextAssignment(load, [job(1), job(0)], 2)).toEqual({ pick: 1, slot: 0 });
    // a job of no lane goes to a worker with room, the least loaded first
    expect(nextAssignment(load, [job(1), job(null)], 2)).toEqual({ pick: 1, slot: 0 });
    expect(nextAssignment([{ inflight: 1, lastKey: null }, { inflight: 0, lastKey: null }], [job(null)], 2)).toEqual({ pick: 0, slot: 1 });
    // nothing in hand: it helps the other lane
    expect(nextAssignment([{ inflight: 0, lastKey: null }, { inflight: 2, lastKey: null }], [job(1)], 2)).toEqual({ pick: 0, slot: 0 });
  });

  it('prefers, among equally loaded workers, the one that used the job’s feature set last', () => {
    const load = [{ inflight: 0, lastKey: 'a' }, { inflight: 0, lastKey: 'b' }];
    expect(nextAssignment(load, [job(null, 'b')], 2)).toEqual({ pick: 0, slot: 1 });
    expect(nextAssignment(load, [job(null, 'c')], 2)).toEqual({ pick: 0, slot: 0 });
    // but a less loaded worker first: the key saves a copy, a free worker saves the wait
    expect(nextAssignment([{ inflight: 1, lastKey: 'b' }, { inflight: 0, lastKey: 'a' }], [job(null, 'b')], 2)).toEqual({ pick: 0, slot: 1 });
  });

  it('keeps two busy lanes on their own workers, spreads a job per lane over the workers, and leaves no job behind', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const workers = idle(2 + Math.floor(random() * 2));
      const depth = 1 + Math.floor(random() * 2);
      // each lane keeps a few jobs in the pool (the sweep's lanes keep two), until it has handed out its share
      const keep = 1 + Math.floor(random() * 3);
      const lanes = workers.length;
      const left = Array.from({ length: lanes }, () => 5 + Math.floor(random() * 20));
      const queue: { lane: number | null; prefer: string | null }[] = [];
      const inHand: number[][] = workers.map(() => []);
      const outstanding = new Array(lanes).fill(0);
      // jobs of no lane (a feature replay, the selected configuration's alerts) arrive now and then
      let laneless = 1 + Math.floor(random() * 3);
      const refill = () => {
        for (let l = 0; l < lanes; l++) {
          while (outstanding[l] < keep && left[l] > 0) {
            queue.push(job(l));
            outstanding[l]++;
            left[l]--;
          }
        }
        if (laneless > 0 && random() < 0.2) {
          queue.push(job(null));
          laneless--;
        }
      };
      refill();
      let steps = 0;
      while ((queue.length > 0 || inHand.some((h) => h.length > 0)) && steps++ < 10_000) {
        for (let next = nextAssignment(workers, queue, depth); next !== null; next = nextAssignment(workers, queue, depth)) {
          const [j] = queue.splice(next.pick, 1);
          // another lane's job only on a worker with nothing in hand; a job of no lane on a least loaded worker
          if (j.lane !== null && j.lane !== next.slot) expect(workers[next.slot].inflight).toBe(0);
          if (j.lane === null) expect(workers[next.slot].inflight).toBe(Math.min(...workers.map((w) => w.inflight)));
          // a job not of the taker's lane only when no worker with room has a job of its own lane waiting
          if (j.lane !== next.slot) {
            for (let w = 0; w < workers.length; w++) if (workers[w].inflight < depth) expect(queue.some((q) => q.lane === w)).toBe(false);
          }
          expect(workers[next.slot].inflight).toBeLessThan(depth);
          workers[next.slot].inflight++;
          inHand[next.slot].push(j.lane ?? -1);
        }
        // some worker answers its oldest job
        const busy = workers.map((_, i) => i).filter((i) => inHand[i].length > 0);
        if (busy.length === 0) break;
        const w = busy[Math.floor(random() * busy.length)];
        const lane = inHand[w].shift()!;
        workers[w].inflight--;
        if (lane >= 0) outstanding[lane]--;
        refill();
      }
      expect(queue).toHaveLength(0);
      expect(inHand.every((h) => h.length === 0)).toBe(true);
      expect(left.every((n) => n === 0)).toBe(true);
      expect(laneless === 0 || steps > 0).toBe(true);
    }
    // one job per lane (the sweep's baseline): each worker gets one
    const workers = idle(3);
    const queue = [job(0), job(1), job(2)];
    const slots: number[] = [];
    for (let next = nextAssignment(workers, queue, 2); next !== null; next = nextAssignment(workers, queue, 2)) {
      queue.splice(next.pick, 1);
      workers[next.slot].inflight++;
      slots.push(next.slot);
    }
    expect(slots.sort()).toEqual([0, 1, 2]);
    // the same with a worker already holding a job (the report's alerts): still one each, none left waiting
    const busy = [{ inflight: 1, lastKey: null }, { inflight: 0, lastKey: null }];
    const baseline = [job(0), job(1)];
    const given: number[] = [];
    for (let next = nextAssignment(busy, baseline, 2); next !== null; next = nextAssignment(busy, baseline, 2)) {
      baseline.splice(next.pick, 1);
      busy[next.slot].inflight++;
      given.push(next.slot);
    }
    expect(baseline).toHaveLength(0);
    expect(given.sort()).toEqual([0, 1]);
  });

  it('says when it has failed: a worker gone refuses every later job', async () => {
    const pool = new WorkerPool(1);
    try {
      expect(pool.failed).toBe(false);
      // a worker thread ending by itself, as a crash would end it
      const worker = (pool as unknown as { slots: { worker: Worker }[] }).slots[0].worker;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await worker.terminate();
      await exited;
      expect(pool.failed).toBe(true);
      await expect(pool.run({ kind: 'replay', config: {} as never })).rejects.toThrow(/sweep worker exited/);
    } finally {
      await pool.close();
    }
  });
});
