// The resident sweep server against sweeps run in this process: the same results, reports and errors, over a real
// Unix socket; a client that leaves mid-sweep; a stale socket; the CLI's two commands end to end.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATASETS_DIR } from '../data/layout.ts';
import { openStore, type Store } from '../data/store.ts';
import { UserError } from '../errors.ts';
import { sweepReportOutput, type SweepReport } from './report.ts';
import { currentCodeVersion } from '../queue/code-version.ts';
import { PROTOCOL_VERSION, type SweepRequest } from './server-protocol.ts';
import { sweepOnServer } from './sweep-client.ts';
import { startSweepServer, type SweepServer } from './sweep-server.ts';
import { parseSweepSpec } from './spec.ts';
import { runSweep, sweepWorkerPool } from './sweep.ts';
import type { WorkerPool } from './pool.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SPEC = {
  from: '2023-03-01',
  to: '2023-05-01',
  warmup_hours: 720,
  split: { holdout_from: '2023-04-10' },
  grid: { 'volatility.thresholds.extreme': [1.4, 2, 3], 'rules.funding_abs_z': [1.5, 2.5] },
  random: { n: 4, seed: 5, params: { 'regime.chop.max_heat': { min: 0.3, max: 0.6, step: 0.1 } } },
  select: { metric: 'nab', min_alerts: 3 },
  score: { permutations: 50 },
};

let store: Store;
let tmp: string;
let specFile: string;
let server: SweepServer;
let local: SweepReport;

/** what a run's report says apart from how the run went (timings) and where it was written */
const stable = (r: SweepReport) => ({ ...r, run: undefined, dir: undefined });
const parquet = (dir: string) => fs.readFileSync(path.join(dir, 'results.parquet'));
/** where the server writes SPEC's sweep (a sweep's folder is named by its spec and dataset) */
const servedDir = () => path.join(tmp, 'served', 'sweeps', path.basename(local.dir));
/** whether a sweep's debug log says its inputs came from the server's memory rather than from the cache file */
const keptInputs = (log: string) =>
  log.split('\n').some((line) => {
    if (!line.startsWith('{')) return false;
    const o = JSON.parse(line) as { msg?: string; kept?: boolean };
    return o.msg === 'data and markets from the cache' && o.kept === true;
  });
/** a printed report without what differs run to run: its timings and its results folder */
const comparable = (text: string, dir: string) => text.replaceAll(dir, '<dir>').replace(/[\d.,]+\/s/g, 'N/s').replace(/\d[\d.,]* ?(ms|s)\b/g, 'T');

function request(over: Partial<SweepRequest> = {}): SweepRequest {
  return {
    v: PROTOCOL_VERSION,
    code: currentCodeVersion(),
    spec: specFile,
    results: path.join(tmp, 'served'),
    json: path.join(tmp, 'served.json'),
    limit: null,
    featureCache: true,
    datasets: DEFAULT_DATASETS_DIR,
    db: null,
    logLevel: 'warn',
    verbose: false,
    ...over,
  };
}

/**
 * SPEC sent again into the same results folder with its earlier sweep's folder removed, so that every configuration is
 * computed again while the cache files the server keeps by name stay the same; debug log, report as JSON
 */
async function serveSpecAgain() {
  fs.rmSync(servedDir(), { recursive: true });
  const a = await ask(request({ json: true, logLevel: 'debug' }));
  return { ...a, report: JSON.parse(a.stdout) as SweepReport };
}

/** every configuration computed again, and the same report and results.parquet as the in-process sweep */
function expectRecomputedAsLocal(report: SweepReport): void {
  expect(report.run.computed).toBe(local.run.computed);
  expect(stable(report)).toEqual(JSON.parse(JSON.stringify(stable(local))));
  expect(parquet(report.dir).equals(parquet(local.dir))).toBe(true);
}

async function ask(req: SweepRequest, socket = server.socket) {
  const out = { progress: [] as number[], stdout: '', stderr: '' };
  const answer = await sweepOnServer(socket, req, {
    progress: (done) => out.progress.push(done),
    stdout: (t) => (out.stdout += t),
    stderr: (t) => (out.stderr += t),
  });
  return { ...answer, ...out };
}

