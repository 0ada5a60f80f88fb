// Crash safety of webhook delivery with a real child process: `regime live` on an accelerated clock against the
// fake exchange (bundled real history) and a slow HTTP receiver, killed with SIGKILL while deliveries are in
// flight, then restarted. No alert may be lost, each is delivered at least once, always under its own
// idempotency key, and the outbox ends drained.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeBinance } from '../testing/fake-binance.ts';
import { FakeReceiver } from '../testing/fake-receivers.ts';
import { openStore } from '../data/store.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { LiveStore } from './store.ts';

const H = 3_600_000;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FROM = Date.UTC(2026, 2, 1);
const HOURS = 12;

let dir: string;
let fake: FakeBinance;
let rx: FakeReceiver;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-kill-'));
  const store = await openStore();
  const data = await loadReplayData(store, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], { from: FROM - 800 * H, to: FROM + HOURS * H });
  store.close();
  fake = new FakeBinance({
    spotSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
    perpSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
  });
  for (const s of data.series) {
    fake.setKlines('spot', s.symbol, Array.from(s.candles.ts, (ts, i) => ({ openTime: ts, open: s.candles.open[i], high: s.candles.high[i], low: s.candles.low[i], close: s.candles.close[i], volume: s.candles.volume[i] })));
    fake.setFunding(s.symbol, Array.from(s.funding.ts, (ts, i) => ({ fundingTime: ts, fundingRate: s.funding.rate[i] })));
  }
  await fake.start();
  rx = new FakeReceiver({ httpSecret: 'kill-secret' });
  await rx.start();
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    // loose rules so that a few hours make dozens of alerts to deliver
    rules: { funding_abs_z: 0.5, regime_min_confidence: 0.5 },
    cooldown: { FUNDING_ANOMALY: { cooldown_hours: 0, max_per_day: 24, transition_only: false }, REGIME_CONFIRMED: { cooldown_hours: 0, max_per_day: 24 } },
    live: { warmup_hours: 800, settle_ms: 500, score_every_hours: 0 },
    webhooks: { all: [rx.httpUrl()], http_secret: 'kill-secret', base_delay_ms: 50, max_delay_ms: 500, timeout_ms: 5000, concurrency: 2 },
  }));
});

afterAll(async () => {
  await fake.close();
  await rx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function startLive(): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  let err = '';
  const child = spawn(process.execPath, [
    path.join(REPO, 'scripts/regime.mjs'), '--datasets', path.join(dir, 'datasets'),
    'live', '--paper', '--no-serve', '--no-liquidations', '--config', path.join(dir, 'config.json'),
    '--api-base-url', fake.baseUrl, '--results', path.join(dir, 'live'),
    '--clock-start', new Date(FROM + 60_000).toISOString(), '--clock-speed', '14400',
    '--until', new Date(FROM + (HOURS - 1) * H).toISOString(), '--exit-when-drained',
  ], { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => err };
}

describe('kill during delivery', () => {
  it('SIGKILL mid-delivery, restart: every alert delivered at least once under one idempotency key, outbox drained', async () => {
    fs.mkdirSync(path.join(dir, 'datasets'), { recursive: true });
    // every answer takes 1.5 s: deliveries are in flight when the kill comes
    rx.addFault({ kind: 'http', fault: { kind: 'delay', ms: 1500 } });
    const first = startLive();
    const deadline = Date.now() + 60_000;
    while (rx.requests.length < 2) {
      if (Date.now() > deadline) throw new Error(`no deliveries from the first run: ${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const afterKill = await LiveStore.open(path.join(dir, 'live'), { readOnly: true });
    const pendingAtKill = (await afterKill.outboxCounts()).pending;
    await afterKill.close();
    expect(pendingAtKill).toBeGreaterThan(0);

    rx.clearFaults();
    const second = startLive();
    const code = await Promise.race([second.exited, new Promise<number>((r) => setTimeout(() => r(-1), 90_000))]);
    if (code !== 0) second.child.kill('SIGKILL');
    expect(code, second.stderr()).toBe(0);

    const store = await LiveStore.open(path.join(dir, 'live'), { readOnly: true });
    const events = await store.events();
    const counts = await store.outboxCounts();
    const hours = await store.hours();
    await store.close();
    expect(hours.map((h) => h.ts)).toEqual(Array.from({ length: HOURS }, (_, i) => FROM + i * H));
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(counts).toEqual({ pending: 0, delivered: events.length, dead: 0 });
    const ok = rx.requests.filter((q) => q.status === 200);
    for (const e of events) expect(ok.some((q) => q.headers['idempotency-key'] === e.id), `event ${e.id} delivered`).toBe(true);
    // one key per event: every request for a key carries the same event
    for (const q of rx.requests) {
      const e = events.find((x) => x.id === q.headers['idempotency-key']);
      expect(e).toBeDefined();
      expect((q.json as { event_type: string; symbol: string })).toMatchObject({ event_type: e!.event_type, symbol: e!.symbol });
      expect(q.signatureValid).toBe(true);
    }
  });
});
