// Live integrity against poisoned exchange data and failed start-ups (#16.3, #16.5, #12.1), in process on a
// virtual clock against FakeBinance serving the bundled real history (loopback only). The one poisoned value
// (a funding rate of 0.5) is a FAULT INJECTION, not market data.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeBinance } from '../testing/fake-binance.ts';
import { installNetGuard } from '../testing/net-guard.ts';
import { openStore } from '../data/store.ts';
import { queryRows } from '../data/duckdb.ts';
import { loadReplayData, type ReplayData } from '../replay/replay-data.ts';
import { VirtualClock } from './clock.ts';
import { parseLiveConfig } from './config.ts';
import { LiveRunner } from './runner.ts';

const H = 3_600_000;
const FROM = Date.UTC(2026, 2, 1);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

let restoreNet: () => void;
let data: ReplayData;
beforeAll(async () => {
  restoreNet = installNetGuard();
  const store = await openStore();
  data = await loadReplayData(store, SYMBOLS, { from: FROM - 800 * H, to: FROM + 24 * H });
  store.close();
});
afterAll(() => restoreNet());

let dir: string;
let fake: FakeBinance;
let clock: VirtualClock;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-integrity-'));
});
afterEach(async () => {
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function startFake(poison: { symbol: string; at: number } | null): Promise<number | null> {
  fake = new FakeBinance({
    spotSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
    perpSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
    now: () => clock.now(),
  });
  let poisoned: number | null = null;
  for (const s of data.series) {
    fake.setKlines('spot', s.symbol, Array.from(s.candles.ts, (ts, i) => ({ openTime: ts, open: s.candles.open[i], high: s.candles.high[i], low: s.candles.low[i], close: s.candles.close[i], volume: s.candles.volume[i] })));
    const funding = Array.from(s.funding.ts, (ts, i) => ({ fundingTime: ts, fundingRate: s.funding.rate[i] }));
    if (poison && s.symbol === poison.symbol) {
      const i = funding.findIndex((f) => f.fundingTime >= poison.at);
      funding[i] = { ...funding[i], fundingRate: 0.5 };
      poisoned = funding[i].fundingTime;
    }
    fake.setFunding(s.symbol, funding);
  }
  await fake.start();
  return poisoned;
}

function runner(until: number): LiveRunner {
  const config = parseLiveConfig({
    symbols: SYMBOLS,
    // loose rules: most hours alert, so an hour that must not produce events would show
    rules: { funding_abs_z: 0.5, regime_min_confidence: 0.5 },
    cooldown: { FUNDING_ANOMALY: { cooldown_hours: 0, max_per_day: 24, transition_only: false }, REGIME_CONFIRMED: { cooldown_hours: 0, max_per_day: 24 } },
    live: { warmup_hours: 800, settle_ms: 1000, score_every_hours: 0 },
  }, {});
  return new LiveRunner({
    config, datasetsDir: path.join(dir, 'datasets'), resultsDir: path.join(dir, 'live'), clock, apiBaseUrl: fake.baseUrl, paper: true,
    until, liquidations: false, exchangeOptions: { rateLimit: 1 }, sleep: (ms) => clock.sleep(ms),
  });
}

async function run(until: number): Promise<LiveRunner> {
  const r = runner(until);
  await r.start();
  await r.run();
  return r;
}

async function datasetHours(table: string, symbol: string, from: number): Promise<number[]> {
  const store = await openStore({ datasetsDir: path.join(dir, 'datasets'), venues: { candles_1h: 'binanceus' } });
  try {
    const rows = await queryRows(store.conn, `SELECT epoch_ms(ts)::DOUBLE AS t FROM ${table} WHERE symbol = '${symbol}' AND ts >= epoch_ms(${from}::BIGINT) ORDER BY ts`);
    return rows.map((x) => Number(x.t));
  } finally {
    store.close();
  }
}

describe('a bad exchange value is quarantined', () => {
  it('funding 0.5: stored in rejects with the reason, flagged, the hour stepped without it; later appends and a restart go on', async () => {
    clock = new VirtualClock(FROM + 60_000);
    const poisoned = (await startFake({ symbol: 'ETHUSDT', at: FROM + 4 * H }))!;
    const r = await run(FROM + 10 * H);
    const hours = await r.store.hours();
    const rejects = await r.store.rejects();
    const faults = await r.store.faults();
    await r.stop();
    expect(hours.map((h) => h.ts)).toEqual(Array.from({ length: 11 }, (_, i) => FROM + i * H));
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ table: 'funding', symbol: 'ETHUSDT', ts: poisoned });
    expect(rejects[0].reason).toMatch(/funding_rate.*0\.5/);
    expect(faults.some((f) => f.kind === 'quarantined')).toBe(true);
    expect(hours.find((h) => h.ts === poisoned)!.flags).toContain('quarantined:funding:ETHUSDT');
    // history went on after the bad value: every candle of every live hour was appended
    for (const s of SYMBOLS) expect(await datasetHours('candles_1h', s, FROM)).toEqual(hours.map((h) => h.ts));
    expect((await datasetHours('funding', 'ETHUSDT', FROM)).includes(poisoned)).toBe(false);

    // a restart whose start-up back-fill meets the bad value again does not exit: it steps its hours
    clock = new VirtualClock(FROM + 14 * H + 60_000);
    const again = await run(FROM + 15 * H);
    const after = await again.store.hours();
    await again.stop();
    expect(after.map((h) => h.ts)).toContain(FROM + 15 * H);
  }, 600_000);
});

describe('a restart after a failed start-up back-fill', () => {
  it('emits no event for hours before the live start (only catch-up hours after the previous run)', async () => {
    clock = new VirtualClock(FROM + 60_000);
    await startFake(null);
    const first = await run(FROM + 2 * H);
    const firstEvents = (await first.store.events()).map((e) => e.id);
    await first.stop();
    expect(firstEvents.length).toBeGreaterThan(0);

    // restart 5 hours later; the start-up back-fill of candles fails every attempt, so the last 24 h are queued
    // for the hourly back-fill, which then rebuilds from history reaching back before the live start
    clock = new VirtualClock(FROM + 6 * H + 60_000);
    fake.addFault({ path: '/api/v3/klines', when: (q) => Number(q.query.startTime) < FROM + 6 * H, times: 4, fault: { kind: 'status', status: 503 } });
    const second = await run(FROM + 7 * H);
    const events = await second.store.events();
    const faults = await second.store.faults();
    const hours = await second.store.hours();
    await second.stop();
    expect(faults.some((f) => f.kind === 'backfill_failed')).toBe(true);
    expect(events.filter((e) => e.ts < FROM).map((e) => new Date(e.ts).toISOString())).toEqual([]);
    // every hour from the live start stepped once: live, caught up, live again
    expect(hours.map((h) => h.ts)).toEqual(Array.from({ length: 8 }, (_, i) => FROM + i * H));
  }, 600_000);
});
