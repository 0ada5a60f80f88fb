/**
 * The live crash harness: `regime live` as a real child process on an accelerated clock against the fake
 * exchange (the bundled real history) and a fake receiver, crashed by SIGKILL at seeded kill points
 * (kill-points.ts: every phase of an hour and of a delivery) and restarted after each, then run to the end.
 * What it checks afterwards, from the live store and the receiver's own record:
 *   - every hour stepped exactly once (one feature row per symbol) and in order (the record sequence),
 *   - every alert stored once and delivered at least once, duplicates only under the same idempotency key,
 *   - the outbox drained, and webhook_logs consistent with it (attempts numbered 1..n, one success per delivery),
 *   - no planted secret in the store file, the processes' output or the receiver-visible error texts.
 * Faults are seeded and placed by request number, never by time. Used by kill.test.ts (a fixed subset) and
 * `npm run bench` (20 points).
 *
 * Which kill points a run reaches must not depend on timing either. A run armed at an hour's point (fetch, step,
 * append, commit, request-wait) steps hours until it dies, so it uses up a fixed number of them. A run armed
 * at a delivery point (deliver, delivered, retry-wait) steps no hour (`--until` before the first) and only
 * drains the outbox, and the receiver answers that run's requests by script, not by the seeded faults: every
 * one fails for deliver and retry-wait, and for delivered:n the first n − 1 fail and the n-th succeeds (so the
 * kill lands between a 2xx and its record: the duplicate-making crash). Armed at a delivery point while stepping
 * hours, a run would die after however many hours the worker's pace allowed, and the later points would find
 * fewer hours left than they need: whether they were reached would then depend on the machine's load.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../data/store.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { Mulberry32 } from '../score/prng.ts';
import { FakeBinance } from '../testing/fake-binance.ts';
import { FakeReceiver } from '../testing/fake-receivers.ts';
import { DELIVERY_KILL_POINTS, KILL_ENV, parseKillSpec } from './kill-points.ts';
import { LiveStore } from './store.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HARNESS_FROM = Date.UTC(2026, 2, 1);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

export interface CrashHarnessOptions {
  /** kill specs `<point>:<n>`, one run each, in order; a final run without a kill point follows */
  kills: readonly string[];
  hours?: number;
  seed?: number;
  /** seeded 500s, resets and 429s from the receiver (on by default) */
  receiverFaults?: boolean;
  /** seeded exchange 500s and one funding rate of 0.5 that must be quarantined (on by default) */
  exchangeFaults?: boolean;
  /** wall-clock limit per run */
  runTimeoutMs?: number;
  keepDir?: boolean;
  /** progress: one line per run */
  onRun?: (line: string) => void;
}

export interface CrashHarnessResult {
  runs: number;
  killed: number;
  /** kill specs whose point was not reached in their run (the run finished instead) */
  notReached: string[];
  hoursExpected: number;
  hoursStepped: number;
  /** hours with more or fewer feature rows than symbols (stepped twice, or half) */
  hoursBadStepCount: number;
  outOfOrder: boolean;
  missingHours: number[];
  alerts: number;
  owed: number;
  delivered: number;
  lost: number;
  /** 2xx deliveries beyond the first per (event, endpoint) */
  duplicates: number;
  /** requests whose idempotency key does not match the event they carry (must be 0) */
  duplicatesWrongKey: number;
  pending: number;
  dead: number;
  logProblems: string[];
  quarantined: number;
  early429: number;
  secretHits: number;
  receiverRequests: number;
  ms: number;
  dir: string;
  stderrTail: string;
}

/** secrets planted in the configuration; none may appear in any sink */
export const PLANTED = {
  queryToken: 'qtok-7f3a9c1e5b2d4860',
  httpSecret: 'hmac-secret-1c9e77ab42f0',
};

