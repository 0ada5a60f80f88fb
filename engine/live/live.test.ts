// The live loop against FakeBinance (REST + forceOrder websocket) on 127.0.0.1 on a virtual clock: fault paths
// (retries 1/2/4 s, 429/418 Retry-After, malformed and truncated bodies, websocket drops and bad frames),
// back-fill of a missed hour with a rebuild, liquidation buckets written as observed history, paper webhooks.
// Fault tests use SYNTHETIC series from fake-binance.ts; the webhook test uses the bundled real history.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeBinance, syntheticFunding, syntheticKlines } from '../testing/fake-binance.ts';
import { FakeReceiver } from '../testing/fake-receivers.ts';
import { installNetGuard } from '../testing/net-guard.ts';
import { openStore } from '../data/store.ts';
import { queryRows } from '../data/duckdb.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { VirtualClock } from './clock.ts';
import { parseLiveConfig } from './config.ts';
import { LIQUIDATION_SOURCE } from './liquidations.ts';
import { LiveRunner, type HourReport } from './runner.ts';
import { createLiveSource } from './source.ts';
import { liveStatus } from './status.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** the first live hour: 48 synthetic hours of history before it */
const START = T0 + 48 * H;

let restoreNet: () => void;
beforeAll(() => {
  restoreNet = installNetGuard();
});
afterAll(() => restoreNet());

