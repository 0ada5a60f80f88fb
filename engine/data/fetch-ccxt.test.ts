// `regime fetch` against FakeBinance on 127.0.0.1 with SYNTHETIC series (not market data): paging, the still-open
// bar, resume, rate limits, server errors, malformed answers, funding intervals. Nothing here reaches the internet.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import ccxt from 'ccxt';
import { fetchHistory, rewriteApiUrls, parseTimeArg, type FetchHistoryOptions, type FetchProgress } from './fetch-ccxt.ts';
import { FakeBinance, syntheticFunding, syntheticKlines, syntheticMarkKlines, type FakeKline } from '../testing/fake-binance.ts';
import { openStore } from './store.ts';
import { readSnapshot } from './snapshot.ts';
import { queryRows } from './duckdb.ts';
import { InputError, UserError } from '../errors.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** 2,500 closed bars; the bar opening at T0 + 2500 h is still open at this moment */
const NOW = T0 + 2500 * H + 30 * 60_000;

let dir: string;
let ds: string;
let fake: FakeBinance;
let base: string;
let sleeps: number[];
const bars = syntheticKlines({ start: T0, count: 2501, seed: 11 });

// Safety net: should any URL escape the rewrite, the connection is refused here instead of reaching the internet.
const realConnect = net.connect;
const realTlsConnect = tls.connect;
beforeAll(() => {
  const guarded = (...args: unknown[]) => {
    const first = args[0] as { host?: string } | number | string;
    const host = typeof first === 'object' && first !== null ? first.host : typeof args[1] === 'string' ? args[1] : undefined;
    if (host !== '127.0.0.1') throw new Error(`connection to ${String(host)} refused by the test guard`);
    return (realConnect as (...a: unknown[]) => net.Socket).apply(net, args);
  };
  Object.assign(net, { connect: guarded, createConnection: guarded });
  Object.assign(tls, { connect: () => { throw new Error('TLS connection refused by the test guard'); } });
});
afterAll(() => {
  Object.assign(net, { connect: realConnect, createConnection: realConnect });
  Object.assign(tls, { connect: realTlsConnect });
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-fetch-'));
  ds = path.join(dir, 'datasets');
  sleeps = [];
  fake = new FakeBinance({ spotKlines: { BTCUSDT: bars }, now: () => NOW });
  base = await fake.start();
});

afterEach(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function opts(extra: Partial<FetchHistoryOptions> = {}): FetchHistoryOptions {
  return {
    exchange: 'binanceus',
    symbols: ['BTCUSDT'],
    since: '2024-01-01',
    datasetsDir: ds,
    apiBaseUrl: base,
    now: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    // the limiter stays on; a short interval keeps the suite fast
    exchangeOptions: { rateLimit: 5 },
    ...extra,
  };
}

/** every file under the dataset with its hash and mtime: "nothing written" means this does not change */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(ds, p)] = `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')} ${fs.statSync(p).mtimeMs}`;
    }
  };
  walk(ds);
  return out;
}

async function rows(sql: string, venues: Record<string, string> = { candles_1h: 'binanceus' }) {
  const store = await openStore({ datasetsDir: ds, venues });
  try {
    return await queryRows(store.conn, sql);
  } finally {
    store.close();
  }
}

const klineStarts = (p = '/api/v3/klines') => fake.requestsTo(p).map((r) => Number(r.query.startTime));