beforeAll(async () => {
  store = await openStore();
  // short: a Unix socket's path has at most 107 bytes
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-ss-'));
  specFile = path.join(tmp, 'spec.json');
  fs.writeFileSync(specFile, JSON.stringify(SPEC));
  local = await runSweep(store, parseSweepSpec(SPEC, tmp), { resultsDir: path.join(tmp, 'local'), workers: 2, includeRows: true });
  server = await startSweepServer({ socket: path.join(tmp, 's.sock'), workers: 2 });
});
afterAll(async () => {
  await server?.close();
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('regime sweep-server', () => {
  it('answers a sweep with the results, report and output of the same sweep run in-process', async () => {
    const a = await ask(request());
    expect(a).toMatchObject({ exit: 0, error: null });
    const served = JSON.parse(fs.readFileSync(path.join(tmp, 'served.json'), 'utf8')) as SweepReport;
    expect(stable(served)).toEqual(JSON.parse(JSON.stringify(stable(local))));
    expect(parquet(served.dir).equals(parquet(local.dir))).toBe(true);
    // the text the CLI prints, but for the run's own timings and folder
    expect(comparable(a.stdout, served.dir)).toBe(comparable(sweepReportOutput(local, undefined), local.dir));
    // progress came as the configurations finished, up to all of them
    expect(a.progress.length).toBeGreaterThan(1);
    expect(a.progress.at(-1)).toBe(local.configurations.planned);
    expect(server.served).toBe(1);
  });

  it('keeps the inputs between sweeps: the same sweep again reads them from memory and gives the same results', async () => {
    const a = await serveSpecAgain();
    expect(a.exit).toBe(0);
    expect(keptInputs(a.stderr)).toBe(true);
    expectRecomputedAsLocal(a.report);
  });

  it('gives the same results after other sweeps: what its workers keep between sweeps on the same inputs changes no bit', async () => {
    // other thresholds on the same inputs first, so the workers' kept state and caches come from other configurations
    const other = path.join(tmp, 'other.json');
    fs.writeFileSync(other, JSON.stringify({ ...SPEC, random: { ...SPEC.random, seed: 6 }, grid: { 'volatility.thresholds.extreme': [2.2, 2.6], 'rules.funding_abs_z': [1.2, 3] } }));
    const o = await ask(request({ spec: other, json: false, logLevel: 'debug' }));
    expect(o.exit).toBe(0);
    expect(keptInputs(o.stderr)).toBe(true);
    const a = await serveSpecAgain();
    expect(keptInputs(a.stderr)).toBe(true);
    expectRecomputedAsLocal(a.report);
  });

  it('refuses a sweep it would answer differently: other code, other datasets, another database', async () => {
    const sweeps = () => fs.readdirSync(path.join(tmp, 'served', 'sweeps')).sort();
    const before = sweeps();
    const code = await ask(request({ code: 'other' }));
    expect(code.exit).toBe(1);
    expect(code.error).toMatch(/runs other code .* than this command \(other\).*stop it and start it again/);
    const datasets = await ask(request({ datasets: tmp }));
    expect(datasets.exit).toBe(2);
    expect(datasets.error).toContain(`--datasets ${tmp}: the sweep server at ${server.socket} reads ${DEFAULT_DATASETS_DIR}`);
    const db = await ask(request({ db: path.join(tmp, 'x.duckdb') }));
    expect(db.error).toMatch(/^error: --db: the sweep server .* uses an in-memory database/);
    // nothing was written for them
    expect(sweeps()).toEqual(before);
  });

  it('reports a bad spec as the CLI does: exit 2 and the file named', async () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...SPEC, select: { metric: 'nope' } }));
    const a = await ask(request({ spec: bad }));
    expect(a.exit).toBe(2);
    expect(a.error).toMatch(new RegExp(`^error: ${bad}: `));
    expect(a.error).not.toContain('    at ');
    const verbose = await ask(request({ spec: bad, verbose: true }));
    expect(verbose.error).toContain('    at ');
  });

  it('refuses a request of another protocol version or shape', async () => {
    expect(await ask(request({ v: PROTOCOL_VERSION + 1 }))).toMatchObject({ exit: 1, error: expect.stringMatching(/protocol 2 asked, this server speaks 1/) });
    expect(await ask({ ...request(), limit: -1 })).toMatchObject({ exit: 1, error: expect.stringMatching(/bad request \(limit: /) });
  });

  it('finishes and keeps a sweep whose client went away; the same sweep then reads it back', async () => {
    const before = server.served;
    const results = path.join(tmp, 'left');
    await new Promise<void>((resolve) => {
      const c = net.connect(server.socket);
      c.setEncoding('utf8');
      c.on('connect', () => c.write(`${JSON.stringify(request({ results, json: false }))}\n`));
      // gone at the first progress message: mid-sweep
      c.on('data', () => {
        c.destroy();
        resolve();
      });
    });
    // the next request queues behind the one left: its answer comes once that sweep is done
    const a = await ask(request({ results, json: true }));
    expect(server.served).toBe(before + 2);
    const report = JSON.parse(a.stdout) as SweepReport;
    expect(report.run.computed).toBe(0);
    expect(report.run.resumed).toBe(local.configurations.planned);
    expect(parquet(report.dir).equals(parquet(local.dir))).toBe(true);
  });

  it('drops a connection whose request line never ends, and goes on serving', async () => {
    const socket = path.join(tmp, 'small.sock');
    const small = await startSweepServer({ socket, workers: 1, maxRequest: 1000 });
    try {
      const closed = await new Promise<boolean>((resolve) => {
        const c = net.connect(socket, () => c.write('x'.repeat(5000)));
        c.on('close', () => resolve(true));
        c.on('error', () => undefined);
      });
      expect(closed).toBe(true);
      const a = await ask(request({ spec: path.join(tmp, 'missing.json') }), socket);
      expect(a.exit).toBe(2);
      expect(a.error).toContain('missing.json: cannot read spec (ENOENT)');
      expect(small.served).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('replaces its workers when one fails: the sweep it was running fails, the next one is answered', async () => {
    const pools: WorkerPool[] = [];
    const socket = path.join(tmp, 'crash.sock');
    const crashing = await startSweepServer({ socket, workers: 1, makePool: (n) => (pools.push(sweepWorkerPool(n)), pools.at(-1)!) });
    try {
      // the worker thread ends as a crash would end it, before the sweep
      const worker = (pools[0] as unknown as { slots: { worker: Worker }[] }).slots[0].worker;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      await worker.terminate();
      await exited;
      const failed = await ask(request({ results: path.join(tmp, 'crash-1'), json: false }), socket);
      expect(failed.exit).toBe(1);
      expect(failed.error).toContain('sweep worker exited');
      expect(pools).toHaveLength(2);
      const a = await ask(request({ results: path.join(tmp, 'crash-2'), json: true }), socket);
      expect(a.exit).toBe(0);
      expect(parquet((JSON.parse(a.stdout) as SweepReport).dir).equals(parquet(local.dir))).toBe(true);
    } finally {
      await crashing.close();
    }
  });

  it('listens on a socket only its user can open, and will not start twice on one', async () => {
    expect(fs.statSync(server.socket).mode & 0o777).toBe(0o600);
    await expect(startSweepServer({ socket: server.socket })).rejects.toThrow(`a sweep server already listens at ${server.socket}`);
    const file = path.join(tmp, 'not-a-socket');
    fs.writeFileSync(file, '');
    await expect(startSweepServer({ socket: file })).rejects.toThrow(/exists and is not a socket/);
  });

  it('takes over the socket file a server that is gone left behind', async () => {
    const socket = path.join(tmp, 'stale.sock');
    // a socket file nobody listens on: its server killed (SIGKILL) once it listened
    const dead = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => dead.stdout.once('data', () => r()));
    const gone = new Promise<void>((r) => dead.on('exit', () => r()));
    dead.kill('SIGKILL');
    await gone;
    expect(fs.statSync(socket).isSocket()).toBe(true);
    const second = await startSweepServer({ socket, workers: 1 });
    try {
      expect(fs.statSync(socket).isSocket()).toBe(true);
    } finally {
      await second.close();
    }
    expect(fs.existsSync(socket)).toBe(false);
  });

  it('a client with no server gets one clear line', async () => {
    await expect(ask(request(), path.join(tmp, 'none.sock'))).rejects.toThrow(new UserError(`--server ${path.join(tmp, 'none.sock')}: no sweep server listens there (start one with \`regime sweep-server\`)`, 1));
  });
});

describe('regime sweep-server and regime sweep --server, as commands', () => {
  it('serves the CLI: the same output as a sweep run by the CLI alone; Ctrl-C stops the server and removes its socket', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'cli-'));
    const socket = path.join(dir, 's.sock');
    const env = { ...process.env, REGIME_RESULTS_DIR: dir, CI: '1' };
    const cli = path.join(REPO, 'scripts', 'regime.mjs');
    const srv = spawn(process.execPath, [cli, 'sweep-server', '--socket', socket, '--workers', '1'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    srv.stderr.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      srv.stderr.on('data', (t: string) => {
        said += t;
        if (said.includes('listening on')) resolve();
      });
      srv.on('exit', (code) => reject(new Error(`sweep-server exited (${code}): ${said}`)));
    });
    try {
      expect(said).toContain(`1 workers, listening on ${socket}`);
      const run = (args: string[]) => spawnSync(process.execPath, [cli, 'sweep', '--spec', specFile, ...args], { env, encoding: 'utf8' });
      const served = run(['--server', socket, '--results', path.join(dir, 'a')]);
      expect(served.stderr).toBe('');
      expect(served.status).toBe(0);
      const alone = run(['--results', path.join(dir, 'b'), '--workers', '1']);
      expect(alone.status).toBe(0);
      expect(comparable(served.stdout, path.join(dir, 'a'))).toBe(comparable(alone.stdout, path.join(dir, 'b')));
      const both = run(['--server', socket, '--workers', '2']);
      expect(both.status).toBe(2);
      expect(both.stderr).toBe('error: --workers: not with --server (the server keeps the workers it was started with)\n');
      const exited = new Promise<number | null>((r) => srv.on('exit', (code) => r(code)));
      srv.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(fs.existsSync(socket)).toBe(false);
    } finally {
      // a failed assertion must not leave a server (and its worker) loading the rest of the suite
      if (srv.exitCode === null && srv.signalCode === null) srv.kill('SIGKILL');
    }
    // three CLI processes and a server with its worker: ≈ 4 s idle, 25 s measured under heavy load
  }, 240_000);
});
