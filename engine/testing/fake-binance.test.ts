// The fake exchange itself, driven with plain fetch on 127.0.0.1: Binance's paging rules, the request log and
// fault injection. Series are SYNTHETIC.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeBinance, syntheticFunding, syntheticKlines } from './fake-binance.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
let fake: FakeBinance;
let base: string;

beforeEach(async () => {
  fake = new FakeBinance({
    spotKlines: { BTCUSDT: syntheticKlines({ start: T0, count: 50 }) },
    funding: { BTCUSDT: syntheticFunding({ start: T0, schedule: [{ hours: 8, count: 10 }] }) },
  });
  base = await fake.start();
});
afterEach(async () => {
  await fake.close();
});

async function get(path: string): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(base + path);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('FakeBinance', () => {
  it('binds loopback on a random port', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('pages klines like Binance: startTime, endTime (inclusive), limit, ascending', async () => {
    const a = JSON.parse((await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=${T0 + 5 * H}&limit=3`)).text) as unknown[][];
    expect(a.map((r) => r[0])).toEqual([T0 + 5 * H, T0 + 6 * H, T0 + 7 * H]);
    expect(a[0]).toHaveLength(12);
    expect(a[0][6]).toBe(T0 + 6 * H - 1);
    const b = JSON.parse((await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=${T0 + 5 * H}&endTime=${T0 + 6 * H}&limit=10`)).text) as unknown[][];
    expect(b.map((r) => r[0])).toEqual([T0 + 5 * H, T0 + 6 * H]);
    const c = JSON.parse((await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=2`)).text) as unknown[][];
    expect(c.map((r) => r[0])).toEqual([T0 + 48 * H, T0 + 49 * H]);
  });

  it('rejects a limit above the endpoint maximum and unknown symbols', async () => {
    const over = await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1001`);
    expect(over.status).toBe(400);
    expect(JSON.parse(over.text).code).toBe(-1130);
    const futuresOk = await get(`/fapi/v1/klines?symbol=BTCUSDT&interval=1h&limit=1500`);
    expect(futuresOk.status).toBe(200);
    const unknown = await get(`/api/v3/klines?symbol=NOPEUSDT&interval=1h`);
    expect(JSON.parse(unknown.text).code).toBe(-1121);
    expect((await get('/api/v3/nothing')).status).toBe(404);
  });

  it('serves funding history with the window rules', async () => {
    const rows = JSON.parse((await get(`/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=${T0 + 1}&limit=2`)).text) as { fundingTime: number; symbol: string }[];
    expect(rows.map((r) => r.fundingTime)).toEqual([T0 + 8 * H, T0 + 16 * H]);
    expect(rows[0].symbol).toBe('BTCUSDT');
  });

  it('records requests and applies faults by rule, for a bounded number of times', async () => {
    fake.addFault({ path: '/api/v3/klines', when: (r) => r.query.startTime === '1', times: 1, fault: { kind: 'rate-limit', retryAfterSec: 3 } });
    fake.addFault({ path: /exchangeInfo$/, times: 1, fault: { kind: 'malformed' } });
    const limited = await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1`)).status).toBe(200);
    expect((await get('/api/v3/exchangeInfo')).text).toMatch(/^<html>/);
    expect(JSON.parse((await get('/api/v3/exchangeInfo')).text).symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(fake.requests.map((r) => [r.path, r.fault])).toEqual([
      ['/api/v3/klines', 'rate-limit'],
      ['/api/v3/klines', null],
      ['/api/v3/exchangeInfo', 'malformed'],
      ['/api/v3/exchangeInfo', null],
    ]);
  });

  it('truncates, shortens and mangles answers', async () => {
    fake.addFault({ times: 1, fault: { kind: 'truncate', fraction: 0.5 } });
    fake.addFault({ times: 1, fault: { kind: 'short-page', rows: 2 } });
    fake.addFault({ times: 1, fault: { kind: 'mangle-rows', mangle: (row) => (row as unknown[]).slice(0, 3) } });
    const q = `/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=${T0}&limit=10`;
    const truncated = await get(q);
    expect(() => JSON.parse(truncated.text)).toThrow();
    expect(JSON.parse((await get(q)).text)).toHaveLength(2);
    const mangled = JSON.parse((await get(q)).text) as unknown[][];
    expect(mangled).toHaveLength(10);
    expect(mangled[0]).toHaveLength(3);
  });

  it('answers 500 and can drop the connection', async () => {
    fake.addFault({ times: 1, fault: { kind: 'status', status: 500 } });
    fake.addFault({ times: 1, fault: { kind: 'reset' } });
    const failed = await get('/api/v3/ping');
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.text).code).toBe(-1000);
    await expect(fetch(base + '/api/v3/ping')).rejects.toThrow();
  });

  it('closes promptly with a delayed request still pending', async () => {
    fake.addFault({ fault: { kind: 'delay', ms: 60_000 } });
    const pending = fetch(base + '/api/v3/ping').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    // no timed assertion (speed belongs in `npm run bench`): had close() waited out the 60 s delay, the
    // request would have been answered and `pending` would hold a Response, not the dropped connection's Error
    await fake.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('takes extra routes', async () => {
    fake.route('GET', '/fapi/v1/premiumIndex', () => ({ body: { symbol: 'BTCUSDT', markPrice: '1' } }));
    expect(JSON.parse((await get('/fapi/v1/premiumIndex')).text).markPrice).toBe('1');
  });

  it('serves the forceOrder websocket: subscribe, push orders, malformed frames, drops and refused upgrades', async () => {
    const wsUrl = base.replace('http:', 'ws:') + '/market/ws/0';
    const ws = new WebSocket(wsUrl);
    const got: string[] = [];
    ws.on('message', (d) => got.push(String(d)));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['btcusdt@forceOrder'], id: 7 }));
    await fake.waitForSubscribers('BTCUSDT', 1, 5000);
    expect(fake.pushForceOrder({ symbol: 'BTCUSDT', side: 'SELL', price: 100, qty: 2, time: T0 })).toBe(1);
    expect(fake.pushForceOrder({ symbol: 'ETHUSDT', side: 'BUY', price: 10, qty: 1, time: T0 })).toBe(0);
    fake.pushRaw('garbage');
    while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(JSON.parse(got[0])).toEqual({ result: null, id: 7 });
    expect(JSON.parse(got[1])).toMatchObject({ e: 'forceOrder', o: { s: 'BTCUSDT', S: 'SELL', ap: '100', z: '2', T: T0 } });
    expect(got[2]).toBe('garbage');
    expect(fake.forceOrdersSent).toBe(1);
    const closed = new Promise((r) => ws.once('close', r));
    expect(fake.dropWebsockets()).toBe(1);
    await closed;
    fake.refuseWebsocketUpgrades(1);
    const refused = new WebSocket(wsUrl);
    const err = await new Promise<Error>((r) => refused.once('error', r));
    expect(err.message).toMatch(/503/);
    expect(fake.wsLog.filter((l) => l.refused)).toHaveLength(1);
  });
});