describe('fetchHistory paging', () => {
  it('pages 2,500 bars in 1,000-bar requests and stores exactly the served closed bars', async () => {
    const progress: FetchProgress[] = [];
    const report = await fetchHistory(opts({ onProgress: (p) => progress.push(p) }));

    expect(klineStarts()).toEqual([T0, T0 + 1000 * H, T0 + 2000 * H]);
    for (const r of fake.requestsTo('/api/v3/klines')) {
      expect(r.query).toMatchObject({ symbol: 'BTCUSDT', interval: '1h', limit: '1000', endTime: String(T0 + 2500 * H - 1) });
    }
    expect(fake.requestsTo('/api/v3/exchangeInfo')).toHaveLength(1);
    expect(report.added).toBe(2500);
    expect(report.series[0]).toMatchObject({ venue: 'binanceus', table: 'candles_1h', symbol: 'BTCUSDT', ccxtSymbol: 'BTC/USDT', storedLastMs: null });
    expect(progress.map((p) => p.currentMs)).toEqual([T0 + 1000 * H, T0 + 2000 * H, T0 + 2500 * H]);
    expect(progress.at(-1)).toMatchObject({ fetchedBars: 2500, untilMs: T0 + 2500 * H, startMs: T0 });

    const stored = await rows(`SELECT epoch_ms(ts)::DOUBLE AS ts, open, high, low, close, volume, quote_volume, trades::DOUBLE AS trades
      FROM candles_1h WHERE symbol = 'BTCUSDT' ORDER BY ts`);
    const expected = bars.slice(0, 2500).map((b) => ({
      ts: b.openTime, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, quote_volume: b.quoteVolume, trades: b.trades,
    }));
    expect(stored).toEqual(expected);
    expect(readSnapshot(ds).files).toContainEqual(expect.stringMatching(/^binanceus\/candles_1h\/symbol=BTCUSDT\/year=2024\/g\d+-[0-9a-f]+\.parquet$/));
    expect(JSON.parse(fs.readFileSync(path.join(ds, 'provenance.json'), 'utf8'))['binanceus/candles_1h']).toMatch(/Binance\.US spot public REST \/api\/v3\/klines/);
  });

  it('never stores the still-open bar, even when the server ignores endTime', async () => {
    const original = fake.handlerFor('GET', '/api/v3/klines')!;
    fake.route('GET', '/api/v3/klines', (req) => {
      const { endTime: _ignored, ...query } = req.query;
      return original({ ...req, query });
    });
    await fetchHistory(opts({ since: T0 + 2400 * H }));
    // the server did hand out the open bar ...
    expect(fake.requestsTo('/api/v3/klines')).toHaveLength(1);
    const [r] = await rows(`SELECT count(*)::INTEGER AS n, epoch_ms(max(ts))::DOUBLE AS last FROM candles_1h`);
    // ... and it was dropped: 100 closed bars, the last one opened an hour before the current one
    expect(r).toEqual({ n: 100, last: T0 + 2499 * H });
  });

  it('stops at --until (exclusive)', async () => {
    await fetchHistory(opts({ until: T0 + 10 * H }));
    const [r] = await rows(`SELECT count(*)::INTEGER AS n, epoch_ms(max(ts))::DOUBLE AS last FROM candles_1h`);
    expect(r).toEqual({ n: 10, last: T0 + 9 * H });
    expect(fake.requestsTo('/api/v3/klines')[0].query.endTime).toBe(String(T0 + 10 * H - 1));
  });
});

describe('fetchHistory resume', () => {
  it('restarts after the last stored bar and writes nothing when nothing is new', async () => {
    const early = T0 + 1500 * H + 5 * 60_000;
    await fetchHistory(opts({ now: () => early }));
    expect(klineStarts()).toEqual([T0, T0 + 1000 * H]);

    fake.clearRequests();
    const second = await fetchHistory(opts());
    expect(klineStarts()).toEqual([T0 + 1500 * H]);
    expect(second.series[0]).toMatchObject({ storedLastMs: T0 + 1499 * H, startMs: T0 + 1500 * H, added: 1000 });
    const [r] = await rows(`SELECT count(*)::INTEGER AS n FROM candles_1h`);
    expect(r.n).toBe(2500);

    const before = snapshot();
    fake.clearRequests();
    const third = await fetchHistory(opts());
    expect(klineStarts()).toEqual([]);
    expect(third).toMatchObject({ fetched: 0, added: 0, filesWritten: 0 });
    expect(snapshot()).toEqual(before);
  });

  it('keeps the pages committed before a failure and resumes after them', async () => {
    fake.addFault({ path: '/api/v3/klines', when: (r) => r.query.startTime === String(T0 + 2000 * H), fault: { kind: 'status', status: 503, body: 'Service Unavailable' } });
    await expect(fetchHistory(opts({ commitEveryPages: 1, maxAttempts: 2 }))).rejects.toThrow(/HTTP 503/);
    const [r] = await rows(`SELECT count(*)::INTEGER AS n FROM candles_1h`);
    expect(r.n).toBe(2000);

    fake.clearFaults();
    fake.clearRequests();
    await fetchHistory(opts());
    expect(klineStarts()).toEqual([T0 + 2000 * H]);
    const [r2] = await rows(`SELECT count(*)::INTEGER AS n FROM candles_1h`);
    expect(r2.n).toBe(2500);
  });
});