export async function runCrashHarness(opts: CrashHarnessOptions): Promise<CrashHarnessResult> {
  const t0 = Date.now();
  const hours = opts.hours ?? 12;
  const seed = opts.seed ?? 42;
  const rng = new Mulberry32(seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-crash-'));
  const store = await openStore();
  const data = await loadReplayData(store, SYMBOLS, { from: HARNESS_FROM - 800 * HOUR_MS, to: HARNESS_FROM + hours * HOUR_MS });
  store.close();
  const fake = new FakeBinance({
    spotSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
    perpSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
  });
  let poisoned: number | null = null;
  for (const s of data.series) {
    fake.setKlines('spot', s.symbol, Array.from(s.candles.ts, (ts, i) => ({ openTime: ts, open: s.candles.open[i], high: s.candles.high[i], low: s.candles.low[i], close: s.candles.close[i], volume: s.candles.volume[i] })));
    const funding = Array.from(s.funding.ts, (ts, i) => ({ fundingTime: ts, fundingRate: s.funding.rate[i] }));
    if (opts.exchangeFaults !== false && s.symbol === 'ETHUSDT') {
      // FAULT INJECTION, not market data: one live settlement's rate replaced by 0.5 (50 %), which the
      // dataset refuses; it must be quarantined, and history must go on after it
      const i = funding.findIndex((f) => f.fundingTime >= HARNESS_FROM + 4 * HOUR_MS);
      if (i >= 0 && funding[i].fundingTime < HARNESS_FROM + hours * HOUR_MS) {
        funding[i] = { ...funding[i], fundingRate: 0.5 };
        poisoned = funding[i].fundingTime;
      }
    }
    fake.setFunding(s.symbol, funding);
  }
  if (opts.exchangeFaults !== false) {
    // seeded: every 7th live-hour kline request (from a seeded offset) fails once and is answered by the retry, so
    // a run armed at request-wait:n meets its n-th retry wait within a few hours wherever the run starts
    const offset = rng.below(7);
    let n = 0;
    fake.addFault({ path: '/api/v3/klines', when: (r) => Number(r.query.startTime) >= HARNESS_FROM && (++n + offset) % 7 === 0, fault: { kind: 'status', status: 502 } });
  }
  await fake.start();
  const rx = new FakeReceiver({ httpSecret: PLANTED.httpSecret });
  await rx.start();
  // a delivery-point run's script, by the request's number within the run; first, so it overrides the seeded faults
  let script: (nInRun: number) => 'fail' | 'pass' | null = () => null;
  let runStart = 0;
  rx.addFault({ match: (n) => script(n - runStart) === 'fail', fault: { kind: 'status', status: 503, body: '{"error":"scripted outage (fake)"}' } });
  rx.addFault({ match: (n) => script(n - runStart) === 'pass', fault: { kind: 'delay', ms: 0 } });
  if (opts.receiverFaults !== false) {
    // by request number with a seeded offset: the 2nd, 5th, 9th… request fails however the runs interleave
    const offset = rng.below(5);
    // the error body quotes the secret URL token and HMAC secret, as careless receivers do: never stored or logged
    rx.addFault({ match: (n) => (n + offset) % 5 === 0, fault: { kind: 'status', status: 500, body: `{"error":"bad token ${PLANTED.queryToken}, key ${PLANTED.httpSecret}"}` } });
    rx.addFault({ match: (n) => (n + offset) % 7 === 0, fault: { kind: 'reset' } });
    rx.addFault({ match: (n) => (n + offset) % 11 === 0, fault: { kind: 'rate-limit', bodyRetryAfter: 0.2 } });
  }
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({
    // loose rules so that a few hours make dozens of alerts to deliver
    rules: { funding_abs_z: 0.5, regime_min_confidence: 0.5 },
    cooldown: { FUNDING_ANOMALY: { cooldown_hours: 0, max_per_day: 24, transition_only: false }, REGIME_CONFIRMED: { cooldown_hours: 0, max_per_day: 24 } },
    live: { warmup_hours: 800, settle_ms: 500, score_every_hours: 0, retry_delays_ms: [200, 400] },
    // max_attempts: the scripted failures of several delivery-point runs may all land on one entry
    webhooks: { all: [rx.httpUrl('/hooks/regime', `token=${PLANTED.queryToken}`)], http_secret: PLANTED.httpSecret, base_delay_ms: 50, max_delay_ms: 400, timeout_ms: 5000, concurrency: 2, max_attempts: 200 },
  }));

  let stderr = '';
  const runOnce = (kill: string | null) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>((resolve) => {
      const armed = parseKillSpec(kill ?? undefined);
      const delivering = armed !== null && DELIVERY_KILL_POINTS.has(armed.point);
      runStart = rx.requests.length;
      script = !delivering ? () => null : armed.point === 'delivered' ? (i) => (i < armed.nth ? 'fail' : 'pass') : () => 'fail';
      const until = delivering ? HARNESS_FROM - HOUR_MS : HARNESS_FROM + (hours - 1) * HOUR_MS;
      let err = '';
      // REGIME_CHILD_NODE_ARGS: node flags for the children (e.g. --cpu-prof, which NODE_OPTIONS refuses)
      const nodeArgs = process.env.REGIME_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
      // the clock at 43,200× (an hour per 83 ms): a run spent most of its wall time waiting for the next hour at
      // 14,400×; the kill points are places in the code, so the pace changes nothing the harness checks
      const child = spawn(process.execPath, [
        ...nodeArgs, path.join(REPO, 'scripts/regime.mjs'), '--datasets', path.join(dir, 'datasets'),
        'live', '--paper', '--no-serve', '--no-liquidations', '--config', config,
        '--api-base-url', fake.baseUrl, '--results', path.join(dir, 'live'),
        '--clock-start', new Date(HARNESS_FROM + 60_000).toISOString(), '--clock-speed', '43200',
        '--until', new Date(until).toISOString(), '--exit-when-drained',
      ], { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'info', [KILL_ENV]: kill ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d) => (err += String(d)));
      child.stderr!.on('data', (d) => (err += String(d)));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.runTimeoutMs ?? 120_000);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        script = () => null;
        resolve({ code, signal, err });
      });
    });

  const notReached: string[] = [];
  let killed = 0;
  let runs = 0;
  try {
    fs.mkdirSync(path.join(dir, 'datasets'), { recursive: true });
    for (const spec of opts.kills) {
      const t = Date.now();
      const r = await runOnce(spec);
      runs++;
      opts.onRun?.(`${spec}: ${r.signal ?? `exit ${r.code}`} after ${Date.now() - t} ms`);
      stderr += r.err;
      if (r.signal === 'SIGKILL' && r.err.includes(`kill point ${spec}`)) killed++;
      else if (r.code === 0) notReached.push(spec);
      else throw new Error(`run with ${KILL_ENV}=${spec} ended ${r.code ?? r.signal}: ${r.err.slice(-2000)}`);
    }
    const last = await runOnce(null);
    runs++;
    stderr += last.err;
    if (last.code !== 0) throw new Error(`final run ended ${last.code ?? last.signal}: ${last.err.slice(-2000)}`);

    const live = await LiveStore.open(path.join(dir, 'live'), { readOnly: true });
    const stepped = await live.hours();
    const events = await live.events();
    const outbox = await live.outbox();
    const logs = await live.webhookLogs(1_000_000);
    const featureCounts = await live.query(`SELECT ts::DOUBLE AS ts, count(*)::DOUBLE AS n FROM features GROUP BY ts`);
    const rejects = await live.rejects();
    await live.close();

    const expected = Array.from({ length: hours }, (_, i) => HARNESS_FROM + i * HOUR_MS);
    const have = new Set(stepped.map((h) => h.ts));
    const bySeq = [...stepped].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)).map((h) => h.ts);
    const ok2xx = rx.requests.filter((q) => q.status >= 200 && q.status < 300);
    let duplicates = 0;
    let lost = 0;
    let wrongKey = 0;
    for (const e of events) {
      const n = ok2xx.filter((q) => q.headers['idempotency-key'] === e.id).length;
      if (n === 0) lost++;
      else duplicates += n - 1;
    }
    for (const q of rx.requests) {
      const e = events.find((x) => x.id === q.headers['idempotency-key']);
      const body = q.json as { event_type?: string; symbol?: string } | null;
      if (!e || !body || body.event_type !== e.event_type || body.symbol !== e.symbol) wrongKey++;
    }
    const logProblems: string[] = [];
    for (const o of outbox) {
      const mine = logs.filter((l) => l.event_id === o.event_id && l.endpoint_id === o.endpoint_id).sort((a, b) => a.attempt - b.attempt);
      const numbers = mine.map((l) => l.attempt).join(',');
      const want = Array.from({ length: o.attempts }, (_, i) => i + 1).join(',');
      if (numbers !== want) logProblems.push(`${o.event_id}: attempts logged ${numbers || '—'}, outbox says ${o.attempts}`);
      const successes = mine.filter((l) => l.success);
      if ((o.state === 'delivered') !== (successes.length === 1) || successes.length > 1) logProblems.push(`${o.event_id}: ${successes.length} successful log lines for state ${o.state}`);
    }
    const sinks = [fs.readFileSync(path.join(dir, 'live', 'live.duckdb')), Buffer.from(stderr)];
    const wal = path.join(dir, 'live', 'live.duckdb.wal');
    if (fs.existsSync(wal)) sinks.push(fs.readFileSync(wal));
    let secretHits = 0;
    for (const sink of sinks) for (const secret of Object.values(PLANTED)) if (sink.includes(secret)) secretHits++;

    return {
      runs,
      killed,
      notReached,
      hoursExpected: hours,
      hoursStepped: stepped.length,
      hoursBadStepCount: expected.filter((t) => Number(featureCounts.find((r) => Number(r.ts) === t)?.n ?? 0) !== SYMBOLS.length).length,
      outOfOrder: bySeq.some((t, i) => i > 0 && t <= bySeq[i - 1]),
      missingHours: expected.filter((t) => !have.has(t)),
      alerts: events.length,
      owed: outbox.length,
      delivered: outbox.filter((o) => o.state === 'delivered').length,
      lost,
      duplicates,
      duplicatesWrongKey: wrongKey,
      pending: outbox.filter((o) => o.state === 'pending').length,
      dead: outbox.filter((o) => o.state === 'dead').length,
      logProblems,
      quarantined: poisoned === null ? -1 : rejects.filter((r) => Number(r.ts) === poisoned).length,
      early429: rx.earlyRequests,
      secretHits,
      receiverRequests: rx.requests.length,
      ms: Date.now() - t0,
      dir,
      stderrTail: stderr.slice(-3000),
    };
  } finally {
    await fake.close();
    await rx.close();
    if (!opts.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatCrashResult(r: CrashHarnessResult): string[] {
  return [
    `runs ${r.runs} (killed ${r.killed}${r.notReached.length ? `, point not reached: ${r.notReached.join(' ')}` : ''}), ${(r.ms / 1000).toFixed(1)} s`,
    `hours stepped ${r.hoursStepped}/${r.hoursExpected}, missing ${r.missingHours.length}, stepped ≠ once ${r.hoursBadStepCount}, out of order ${r.outOfOrder ? 'YES' : 'no'}`,
    `alerts ${r.alerts}, owed ${r.owed}, delivered ${r.delivered}, lost ${r.lost}, pending ${r.pending}, dead ${r.dead}`,
    `duplicates ${r.duplicates} (all with the same idempotency key: ${r.duplicatesWrongKey === 0 ? 'yes' : `NO, ${r.duplicatesWrongKey}`}), webhook_logs problems ${r.logProblems.length}`,
    `quarantined bad funding values ${r.quarantined}, 429-early requests ${r.early429}, secret hits ${r.secretHits}, receiver requests ${r.receiverRequests}`,
  ];
}
