/**
 * A resident sweep process: it keeps one worker pool (and one dataset store) between sweeps, so a sweep sent to it
 * finds every isolate's code compiled and pays no process start, no module loading and no JIT warm-up; it keeps the
 * inputs read from the cache (SweepMemo), and its workers what they built from them (SweepJobs.renew). A 1,000
 * configuration sweep spends about a third of its CPU on those in a process of its own (the bench's
 * JIT warm-up and NO JIT WARM-UP lines), as build tools find for their daemons.
 *
 * Sweeps run one at a time, in the order asked, each exactly as `regime sweep` runs it (runSweep: same results
 * folder, resume, cache, report); a client that goes away does not stop its sweep: its results are stored and a
 * second run of the same spec reads them back. Listens on a Unix socket only its user may open.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as z from 'zod';
import { lazyStore, type LazyStore } from '../data/store.ts';
import { errorLine, exitCodeOf, UserError } from '../errors.ts';
import { createLogger, silentLogger, type Logger } from '../log.ts';
import type { WorkerPool } from './pool.ts';
import { sweepReportOutput } from './report.ts';
import { currentCodeVersion } from '../queue/code-version.ts';
import { lineReader, PROTOCOL_VERSION, type ServerMessage, type SweepRequest } from './server-protocol.ts';
import { loadSweepSpec } from './spec.ts';
import { runSweep, sweepWorkerPool } from './sweep.ts';
import { SweepMemo } from './sweep-memo.ts';

export interface SweepServerOptions {
  socket: string;
  /** worker threads kept (default: the CPU count) */
  workers?: number;
  datasets?: string;
  db?: string;
  /** the server's own log (what it served, what failed) */
  log?: Logger;
  /** a request line longer than this (characters) drops its connection instead of being buffered */
  maxRequest?: number;
  /** makes the worker pool, at the start and after a worker failed (default sweepWorkerPool; tests keep a handle) */
  makePool?: (workers: number | undefined) => WorkerPool;
}

export interface SweepServer {
  readonly socket: string;
  readonly workers: number;
  /** sweeps answered so far (failures included) */
  readonly served: number;
  /** stops listening, removes the socket, ends the workers (a sweep still running fails; it can be resumed) */
  close(): Promise<void>;
}

const requestSchema = z.object({
  v: z.number(),
  code: z.string(),
  spec: z.string().min(1),
  results: z.string().min(1),
  json: z.union([z.string().min(1), z.boolean()]),
  limit: z.number().int().positive().nullable(),
  featureCache: z.boolean(),
  datasets: z.string().min(1),
  db: z.string().nullable(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  verbose: z.boolean(),
}) satisfies z.ZodType<SweepRequest>;

/** a request is a few paths and options: far below this */
const MAX_REQUEST = 2 ** 20;

/** progress messages at most this often (the last one always goes) */
const PROGRESS_MS = 100;

/** the longest path a Unix socket takes on Linux (sun_path is 108 bytes with its terminating zero) */
const MAX_SOCKET_PATH = 107;

export async function startSweepServer(opts: SweepServerOptions): Promise<SweepServer> {
  const socket = path.resolve(opts.socket);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) throw new UserError(`--socket: ${socket} is longer than the ${MAX_SOCKET_PATH} bytes a Unix socket path may have`);
  await claimSocket(socket);
  const log = opts.log ?? silentLogger;
  const store = lazyStore({ datasetsDir: opts.datasets, dbPath: opts.db });
  const makePool = opts.makePool ?? sweepWorkerPool;
  let pool = makePool(opts.workers);
  const memo = new SweepMemo();
  const dbPath = opts.db === undefined ? null : path.resolve(opts.db);
  const code = currentCodeVersion();
  let served = 0;
  // one sweep at a time: they share the workers
  let queue: Promise<void> = Promise.resolve();
  const connections = new Set<net.Socket>();

  const server = net.createServer((conn) => {
    connections.add(conn);
    conn.setEncoding('utf8');
    let asked = false;
    const read = lineReader(
      (line) => {
        if (asked) return;
        asked = true;
        queue = queue.then(() => serve(conn, line)).catch((err: unknown) => log.error({ err: (err as Error).message }, 'sweep server: a request failed outside its sweep'));
      },
      () => conn.destroy(),
      opts.maxRequest ?? MAX_REQUEST,
    );
    conn.on('data', read);
    conn.on('error', () => undefined);
    conn.on('close', () => connections.delete(conn));
  });

  async function serve(conn: net.Socket, line: string): Promise<void> {
    // a client gone before its turn asked for nothing any more
    if (conn.destroyed) return;
    const send = (m: ServerMessage) => {
      if (!conn.destroyed) conn.write(`${JSON.stringify(m)}\n`);
    };
    let verbose = false;
    const t0 = performance.now();
    let progressAt = -Infinity;
    try {
      const req = parseRequest(line);
      verbose = req.verbose;
      checkRequest(req, { code, socket, store, dbPath });
      const spec = loadSweepSpec(req.spec);
      const logger = createLogger(req.logLevel, { write: (text: string) => send({ t: 'stderr', text }) });
      const report = await runSweep(store, spec, {
        pool,
        memo,
        limit: req.limit ?? undefined,
        resultsDir: req.results,
        includeRows: Boolean(req.json),
        featureCache: req.featureCache ? undefined : false,
        logger,
        onProgress: (done, total) => {
          // a message per configuration was ≈ 5 % of a core taken from the workers; the client redraws at most every
          // 250 ms anyway (progress.ts)
          const now = performance.now();
          if (done < total && now - progressAt < PROGRESS_MS) return;
          progressAt = now;
          send({ t: 'progress', done, total });
        },
      });
      send({ t: 'stdout', text: sweepReportOutput(report, req.json) });
      send({ t: 'end', exit: 0, error: null });
      log.info({ sweep_id: report.sweep_id, configurations: report.run.computed, ms: Math.round(performance.now() - t0) }, 'sweep served');
    } catch (err) {
      send({ t: 'end', ...errorAnswer(err, verbose) });
      log.warn({ err: (err as Error).message }, 'sweep failed');
    } finally {
      served++;
      conn.end();
      // a worker that failed or exited fails every later sweep: the next one gets new workers (and their warm-up)
      if (pool.failed) {
        log.warn({ workers: pool.size }, 'sweep server: a worker failed; starting new ones');
        await pool.close().catch(() => undefined);
        pool = makePool(opts.workers);
      }
    }
  }

  await listenPrivately(server, socket);
  // after it listens, a failure of the listening socket is logged, not thrown where nothing catches it
  server.on('error', (err) => log.error({ err: err.message, socket }, 'sweep server socket failed'));
  return {
    socket,
    workers: pool.size,
    get served() {
      return served;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.destroy();
      });
      fs.rmSync(socket, { force: true });
      await pool.close();
      store.close();
    },
  };
}

