// Sweeps through BullMQ on a real redis-server (started here on a random loopback port, with a password):
// coordinator in this process, `regime worker` processes beside it, results compared byte for byte with the
// local sweep of the same spec. Faults are placed, never raced: a worker stops at a named kill point and is
// SIGKILLed there; the coordinator is SIGKILLed when it reports a committed batch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILL_ANNOUNCE } from '../data/kill-point.ts';
import { openStore, type Store } from '../data/store.ts';
import { UserError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { codeVersion } from '../queue/code-version.ts';
import { parseRedisUrl, reconnectDelaysFromEnv } from '../queue/redis-url.ts';
import { isConnectionLoss } from '../queue/connect.ts';
import { runQueuedSweep } from './queue-coordinator.ts';
import { QUEUE_NAME, QUEUE_PREFIX, decode, encode, refusalsKey } from './queue-protocol.ts';
import { MID_JOB_KILL_POINT, SweepComputer } from './queue-worker.ts';
import type { SweepReport } from './report.ts';
import { parseSweepSpec } from './spec.ts';
import { runSweep } from './sweep.ts';
import { freePort, startRedisServer, type LocalRedis } from '../testing/redis-server.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'q7-Sup3rSecret-redis-pw';
// a short real sweep: 12 grid points (4 invalid) + 4 random draws, two feature sets
const SPEC = {
  from: '2023-03-01',
  to: '2023-05-01',
  warmup_hours: 720,
  split: { holdout_from: '2023-04-10' },
  grid: { 'volatility.window_hours': [12, 24], 'volatility.thresholds.extreme': [1.4, 2, 3], 'rules.funding_abs_z': [1.5, 2.5] },
  random: { n: 4, seed: 5, params: { 'regime.chop.max_heat': { min: 0.3, max: 0.6, step: 0.1 } } },
  select: { metric: 'nab', min_alerts: 3 },
  score: { permutations: 50 },
};
// not so short that a busy machine stalls healthy jobs (the killed worker's lock is let go of by the test instead)
const LOCK_MS = 5000;
// how often workers look for a job whose lock lapsed: often, so the killed worker's job is found at once; a
// healthy job keeps its lock, so checking often cannot take it away
const STALL_CHECK_MS = 200;

let redis: LocalRedis;
let port: number;
let store: Store;
let tmp: string;
/** the in-process sweep of SPEC that every queued one must equal: started by beforeAll, awaited where compared */
let localSweep: Promise<SweepReport> | undefined;
let codeVersionBefore: string | undefined;
const children = new Set<ChildProcess>();
const url = (db: number) => `redis://:${PASSWORD}@127.0.0.1:${port}/${db}`;
const parquetOf = (r: SweepReport) => fs.readFileSync(path.join(r.dir, 'results.parquet'));

/** resolves when the child's stderr has shown `text`; rejects if it exits first */
function stderrSays(child: ChildProcess & { err: string }, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.err.includes(text)) return resolve();
    const onData = () => {
      if (child.err.includes(text)) {
        child.stderr!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`exited (${code ?? signal}) before saying '${text}':\n${child.err}`));
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

function startCli(args: string[], env: Record<string, string> = {}): ChildProcess & { err: string; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    err: string;
    out: string;
    exited: Promise<{ code: number | null; signal: string | null }>;
  };
  child.err = '';
  child.out = '';
  child.stderr!.on('data', (d) => (child.err += d));
  child.stdout!.on('data', (d) => (child.out += d));
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

/**
 * `work` unless a worker exits first: a sweep waits for workers however long, so a worker that died (e.g. at
 * start-up) fails the test at once with its output instead of after the test's timeout
 */
function whileWorkersRun<T>(work: Promise<T>, workers: ReturnType<typeof startCli>[]): Promise<T> {
  const died = workers.map((w) => w.exited.then(({ code, signal }) => Promise.reject(new Error(`a worker exited (${code ?? signal}) during the sweep:\n${w.err}`))));
  for (const d of died) d.catch(() => {});
  return Promise.race([work, ...died]);
}

const startWorker = (db: number, env: Record<string, string> = {}) => startCli(['worker', '--queue', url(db), '--lock-ms', String(LOCK_MS), '--stall-check-ms', String(STALL_CHECK_MS), '--verbose'], env);

async function stop(child: ReturnType<typeof startCli>): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  return child.exited;
}

