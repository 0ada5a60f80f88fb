/**
 * The queue figure for `npm run bench`: the 1,000-configuration bench sweep (bench.ts) in process (worker
 * threads) and through BullMQ on a local redis-server with 1 and 2 `regime worker` processes, as
 * configurations/s, the queue's overhead as the ratio to the in-process sweep. Each run starts from an empty
 * results folder; the workers are up (data not yet loaded: that is part of their first job) before the clock starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../data/store.ts';
import { BENCH_SPEC } from './bench.ts';
import { runQueuedSweep } from './queue-coordinator.ts';
import { parseSweepSpec } from './spec.ts';
import { runSweep } from './sweep.ts';
import { startRedisServer } from '../testing/redis-server.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const BATCH = 50;

function startUntil(cmd: string, args: string[], ready: string, stream: 'stdout' | 'stderr'): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child[stream]!.on('data', (d) => {
      text += d;
      if (text.includes(ready)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${cmd} ${args[0] ?? ''} exited (${code}) before it was ready: ${text.slice(-500)}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function benchQueue(): Promise<string[]> {
  if (!fs.existsSync('/usr/bin/redis-server')) return ['## Queue sweep: skipped (no redis-server; apt-get install redis-server)'];
  const lines = ['## Queue sweep: 1,000 configurations in process vs through BullMQ on a local redis-server'];
  const spec = parseSweepSpec(BENCH_SPEC);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-bench-queue-'));
  const redis = await startRedisServer();
  const port = redis.port;
  const store = await openStore();
  const workers: ChildProcess[] = [];
  // the workers run from this checkout by construction; pinned so an edit elsewhere in the tree meanwhile
  // does not make them refuse the coordinator's jobs
  const pinned = process.env.REGIME_CODE_VERSION;
  process.env.REGIME_CODE_VERSION ??= `bench-${process.pid}`;
  try {
    const t0 = performance.now();
    const local = await runSweep(store, spec, { resultsDir: path.join(tmp, 'local') });
    const localMs = performance.now() - t0;
    const perSecond = (ms: number) => (local.configurations.tried / ms) * 1000;
    lines.push(`in process (${local.run.workers} worker threads)   ${(localMs / 1000).toFixed(2)} s = ${perSecond(localMs).toFixed(0)} configurations/s`);
    for (const n of [1, 2]) {
      const url = `redis://127.0.0.1:${port}/${n}`;
      for (let i = 0; i < n; i++) workers.push(await startUntil(process.execPath, ['scripts/regime.mjs', 'worker', '--queue', url], 'taking sweep jobs', 'stderr'));
      const t1 = performance.now();
      const r = await runQueuedSweep(store, spec, { queue: url, batch: BATCH, resultsDir: path.join(tmp, `queue-${n}`) });
      const ms = performance.now() - t1;
      const same = fs.readFileSync(path.join(r.dir, 'results.parquet')).equals(fs.readFileSync(path.join(local.dir, 'results.parquet')));
      lines.push(
        `queue, ${n} worker process${n === 1 ? ' ' : 'es'}          ${(ms / 1000).toFixed(2)} s = ${perSecond(ms).toFixed(0)} configurations/s   ${(ms / localMs).toFixed(2)}× the in-process time   ${r.queue.jobs} jobs of ${BATCH}   results ${same ? 'byte-identical' : 'DIFFER'}`,
      );
      await Promise.all(workers.splice(0).map(stopChild));
    }
    lines.push(`  (${os.availableParallelism()} CPUs shared by coordinator, workers and redis-server; each worker loads the data and replays the feature set on its first job)`);
  } finally {
    if (pinned === undefined) delete process.env.REGIME_CODE_VERSION;
    await Promise.all(workers.map(stopChild));
    store.close();
    await redis.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return lines;
}