function parseRequest(line: string): SweepRequest {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new UserError('sweep server: the request is not JSON (a client of another version?)', 1);
  }
  const v = (json as { v?: unknown } | null)?.v;
  if (v !== PROTOCOL_VERSION) throw new UserError(`sweep server: protocol ${String(v)} asked, this server speaks ${PROTOCOL_VERSION}: start a server of this version`, 1);
  const r = requestSchema.safeParse(json);
  if (!r.success) throw new UserError(`sweep server: bad request (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`, 1);
  return r.data;
}

/** what would make the server's answer differ from the client's own run: refused rather than answered */
function checkRequest(req: SweepRequest, server: { code: string; socket: string; store: LazyStore; dbPath: string | null }): void {
  if (req.code !== server.code) {
    throw new UserError(`the sweep server at ${server.socket} runs other code (${server.code}) than this command (${req.code}): the sources changed since it started; stop it and start it again`, 1);
  }
  const datasets = path.resolve(req.datasets);
  if (datasets !== server.store.datasetsDir) {
    throw new UserError(`--datasets ${datasets}: the sweep server at ${server.socket} reads ${server.store.datasetsDir} (start one with --datasets ${datasets})`);
  }
  if (req.db !== server.dbPath) throw new UserError(`--db: the sweep server at ${server.socket} uses ${server.dbPath ?? 'an in-memory database'}, this command asked for ${req.db ?? 'an in-memory one'}`);
}

/** the exit code and line main.ts gives the same error (with --verbose, its stack) */
function errorAnswer(err: unknown, verbose: boolean): { exit: number; error: string } {
  return { exit: exitCodeOf(err), error: verbose ? ((err as Error).stack ?? String(err)) : errorLine(err) };
}

/**
 * the socket path free to listen on: a file left by a server that is gone is removed; a live server, or anything
 * that is not a socket, is an error
 */
async function claimSocket(socket: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socket);
  } catch {
    fs.mkdirSync(path.dirname(socket), { recursive: true });
    return;
  }
  if (!st.isSocket()) throw new UserError(`--socket: ${socket} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(socket);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new UserError(`a sweep server already listens at ${socket}`);
  fs.rmSync(socket, { force: true });
}

/** listens with the socket file created as rw------- (the umask decides it at creation: no moment it is open to others) */
async function listenPrivately(server: net.Server, socket: string): Promise<void> {
  const mask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(mask);
  }
}

/** for a command that keeps the server until a signal: the socket removed, the workers ended */
export function closeOnSignals(server: SweepServer, onClosed: (signal: NodeJS.Signals) => void): void {
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      server.close().finally(() => onClosed(signal));
    });
  }
}