/** a pino logger into a string, to search for the password */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('debug', stream as never), text: () => lines.join('') };
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

function expectNoPassword(...texts: string[]): void {
  for (const t of texts) {
    expect(t).not.toContain(PASSWORD);
    expect(t).not.toContain(encodeURIComponent(PASSWORD));
  }
}

beforeAll(async () => {
  // others edit this working tree while the test runs: the hash of the sources could differ between the
  // coordinator and a worker started seconds later, so the version is pinned here (and inherited by the workers)
  codeVersionBefore = process.env.REGIME_CODE_VERSION;
  process.env.REGIME_CODE_VERSION = `queue-test-${process.pid}`;
  redis = await startRedisServer(PASSWORD);
  port = redis.port;
  store = await openStore();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-queue-'));
  // runs while the first tests (which do not compare with it) start their CLIs and fail their connections
  localSweep = runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'local'), workers: 1, includeRows: true });
  localSweep.catch(() => {}); // its error is reported by the tests that await it
});

afterAll(async () => {
  // test files share worker processes: the pinned version must not outlive this file
  if (codeVersionBefore === undefined) delete process.env.REGIME_CODE_VERSION;
  else process.env.REGIME_CODE_VERSION = codeVersionBefore;
  for (const c of children) c.kill('SIGKILL');
  await localSweep?.catch(() => {});
  store?.close();
  await redis?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('redis URLs', () => {
  it('reconnects 5 times over 7 s by default; REGIME_REDIS_RECONNECT_MS or an option changes the waits', () => {
    const waits = (delays?: readonly number[]) => {
      const retry = parseRedisUrl('redis://127.0.0.1:6379/0', '--queue', delays).options.retryStrategy!;
      return [1, 2, 3, 4, 5, 6, 7].map((n) => retry(n));
    };
    expect(waits(reconnectDelaysFromEnv({}))).toEqual([500, 1000, 1500, 2000, 2000, null, null]);
    expect(waits(reconnectDelaysFromEnv({ REGIME_REDIS_RECONNECT_MS: '100, 50' }))).toEqual([100, 50, null, null, null, null, null]);
    expect(waits(reconnectDelaysFromEnv({ REGIME_REDIS_RECONNECT_MS: '' }))).toEqual([null, null, null, null, null, null, null]);
    expect(waits([20])).toEqual([20, null, null, null, null, null, null]);
    expect(() => reconnectDelaysFromEnv({ REGIME_REDIS_RECONNECT_MS: '100,soon' })).toThrow(/^REGIME_REDIS_RECONNECT_MS: expected comma-separated milliseconds/);
  });

  it('parses redis:// and rediss:// (TLS) and never shows the password', () => {
    const plain = parseRedisUrl(`redis://:${PASSWORD}@10.0.0.5:6380/3`);
    expect(plain.options).toMatchObject({ host: '10.0.0.5', port: 6380, db: 3, password: PASSWORD });
    expect(plain.options.tls).toBeUndefined();
    const tls = parseRedisUrl(`rediss://sweeper:${encodeURIComponent(PASSWORD)}@redis.example.org`);
    expect(tls.options).toMatchObject({ host: 'redis.example.org', port: 6379, db: 0, username: 'sweeper', password: PASSWORD, tls: { servername: 'redis.example.org' } });
    expectNoPassword(plain.shown, tls.shown);
    expect(tls.shown).toBe('rediss://redis.example.org/0 (credentials hidden)');
    for (const bad of [`http://:${PASSWORD}@h:1/0`, `redis://:${PASSWORD}@h:1/x`, `redis://:${PASSWORD}@h:1/0?tls=1`]) {
      let message = '';
      try {
        parseRedisUrl(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(UserError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/^--queue: /);
      expectNoPassword(message);
    }
  });

  it('versions the code by a hash of its sources: stable, and changed by any edit', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-code-'));
    fs.mkdirSync(path.join(repo, 'engine/sweep'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'engine/sweep/a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(repo, 'engine/sweep/a.test.ts'), 'tests do not count\n');
    const v1 = codeVersion(repo);
    expect(codeVersion(repo)).toBe(v1);
    fs.writeFileSync(path.join(repo, 'engine/sweep/a.test.ts'), 'still do not count\n');
    expect(codeVersion(repo)).toBe(v1);
    fs.writeFileSync(path.join(repo, 'engine/sweep/a.ts'), 'export const a = 2;\n');
    expect(codeVersion(repo)).not.toBe(v1);
    fs.rmSync(repo, { recursive: true, force: true });
    const computer = new SweepComputer(store, 'a'.repeat(64), 'v-here');
    const job = { sweepId: 's', specHash: 'h', spec: '{}', datasetHash: 'a'.repeat(64), codeVersion: 'v-there', gitCommit: '0123456789abcdef', configs: [] };
    expect(computer.refusal(job)).toBe("code version v-here here differs from the coordinator's v-there (git 0123456789ab): run the same checkout and npm ci on both");
    expect(computer.refusal({ ...job, codeVersion: 'v-here' })).toBeNull();
  });

  it('keeps every double exactly through the job codec', () => {
    const v = { a: -0, b: NaN, c: Infinity, d: -Infinity, e: 0.1 + 0.2, f: null, g: [1e-300, -5e-324] };
    const back = decode<typeof v>(encode(v));
    expect(Object.is(back.a, -0)).toBe(true);
    expect(back.b).toBeNaN();
    expect([back.c, back.d, back.e, back.f, back.g]).toEqual([Infinity, -Infinity, 0.1 + 0.2, null, [1e-300, -5e-324]]);
  });
});

describe('a connection lost under a command', () => {
  it('is told apart from other failures, whichever of the command and the client gives up first', () => {
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.'), { name: 'MaxRetriesPerRequestError' });
    expect(isConnectionLoss(maxRetries)).toBe(true);
    expect(isConnectionLoss(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionLoss(new Error('read ECONNRESET'))).toBe(true);
    expect(isConnectionLoss(new Error('WRONGPASS invalid username-password pair'))).toBe(false);
    expect(isConnectionLoss(new Error('queue: configurations a, b came back without results three times'))).toBe(false);
  });
});

describe('regime sweep --queue', () => {
  it('fails with a clear error, not a hang, when Redis is unreachable', async () => {
    const closed = await freePort();
    const err = await runQueuedSweep(store, parseSweepSpec(SPEC), { queue: `redis://:${PASSWORD}@127.0.0.1:${closed}/0`, resultsDir: path.join(tmp, 'unreachable') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(1);
    expect((err as Error).message).toMatch(new RegExp(`^sweep --queue: cannot reach Redis at redis://127\\.0\\.0\\.1:${closed}/0 \\(credentials hidden\\): .*ECONNREFUSED`));
    expectNoPassword((err as Error).message);
    // a wrong password is as clear
    const wrong = await runQueuedSweep(store, parseSweepSpec(SPEC), { queue: `redis://:not-the-password@127.0.0.1:${port}/0`, resultsDir: path.join(tmp, 'wrong') }).catch((e: unknown) => e);
    expect((wrong as Error).message).toMatch(/cannot reach Redis at .*(WRONGPASS|invalid password)/i);
    // and so is the CLI: one line, exit code 1
    const cli = startCli(['sweep', '--spec', writeSpec(), '--results', path.join(tmp, 'cli-unreachable'), '--queue', `redis://:${PASSWORD}@127.0.0.1:${closed}/0`]);
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
    expect(cli.err).toMatch(/^error: sweep --queue: cannot reach Redis/);
    expectNoPassword(cli.err);
  });

  // this and the next run side by side, each on its own Redis: this one spends ~7 s of wall time idle while the
  // client's bounded reconnects run out, which the 1-worker sweep fills with work (the closed-port test above
  // stays alone, so no Redis started here can take the port it expects to find closed)
  it.concurrent('fails with a clear error, not a hang, when Redis goes away mid-sweep', async () => {
    // a Redis of its own, stopped once the coordinator has sent its first job (no worker takes it)
    const lonePort = await freePort();
    const lone = spawn('redis-server', ['--port', String(lonePort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => {
      let out = '';
      lone.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
    });
    const log = capturedLogger();
    // two quick reconnects instead of the 7 s default: the test is about the error at the end, not the waits
    const sweep = runQueuedSweep(store, parseSweepSpec(SPEC), { queue: `redis://:${PASSWORD}@127.0.0.1:${lonePort}/0`, resultsDir: path.join(tmp, 'gone'), logger: log.logger, reconnectDelaysMs: [100, 100] });
    const watcher = new Redis({ port: lonePort, host: '127.0.0.1', password: PASSWORD });
    // the first job in the queue's wait list: BullMQ keeps it at <prefix>:<queue>:wait
    while ((await watcher.llen(`${QUEUE_PREFIX}:${QUEUE_NAME}:wait`)) === 0) await new Promise((r) => setTimeout(r, 100));
    watcher.disconnect();
    lone.kill('SIGKILL');
    const err = await sweep.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(new RegExp(`^sweep --queue: lost the connection to Redis at redis://127\\.0\\.0\\.1:${lonePort}/0 \\(credentials hidden\\)`));
    expectNoPassword((err as Error).message, log.text());
  });

  it.concurrent('gives byte-identical results with 1 worker process', { timeout: 300_000 }, async () => {
    const worker = startWorker(1);
    const log = capturedLogger();
    const r = await whileWorkersRun(runQueuedSweep(store, parseSweepSpec(SPEC), { queue: url(1), batch: 3, resultsDir: path.join(tmp, 'one'), includeRows: true, logger: log.logger }), [worker]);
    expect(await stop(worker)).toEqual({ code: 0, signal: null });
    const local = await localSweep!;
    expect(r.complete).toBe(true);
    expect(r.sweep_id).toBe(local.sweep_id);
    expect(parquetOf(r).equals(parquetOf(local))).toBe(true);
    expect(r.rows).toEqual(local.rows);
    expect(r.queue.workers_seen).toBe(1);
    // a job whose lock lapsed on a busy machine is run again, and then skips what is stored: never more than once each
    expect(r.queue.computed_by_workers).toBeLessThanOrEqual(local.configurations.valid);
    // no password in the coordinator's logs, the worker's output, the report or any file written
    expectNoPassword(log.text(), worker.err, JSON.stringify(r), ...filesUnder(r.dir).filter((f) => f.endsWith('.json')).map((f) => fs.readFileSync(f, 'utf8')));
    expect(log.text()).toContain('credentials hidden');
    // rerunning the coordinator finds every configuration stored: nothing goes to the queue
    const again = await runQueuedSweep(store, parseSweepSpec(SPEC), { queue: url(1), batch: 3, resultsDir: path.join(tmp, 'one') });
    expect(again.run.computed).toBe(0);
    expect(again.queue.jobs).toBe(0);
    expect(parquetOf(again).equals(parquetOf(local))).toBe(true);
  });

  it('gives byte-identical results with 3 worker processes, one killed (kill -9) mid-job', { timeout: 300_000 }, async () => {
    // the first worker is alone, so it takes the first job; it stops after storing that job's first result
    const doomed = startWorker(2, { REGIME_KILL_AT: MID_JOB_KILL_POINT });
    const sweep = runQueuedSweep(store, parseSweepSpec(SPEC), { queue: url(2), batch: 4, resultsDir: path.join(tmp, 'three'), includeRows: true });
    await stderrSays(doomed, `${KILL_ANNOUNCE} ${MID_JOB_KILL_POINT}`);
    doomed.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // its lock would lapse within LOCK_MS; deleting it now is that lapse without the wait (no other worker has
    // started yet, so every active job is the killed worker's)
    const admin = new Redis(parseRedisUrl(url(2)).options);
    for (const id of await admin.lrange(`${QUEUE_PREFIX}:${QUEUE_NAME}:active`, 0, -1)) await admin.del(`${QUEUE_PREFIX}:${QUEUE_NAME}:${id}:lock`);
    await admin.quit();
    // two more: one of them takes the stalled job once its lock has expired, and skips the stored result
    const others = [startWorker(2), startWorker(2)];
    const r = await whileWorkersRun(sweep, others);
    const exits = await Promise.all(others.map(stop));
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
    const local = await localSweep!;
    expect(r.complete).toBe(true);
    expect(parquetOf(r).equals(parquetOf(local))).toBe(true);
    expect(r.rows).toEqual(local.rows);
    // nothing lost, nothing recorded twice (the same rows, byte for byte); the killed worker's stored result was
    // not computed again: the jobs' counts leave it out
    expect(r.configurations.tried).toBe(local.configurations.tried);
    expect(r.queue.computed_by_workers).toBeLessThanOrEqual(local.configurations.valid - 1);
    expect(r.queue.workers_seen).toBeGreaterThanOrEqual(1);
  });

  it('picks up after the coordinator is killed (kill -9) mid-sweep', { timeout: 300_000 }, async () => {
    const worker = startWorker(3);
    const dir = path.join(tmp, 'restart');
    const coordinator = startCli(['sweep', '--spec', writeSpec(), '--results', dir, '--queue', url(3), '--batch', '2', '--verbose']);
    // killed the moment it reports a committed batch of results (or wherever it is if it never does)
    await stderrSays(coordinator, 'results committed').catch(() => {});
    coordinator.kill('SIGKILL');
    await coordinator.exited;
    expectNoPassword(coordinator.err);
    const r = await whileWorkersRun(runQueuedSweep(store, parseSweepSpec(SPEC), { queue: url(3), batch: 2, resultsDir: dir, includeRows: true }), [worker]);
    await stop(worker);
    const local = await localSweep!;
    expect(r.complete).toBe(true);
    expect(r.run.resumed).toBeGreaterThan(0);
    expect(r.configurations.tried).toBe(local.configurations.tried);
    expect(parquetOf(r).equals(parquetOf(local))).toBe(true);
  });
});

describe('regime worker', () => {
  it('refuses a job from a coordinator with another dataset: the job goes back to the queue, the worker exits with a clear error', async () => {
    const connection = parseRedisUrl(url(4)).options;
    const queue = new Queue(QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
    const redis = new Redis(connection);
    try {
      const spec = parseSweepSpec(SPEC);
      await queue.add('configurations', { sweepId: 'feedfacecafebeef', specHash: spec.hash, spec: encode(spec.canonical), datasetHash: 'ab'.repeat(32), codeVersion: 'cd'.repeat(32), gitCommit: null, configs: [{ id: 'x', params: '{}' }] }, { jobId: 'refused-job' });
      const worker = startCli(['worker', '--queue', url(4)]);
      const { code } = await worker.exited;
      expect(code).toBe(1);
      expect(worker.err).toMatch(/error: worker .* refused sweep feedfacecafebeef: dataset manifest hash \w+ here differs from the coordinator's abababababab \(copy the coordinator's datasets\/ folder/);
      expectNoPassword(worker.err);
      expect(await (await queue.getJob('refused-job'))!.getState()).toBe('waiting');
      const refusals = await redis.lrange(refusalsKey('feedfacecafebeef'), 0, -1);
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatch(/dataset manifest hash/);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  });
});

function writeSpec(): string {
  const file = path.join(tmp, 'spec.json');
  if (!fs.existsSync(file)) fs.writeFileSync(file, JSON.stringify(SPEC));
  return file;
}