let dir: string;
let fake: FakeBinance;
let clock: VirtualClock;
let sleeps: number[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-live-'));
  sleeps = [];
});
afterEach(async () => {
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function syntheticFake(hours: number): Promise<void> {
  clock = new VirtualClock(START);
  fake = new FakeBinance({
    spotKlines: { BTCUSDT: syntheticKlines({ start: T0, count: 48 + hours, seed: 3, startPrice: 40_000 }), ETHUSDT: syntheticKlines({ start: T0, count: 48 + hours, seed: 4, startPrice: 2000 }) },
    funding: {
      BTCUSDT: syntheticFunding({ start: T0, schedule: [{ hours: 8, count: Math.ceil((48 + hours) / 8) }], jitterMs: 5 }),
      ETHUSDT: syntheticFunding({ start: T0, schedule: [{ hours: 8, count: Math.ceil((48 + hours) / 8) }], seed: 9 }),
    },
    now: () => clock.now(),
  });
  await fake.start();
}

function runner(opts: { until: number; live?: Record<string, unknown>; webhooks?: Record<string, unknown>; symbols?: string[]; paper?: boolean; beforeFinalize?: (h: number) => Promise<void> }): LiveRunner {
  const config = parseLiveConfig({
    symbols: opts.symbols ?? ['BTCUSDT', 'ETHUSDT'],
    live: { warmup_hours: 48, settle_ms: 1000, reconnect_delays_ms: [20, 40], score_permutations: 20, ...opts.live },
    webhooks: opts.webhooks,
  }, {});
  return new LiveRunner({
    config,
    datasetsDir: path.join(dir, 'datasets'),
    resultsDir: path.join(dir, 'live'),
    clock,
    apiBaseUrl: fake.baseUrl,
    paper: opts.paper ?? true,
    until: opts.until,
    exchangeOptions: { rateLimit: 1 },
    sleep: async (ms) => {
      sleeps.push(ms);
      await clock.sleep(ms);
    },
    beforeFinalize: opts.beforeFinalize,
  });
}

async function runAll(r: LiveRunner): Promise<HourReport[]> {
  const hours: HourReport[] = [];
  r.on('hour', (h: HourReport) => hours.push(h));
  await r.start();
  await r.run();
  return hours;
}

async function dataset(sql: string): Promise<Record<string, unknown>[]> {
  const store = await openStore({ datasetsDir: path.join(dir, 'datasets'), venues: { candles_1h: 'binanceus' } });
  try {
    return await queryRows(store.conn, sql);
  } finally {
    store.close();
  }
}

describe('live loop, REST faults', () => {
  it('retries after 1, 2, 4 s, steps the hour with the candle missing and flagged, then back-fills it and rebuilds', async () => {
    await syntheticFake(6);
    const failing = START + H;
    fake.addFault({ path: '/api/v3/klines', when: (q) => q.query.symbol === 'BTCUSDT' && q.query.startTime === String(failing), times: 4, fault: { kind: 'status', status: 500 } });
    const r = runner({ until: START + 3 * H });
    const hours = await runAll(r);
    try {
      expect(hours.map((h) => h.ts)).toEqual([START, START + H, START + 2 * H, START + 3 * H]);
      expect(sleeps).toEqual([1000, 2000, 4000]);
      const bad = hours[1];
      expect(bad.flags).toEqual(['candle_unavailable:BTCUSDT:server']);
      expect(bad.missing).toEqual(['BTCUSDT']);
      expect(bad.features.map((f) => f.symbol)).toEqual(['ETHUSDT']);
      expect(hours[2].flags).toEqual([]);
      // the back-fill asked for the missed hour again (5th request for it) and the missed queue is empty
      expect(fake.requestsTo('/api/v3/klines').filter((q) => q.query.symbol === 'BTCUSDT' && q.query.startTime === String(failing))).toHaveLength(5);
      expect(await r.store.missed()).toEqual([]);
      const faults = await r.store.faults();
      expect(faults.filter((f) => f.kind === 'request_server')).toHaveLength(4);
      expect(faults.filter((f) => f.kind === 'candle_server')).toHaveLength(1);
    } finally {
      await r.stop();
    }
    // the missed bar is in the dataset now: live data became history, gap closed
    const rows = await dataset(`SELECT epoch_ms(ts)::DOUBLE AS t FROM candles_1h WHERE symbol = 'BTCUSDT' AND ts >= epoch_ms(${START}::BIGINT) ORDER BY ts`);
    expect(rows.map((x) => Number(x.t))).toEqual([START, START + H, START + 2 * H, START + 3 * H]);
  });

  it('honours 429 Retry-After, does not wait out a long 418 ban but flags the hour and skips the exchange until it ends', async () => {
    await syntheticFake(6);
    fake.addFault({ path: '/api/v3/klines', when: (q) => q.query.startTime === String(START), times: 1, fault: { kind: 'rate-limit', status: 429, retryAfterSec: 3 } });
    fake.addFault({ path: '/api/v3/klines', when: (q) => q.query.startTime === String(START + H), times: 1, fault: { kind: 'rate-limit', status: 418, retryAfterSec: 600 } });
    const r = runner({ until: START + 2 * H });
    const hours = await runAll(r);
    await r.stop();
    expect(sleeps[0]).toBe(3000);
    expect(hours[0].flags).toEqual([]);
    // the ban covers both symbols' requests of that hour: ETH's was never sent (the one request is the back-fill's, an hour later)
    expect(hours[1].flags).toEqual(['candle_unavailable:BTCUSDT:rate_limited', 'candle_unavailable:ETHUSDT:rate_limited']);
    const ethOfBannedHour = fake.requests.filter((q) => q.path === '/api/v3/klines' && q.query.symbol === 'ETHUSDT' && q.query.startTime === String(START + H));
    expect(ethOfBannedHour).toHaveLength(1);
    expect(fake.requests.indexOf(ethOfBannedHour[0])).toBeGreaterThan(fake.requests.findIndex((q) => q.path === '/fapi/v1/fundingRate' && q.query.symbol === 'ETHUSDT' && q.query.startTime === String(START + H - 60_000)));
    expect(sleeps.filter((s) => s >= 600_000)).toEqual([]);
    // the ban was over by the next hour: both back-filled and stepped normally
    expect(hours[2].flags).toEqual([]);
    expect(hours[2].missing).toEqual([]);
  });

  it('retries malformed, truncated and mangled answers; a persistent one is flagged and the loop goes on', async () => {
    await syntheticFake(6);
    fake.addFault({ path: '/api/v3/klines', when: (q) => q.query.startTime === String(START) && q.query.symbol === 'BTCUSDT', times: 1, fault: { kind: 'malformed' } });
    fake.addFault({ path: '/api/v3/klines', when: (q) => q.query.startTime === String(START) && q.query.symbol === 'BTCUSDT', times: 1, fault: { kind: 'truncate', fraction: 0.5 } });
    fake.addFault({ path: '/api/v3/klines', when: (q) => q.query.startTime === String(START + 2 * H) && q.query.symbol === 'ETHUSDT', times: 1, fault: { kind: 'mangle-rows', mangle: (row) => (row as unknown[]).slice(0, 4) } });
    fake.addFault({ path: '/fapi/v1/fundingRate', when: (q) => q.query.startTime === String(START + H - 60_000) && q.query.symbol === 'ETHUSDT', times: 4, fault: { kind: 'malformed' } });
    const r = runner({ until: START + 2 * H });
    const hours = await runAll(r);
    const status = await liveStatus(r.store);
    await r.stop();
    expect(hours[0].flags).toEqual([]);
    expect(hours[0].features.map((f) => f.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(hours[1].flags).toEqual(['funding_unavailable:ETHUSDT:malformed']);
    expect(hours[2].flags).toEqual([]);
    expect(hours[2].features.map((f) => f.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(status.fault_counts.request_malformed).toBe(2 + 4 + 1);
    expect(status.fault_counts.funding_malformed).toBe(1);
    expect(status.fault_counts.candle_malformed).toBeUndefined();
    // the back-fill got the hour's funding once the exchange answered properly
    expect(status.hours.flagged).toBe(1);
  });
});

describe('live loop, liquidation stream', () => {
  it('buckets forceOrders into observed hourly rows, reconnects after a drop, and an hour without the stream is no data', async () => {
    await syntheticFake(8);
    const pushed: number[] = [];
    let r!: LiveRunner;
    const beforeFinalize = async (h: number) => {
      if (h === START) {
        fake.pushForceOrder({ symbol: 'BTCUSDT', side: 'SELL', price: 40_000, qty: 0.5, time: h + 60_000 });
        fake.pushForceOrder({ symbol: 'BTCUSDT', side: 'SELL', price: 40_000, qty: 0.25, time: h + 120_000 });
        fake.pushForceOrder({ symbol: 'BTCUSDT', side: 'BUY', price: 40_010, qty: 1, time: h + 180_000 });
        fake.pushRaw('not json at all');
        fake.pushRaw(JSON.stringify({ e: 'forceOrder', E: h, o: { s: 'BTCUSDT' } }));
        pushed.push(3);
        const deadline = Date.now() + 5000;
        while (r.aggregator.received < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
      }
      if (h === START + H) {
        // cut after hour START+H closed: the next hour runs without the stream
        fake.refuseWebsocketUpgrades(1_000_000);
        fake.dropWebsockets();
      }
      if (h === START + 3 * H) {
        fake.refuseWebsocketUpgrades(0);
        await fake.waitForSubscribers('BTCUSDT', 1, 10_000);
      }
    };
    r = runner({ until: START + 4 * H, beforeFinalize });
    const hours = await runAll(r);
    const stream = r.streamState()!;
    const src = await createLiveSource({ runner: r });
    const coverage = await src.liquidationCoverage();
    await r.stop();
    const liq = (h: HourReport, s: string) => h.features.find((f) => f.symbol === s);
    expect(liq(hours[0], 'BTCUSDT')!.liq_status).not.toBe('no_data');
    expect(stream.malformed).toBeGreaterThanOrEqual(2);
    expect(stream.connections).toBeGreaterThanOrEqual(2);
    expect(stream.reconnects).toBeGreaterThanOrEqual(1);
    expect(coverage.find((c) => c.symbol === 'BTCUSDT')).toMatchObject({ kinds: ['observed'], hours_with_data: 3 });
    const rows = await dataset(`SELECT epoch_ms(ts)::DOUBLE AS t, long_liq_usd, short_liq_usd, kind, source FROM liquidations_1h WHERE symbol = 'BTCUSDT' ORDER BY ts`);
    // START, START+H and START+4H covered; START+2H (down all hour) and START+3H (back only after its close) are not rows at all
    expect(rows.map((x) => Number(x.t))).toEqual([START, START + H, START + 4 * H]);
    expect(rows[0]).toMatchObject({ long_liq_usd: 30_000, short_liq_usd: 40_010, kind: 'observed', source: LIQUIDATION_SOURCE });
    expect(rows[1]).toMatchObject({ long_liq_usd: 0, short_liq_usd: 0 });
    expect(fs.existsSync(path.join(dir, 'datasets', 'binanceusdm', 'liquidations_1h', 'symbol=BTCUSDT'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'datasets', 'binanceus', 'candles_1h', 'symbol=BTCUSDT'))).toBe(true);
  });
});

describe('live loop, paper alerts and webhooks (bundled real history)', () => {
  it('stores, scores and delivers alerts marked [PAPER], outbox in the same transaction as the event', async () => {
    const from = Date.UTC(2026, 2, 1);
    const to = from + 12 * H;
    const store = await openStore();
    const data = await loadReplayData(store, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], { from: from - 2688 * H, to });
    store.close();
    clock = new VirtualClock(from);
    fake = new FakeBinance({
      spotSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
      perpSymbols: data.symbols.map((id) => ({ id, base: id.slice(0, 3), quote: 'USDT' })),
      now: () => clock.now(),
    });
    for (const s of data.series) {
      fake.setKlines('spot', s.symbol, Array.from(s.candles.ts, (ts, i) => ({ openTime: ts, open: s.candles.open[i], high: s.candles.high[i], low: s.candles.low[i], close: s.candles.close[i], volume: s.candles.volume[i] })));
      fake.setFunding(s.symbol, Array.from(s.funding.ts, (ts, i) => ({ fundingTime: ts, fundingRate: s.funding.rate[i] })));
    }
    await fake.start();
    const rx = new FakeReceiver({ httpSecret: 'paper-secret' });
    await rx.start();
    try {
      const r = runner({
        symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'],
        until: to - H,
        live: { warmup_hours: 2688, score_every_hours: 6 },
        webhooks: { all: [rx.httpUrl()], regime: [rx.discordUrl()], discord_api_base: rx.baseUrl, http_secret: 'paper-secret', base_delay_ms: 10 },
      });
      const hours = await runAll(r);
      await r.worker!.drained(20_000);
      const events = await r.store.events();
      const status = await liveStatus(r.store);
      const src = await createLiveSource({ runner: r });
      const srcEvents = await src.events({ limit: 100 });
      const latest = await src.latestFeatures();
      const srcStatus = await src.status();
      await r.stop();
      const alerts = hours.flatMap((h) => h.alerts);
      expect(alerts.length).toBeGreaterThan(0);
      expect(events.map((e) => e.id).sort()).toEqual(alerts.map((a) => a.id).sort());
      expect(events.every((e) => e.paper && !e.late)).toBe(true);
      expect(rx.byKind('http')).toHaveLength(alerts.length);
      expect(rx.byKind('http').every((q) => (q.json as { title: string }).title.startsWith('[PAPER] ') && q.signatureValid === true)).toBe(true);
      expect(rx.byKind('discord')).toHaveLength(alerts.filter((a) => a.source === 'regime').length);
      expect(status.outbox).toEqual({ pending: 0, delivered: rx.requests.length, dead: 0 });
      expect(status.scorecard?.alerts.total).toBe(alerts.length);
      expect(srcEvents.map((e) => e.id).sort()).toEqual(alerts.map((a) => a.id).sort());
      expect(latest.map((f) => f.ts_ms)).toEqual([to - H, to - H, to - H]);
      expect(srcStatus).toMatchObject({ hours: { stepped: 12 } });
      expect(JSON.stringify(srcStatus)).not.toContain('http-secret-query-token');
    } finally {
      await rx.close();
    }
  });
});