describe('fetchHistory rate limits and errors', () => {
  it('honours Retry-After on 429, then succeeds', async () => {
    fake.addFault({ path: '/api/v3/klines', when: (r) => r.query.startTime === String(T0 + 1000 * H), times: 1, fault: { kind: 'rate-limit', status: 429, retryAfterSec: 7 } });
    const report = await fetchHistory(opts());
    expect(sleeps).toEqual([7000]);
    expect(klineStarts()).toEqual([T0, T0 + 1000 * H, T0 + 1000 * H, T0 + 2000 * H]);
    expect(fake.requestsTo('/api/v3/klines').map((r) => r.fault)).toEqual([null, 'rate-limit', null, null]);
    expect(report.added).toBe(2500);
  });

  it('backs off 1 s, 2 s on 418 without Retry-After', async () => {
    fake.addFault({ path: '/api/v3/klines', times: 2, fault: { kind: 'rate-limit', status: 418 } });
    const report = await fetchHistory(opts());
    expect(sleeps).toEqual([1000, 2000]);
    expect(report.added).toBe(2500);
  });

  it('fails clearly when Retry-After is longer than it is willing to wait', async () => {
    fake.addFault({ path: '/api/v3/klines', fault: { kind: 'rate-limit', status: 418, retryAfterSec: 7200 } });
    const err = await fetchHistory(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/wait 7200 s.*418.*banned/);
    expect(sleeps).toEqual([]);
  });

  it('retries a timed-out request', async () => {
    fake.addFault({ path: '/api/v3/klines', times: 1, fault: { kind: 'delay', ms: 1500 } });
    const report = await fetchHistory(opts({ timeoutMs: 300 }));
    expect(sleeps).toEqual([1000]);
    expect(report.added).toBe(2500);
  });

  it('gives up after repeated 500s with a clear error and writes nothing', async () => {
    fake.addFault({ path: '/api/v3/klines', fault: { kind: 'status', status: 500 } });
    const err = await fetchHistory(opts({ maxAttempts: 4 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/binanceus \/api\/v3\/klines BTCUSDT .*still failing after 4 attempts.*HTTP 500/);
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(fake.requestsTo('/api/v3/klines')).toHaveLength(4);
    expect(snapshot()).toEqual({});
  });

  it('rejects a non-JSON body on a later page and writes nothing', async () => {
    fake.addFault({ path: '/api/v3/klines', when: (r) => r.query.startTime === String(T0 + 1000 * H), fault: { kind: 'malformed' } });
    const err = await fetchHistory(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/binanceus returned a malformed \/api\/v3\/klines response for BTCUSDT .*expected a JSON array/);
    expect(sleeps).toEqual([]);
    expect(snapshot()).toEqual({});
  });

  it('rejects truncated JSON', async () => {
    fake.addFault({ path: '/api/v3/klines', fault: { kind: 'truncate', fraction: 0.4 } });
    await expect(fetchHistory(opts())).rejects.toThrow(/malformed \/api\/v3\/klines response for BTCUSDT/);
    expect(snapshot()).toEqual({});
  });

  it('names the exchange, symbol, row and field of a broken row', async () => {
    fake.addFault({
      path: '/api/v3/klines',
      when: (r) => r.query.startTime === String(T0 + 1000 * H),
      fault: { kind: 'mangle-rows', mangle: (row, i) => (i === 4 ? (row as unknown[]).map((v, j) => (j === 2 ? 'n/a' : v)) : row) },
    });
    const err = await fetchHistory(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).field).toBe('high');
    expect((err as Error).message).toMatch(/binanceus \/api\/v3\/klines BTCUSDT \(page from 2024-02-11T16:00Z\), line 5, field 'high': "n\/a" is not a number/);
    expect(snapshot()).toEqual({});
  });

  it('rejects inconsistent OHLC through the batch checks', async () => {
    fake.addFault({
      path: '/api/v3/klines',
      fault: { kind: 'mangle-rows', mangle: (row, i) => (i === 2 ? (row as unknown[]).map((v, j) => (j === 3 ? '1000000' : v)) : row) },
    });
    await expect(fetchHistory(opts())).rejects.toThrow(/BTCUSDT .*line 3, field 'high': high .* is below low 1000000/);
    expect(snapshot()).toEqual({});
  });

  it('retries a failed loadMarkets', async () => {
    fake.addFault({ path: '/api/v3/exchangeInfo', times: 1, fault: { kind: 'status', status: 502, body: 'Bad Gateway' } });
    const report = await fetchHistory(opts({ until: T0 + 3 * H }));
    expect(fake.requestsTo('/api/v3/exchangeInfo').map((r) => r.fault)).toEqual(['status', null]);
    expect(sleeps).toEqual([1000]);
    expect(report.added).toBe(3);
  });

  it('names an unknown symbol before fetching anything', async () => {
    const err = await fetchHistory(opts({ symbols: ['BTCUSDT', 'DOGEUSDT'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/binanceus has no spot market 'DOGEUSDT'/);
    expect(fake.requestsTo('/api/v3/klines')).toHaveLength(0);
  });

  it('rejects a table the exchange does not have', async () => {
    await expect(fetchHistory(opts({ tables: ['funding'] }))).rejects.toThrow(/binanceus has no table 'funding'/);
  });
});

describe('fetchHistory on USDⓈ-M', () => {
  const F0 = Date.UTC(2024, 0, 1);
  // SYNTHETIC schedule switching 8 h → 4 h → 2 h, with settlement times a few ms late as Binance reports them
  const funding = syntheticFunding({ start: F0, schedule: [{ hours: 8, count: 5 }, { hours: 4, count: 4 }, { hours: 2, count: 4 }], jitterMs: 5, seed: 3 });
  const perp: FakeKline[] = syntheticKlines({ start: F0, count: 72, seed: 5 });
  const mark = syntheticMarkKlines(perp);
  const usdmNow = F0 + 60 * H + 10 * 60_000;

  beforeEach(() => {
    fake.setFunding('BTCUSDT', funding);
    fake.setKlines('perp', 'BTCUSDT', perp);
    fake.setKlines('mark', 'BTCUSDT', mark);
  });

  it('fetches perp, funding and mark with derived funding intervals', async () => {
    const report = await fetchHistory(opts({ exchange: 'binanceusdm', now: () => usdmNow }));
    expect(report.series.map((s) => [s.table, s.ccxtSymbol])).toEqual([
      ['perp_1h', 'BTC/USDT:USDT'], ['funding', 'BTC/USDT:USDT'], ['mark_1h', 'BTC/USDT:USDT'],
    ]);
    expect(fake.requestsTo('/fapi/v1/exchangeInfo')).toHaveLength(1);
    expect(fake.requestsTo('/api/v3/exchangeInfo')).toHaveLength(0);

    const venues = { funding: 'binanceusdm', perp_1h: 'binanceusdm', mark_1h: 'binanceusdm' };
    const f = await rows(`SELECT epoch_ms(ts)::DOUBLE AS ts, funding_rate, funding_interval_hours AS h, calc_time_ms::DOUBLE AS calc, source
      FROM funding ORDER BY ts`, venues);
    // 8 h settlements 00..32, 4 h 36..48, 2 h 50..56: all at or before "now" (60 h 10 min)
    expect(f.map((r) => r.h)).toEqual([8, 8, 8, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2]);
    expect(f.map((r) => r.ts)).toEqual(funding.map((x) => Math.round(x.fundingTime / H) * H));
    expect(f.map((r) => r.calc)).toEqual(funding.map((x) => x.fundingTime));
    expect(f.map((r) => r.funding_rate)).toEqual(funding.map((x) => x.fundingRate));
    expect(new Set(f.map((r) => r.source))).toEqual(new Set(['binanceusdm_api_ccxt']));
    expect(funding.some((x) => x.fundingTime % H !== 0)).toBe(true);

    const [p] = await rows(`SELECT count(*)::INTEGER AS n, epoch_ms(max(ts))::DOUBLE AS last FROM perp_1h`, venues);
    expect(p).toEqual({ n: 60, last: F0 + 59 * H });
    const m = await rows(`SELECT epoch_ms(ts)::DOUBLE AS ts, open, close FROM mark_1h ORDER BY ts LIMIT 2`, venues);
    expect(m).toEqual(mark.slice(0, 2).map((k) => ({ ts: k.openTime, open: k.open, close: k.close })));
    expect(fake.requestsTo('/fapi/v1/markPriceKlines')[0].query).toMatchObject({ symbol: 'BTCUSDT', interval: '1h', startTime: String(F0) });
  });

  it('derives the first resumed interval from the last stored settlement', async () => {
    // first run stops in the middle of the 4 h run (settlements up to 40 h), the second picks up at 44 h
    await fetchHistory(opts({ exchange: 'binanceusdm', tables: ['funding'], now: () => F0 + 41 * H }));
    fake.clearRequests();
    await fetchHistory(opts({ exchange: 'binanceusdm', tables: ['funding'], now: () => usdmNow }));
    const starts = fake.requestsTo('/fapi/v1/fundingRate').map((r) => Number(r.query.startTime));
    // settlements are not on a grid, so the end is known only from an empty page after the last one
    expect(starts).toEqual([F0 + 41 * H, funding.at(-1)!.fundingTime + 1]);
    const f = await rows(`SELECT epoch_ms(ts)::DOUBLE AS ts, funding_interval_hours AS h FROM funding ORDER BY ts`, { funding: 'binanceusdm' });
    expect(f.map((r) => r.h)).toEqual([8, 8, 8, 8, 8, 4, 4, 4, 4, 2, 2, 2, 2]);
  });

  it('names an unknown perpetual', async () => {
    await expect(fetchHistory(opts({ exchange: 'binanceusdm', symbols: ['FOOUSDT'] }))).rejects.toThrow(/binanceusdm has no USDⓈ-M perpetual 'FOOUSDT'/);
  });
});

describe('exchange plumbing', () => {
  it('binance loads spot markets only, from the fake', async () => {
    const report = await fetchHistory(opts({ exchange: 'binance', until: T0 + 5 * H }));
    expect(fake.requests.map((r) => r.path)).toEqual(['/api/v3/exchangeInfo', '/api/v3/klines']);
    expect(report.venue).toBe('binance');
    expect(readSnapshot(ds).files).toContainEqual(expect.stringMatching(/^binance\/candles_1h\/symbol=BTCUSDT\/year=2024\/g\d+-[0-9a-f]+\.parquet$/));
  });

  it('rewrites every API URL to the base, keeping paths and websocket schemes', () => {
    const ex = new ccxt.binance();
    const api = rewriteApiUrls(structuredClone(ex.urls.api) as Record<string, unknown>, 'http://127.0.0.1:4567');
    const strings: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(api);
    expect(strings.length).toBeGreaterThan(10);
    for (const s of strings) expect(s).toMatch(/^http:\/\/127\.0\.0\.1:4567\//);
    expect(api.public).toBe('http://127.0.0.1:4567/api/v3');
    expect(api.fapiPublic).toBe('http://127.0.0.1:4567/fapi/v1');
    expect(api.fapiData).toBe('http://127.0.0.1:4567/futures/data');
    expect(rewriteApiUrls({ ws: { spot: 'wss://stream.binance.com:9443/ws' } }, 'http://127.0.0.1:1')).toEqual({ ws: { spot: 'ws://127.0.0.1:1/ws' } });
  });

  it('the test guard refuses anything but 127.0.0.1', async () => {
    await expect(fetchHistory(opts({ apiBaseUrl: 'http://127.0.0.2:9', maxAttempts: 1 }))).rejects.toThrow(/refused by the test guard/);
  });

  it('parses CLI times as UTC', () => {
    expect(parseTimeArg('2024-01-01', 'since')).toBe(T0);
    expect(parseTimeArg('2024-01-01T05:00', 'since')).toBe(T0 + 5 * H);
    expect(parseTimeArg(String(T0), 'since')).toBe(T0);
    expect(() => parseTimeArg('yesterday', 'since')).toThrow(UserError);
  });
});
