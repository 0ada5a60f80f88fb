// The API through fastify inject: every route with valid parameters, the cursor rule (nothing after `at`), and
// a 400 that names the parameter for each kind of invalid one.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../engine/pipeline/input.ts';
import { createRunSource } from './run-source.ts';
import { EventsResponse, FeaturesResponse } from './schemas.ts';
import { buildServer } from './server.ts';
import { makeRun, tempResultsDir, type FixtureRun } from './testing.ts';

let fx: FixtureRun;
let other: FixtureRun;
let app: FastifyInstance;
const AT = Date.parse('2026-03-20T12:00:00Z');

beforeAll(async () => {
  const dir = tempResultsDir();
  // two runs: the served one and one to pick with ?run=
  other = await makeRun(dir, '2026-02-01T00:00:00Z', '2026-02-08T00:00:00Z', 'february week');
  fx = await makeRun(dir);
  fs.mkdirSync(path.join(dir, 'reports', 'weekly-notes'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'reports', 'weekly-notes', 'index.html'), '<html><head><title>Weekly notes</title></head><body>notes</body></html>');
  // what engine/report writes beside a rendered notebook
  fs.writeFileSync(
    path.join(dir, 'reports', 'weekly-notes', 'report.json'),
    JSON.stringify({ notebook: 'weekly', title: 'Weekly notes', params: {}, rendered_at: '2026-04-01T00:00:00.000Z', ok: true, errors: [], charts: [], data: [] }),
  );
  app = await buildServer({ source: createRunSource(dir, fx.record.manifest.id), resultsDir: dir, logger: false, env: {} });
});

afterAll(async () => {
  await app?.close();
  fs.rmSync(fx.resultsDir, { recursive: true, force: true });
});

const get = async (url: string, headers: Record<string, string> = {}) => {
  const r = await app.inject({ method: 'GET', url, headers });
  return { status: r.statusCode, body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.body, headers: r.headers };
};

describe('API routes', () => {
  it('health: the source, its symbols and range, secrets-free status', async () => {
    const r = await get('/api/health');
    expect(r.status).toBe(200);
    expect(r.body.source).toEqual({ kind: 'backtest', id: fx.record.manifest.id });
    expect(r.body.symbols).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(r.body.range).toEqual({ first: Date.parse('2026-03-01T00:00:00Z'), last: Date.parse('2026-03-31T23:00:00Z') });
    expect(r.body.auth).toBe('loopback');
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('features: the latest row per symbol at the cursor (ISO or epoch ms)', async () => {
    const iso = await get('/api/features?at=2026-03-20T12:00Z');
    const ms = await get(`/api/features?at=${AT}`);
    expect(iso.status).toBe(200);
    expect(iso.headers['content-type']).toBe('application/json; charset=utf-8');
    // written without the zod serializer (see routes/fast-json.ts), so held to the schema here
    expect(FeaturesResponse.parse(ms.body)).toEqual(ms.body);
    expect(iso.body).toEqual(ms.body);
    expect(ms.body.at).toBe(AT);
    expect(ms.body.rows.map((r: { symbol: string }) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(ms.body.rows.every((r: { ts_ms: number }) => r.ts_ms === AT)).toBe(true);
    const one = await get(`/api/features?at=${AT}&symbol=ethusdt`);
    expect(one.body.rows).toHaveLength(1);
    expect(one.body.rows[0].symbol).toBe('ETHUSDT');
    // no cursor: the run's last hour
    expect((await get('/api/features')).body.at).toBe(Date.parse('2026-03-31T23:00:00Z'));
  });

  it('cascades: values where there is coverage, a stated reason where there is none', async () => {
    const r = await get(`/api/cascades?at=${AT}&hours=24`);
    expect(r.status).toBe(200);
    expect(r.body.hours).toBe(24);
    const btc = r.body.symbols.find((s: { symbol: string }) => s.symbol === 'BTCUSDT');
    const eth = r.body.symbols.find((s: { symbol: string }) => s.symbol === 'ETHUSDT');
    expect(btc.kind).toBe('aggregated');
    expect(btc.message).toBeNull();
    expect(typeof btc.total_usd).toBe('number');
    expect(btc.coverage_note).toMatch(/^aggregated liquidation data for BTCUSDT: 2026-03-01 00:00 → 2026-03-31 23:00 UTC/);
    expect(btc.history).toHaveLength(24);
    expect(btc.history.every((h: { ts: number }) => h.ts <= AT && h.ts > AT - 24 * HOUR_MS)).toBe(true);
    expect(eth.total_usd).toBeNull();
    expect(eth.message).toBe('no liquidation data for ETHUSDT at this hour');
    expect(eth.coverage_note).toBe('no liquidation data for ETHUSDT in this run: cascades cannot be detected');
  });

  it('volatility, funding, prices, regimes: latest at the cursor plus a history that ends there', async () => {
    for (const route of ['volatility', 'funding', 'prices', 'regimes']) {
      const r = await get(`/api/${route}?at=${AT}&hours=48&symbol=SOLUSDT`);
      expect(r.status, route).toBe(200);
      expect(r.body.symbols, route).toHaveLength(1);
      const s = r.body.symbols[0];
      expect(s.symbol).toBe('SOLUSDT');
      expect(s.ts, route).toBe(AT);
      expect(s.history.length, route).toBe(48);
      expect(s.history[s.history.length - 1].ts, route).toBe(AT);
    }
    const reg = await get(`/api/regimes?at=${AT}&hours=1`);
    expect(reg.body.symbols[0].timeframes.map((t: { timeframe: string }) => t.timeframe)).toEqual(['1h', '4h', '1d', '1w']);
    expect(typeof reg.body.symbols[0].confidence).toBe('number');
    const vol = await get(`/api/volatility?at=${AT}&hours=1`);
    expect(['STABLE', 'HIGH_VOL', 'EXPLOSIVE', 'EXTREME']).toContain(vol.body.symbols[0].regime);
  });

  it('prices: candles (open/high/low/volume) from the dataset beside the feature close', async () => {
    const r = await get(`/api/prices?at=${AT}&hours=24&symbol=BTCUSDT`);
    const h = r.body.symbols[0].history as { ts: number; close: number; open: number; high: number; low: number; volume: number }[];
    expect(h).toHaveLength(24);
    for (const c of h) {
      expect(typeof c.open, String(c.ts)).toBe('number');
      expect(c.high).toBeGreaterThanOrEqual(Math.max(c.open, c.close));
      expect(c.low).toBeLessThanOrEqual(Math.min(c.open, c.close));
      expect(c.volume).toBeGreaterThan(0);
    }
  });

  it('correlation: every pair at the cursor, narrowed by symbol', async () => {
    const r = await get(`/api/correlation?at=${AT}&hours=24`);
    expect(r.status).toBe(200);
    expect(r.body.pairs.map((p: { key: string }) => p.key)).toEqual(['btcusdt_ethusdt', 'btcusdt_solusdt', 'ethusdt_solusdt']);
    expect(r.body.pairs.every((p: { corr: number | null }) => typeof p.corr === 'number' && p.corr >= -1 && p.corr <= 1)).toBe(true);
    expect(r.body.history).toHaveLength(3 * 24);
    const sol = await get(`/api/correlation?at=${AT}&hours=24&symbol=SOLUSDT`);
    expect(sol.body.pairs.map((p: { key: string }) => p.key)).toEqual(['btcusdt_solusdt', 'ethusdt_solusdt']);
  });

  it('events: newest first, nothing after the cursor, with filters and limit', async () => {
    const r = await get(`/api/events?at=${AT}&limit=1000`);
    expect(r.status).toBe(200);
    expect(EventsResponse.parse(r.body)).toEqual(r.body);
    const expected = fx.alerts.filter((a) => a.ts <= AT);
    expect(r.body.count).toBe(expected.length);
    expect(r.body.events.every((e: { ts: number }) => e.ts <= AT)).toBe(true);
    for (let i = 1; i < r.body.events.length; i++) expect(r.body.events[i].ts).toBeLessThanOrEqual(r.body.events[i - 1].ts);
    const f = await get(`/api/events?at=${AT}&severity=warning&symbol=BTCUSDT&since=2026-03-10&limit=5`);
    expect(f.status).toBe(200);
    expect(f.body.events.length).toBeLessThanOrEqual(5);
    expect(f.body.events.length).toBe(Math.min(5, expected.filter((a) => a.severity === 'WARNING' && a.symbol.includes('BTCUSDT') && a.ts >= Date.parse('2026-03-10')).length));
    expect(f.body.events.every((e: { severity: string; symbol: string }) => e.severity === 'WARNING' && e.symbol.includes('BTCUSDT'))).toBe(true);
  });

  it('a cursor past the end is the last hour; before the start there is nothing', async () => {
    const late = await get('/api/features?at=2030-01-01');
    expect(late.body.at).toBe(Date.parse('2026-03-31T23:00:00Z'));
    const early = await get('/api/features?at=2020-01-01');
    expect(early.body.rows).toEqual([]);
    expect((await get('/api/events?at=2020-01-01')).body.events).toEqual([]);
  });

  it('runs: the list (newest first), a run by id with its scorecard, and ?run= picks another run', async () => {
    const list = await get('/api/runs');
    expect(list.status).toBe(200);
    expect(list.body.current.id).toBe(fx.record.manifest.id);
    // ids sort by creation time (to the second, then a random suffix): newest first
    const ids = [fx.record.manifest.id, other.record.manifest.id].sort().reverse();
    expect(list.body.runs.map((r: { id: string }) => r.id)).toEqual(ids);
    expect(list.body.runs.find((r: { id: string }) => r.id === other.record.manifest.id).label).toBe('february week');

    const one = await get(`/api/runs/${other.record.manifest.id}`);
    expect(one.status).toBe(200);
    expect(one.body.manifest.from).toBe('2026-02-01 00:00');
    expect(one.body.report.alerts_total).toBe(other.alerts.length);
    expect((one.body.scorecard as { alerts: { total: number } }).alerts.total).toBe(other.alerts.length);

    const picked = await get(`/api/features?run=${other.record.manifest.id}`);
    expect(picked.body.source.id).toBe(other.record.manifest.id);
    expect(picked.body.at).toBe(Date.parse('2026-02-07T23:00:00Z'));
    // a unique suffix is enough, as on the command line
    const suffix = other.record.manifest.id.slice(-4);
    expect((await get(`/api/health?run=${suffix}`)).body.source.id).toBe(other.record.manifest.id);
    expect((await get('/api/health?run=latest')).body.source.id).toBe(ids[0]);
  });

  it('reports: listed from results/reports and served as static files, nothing outside', async () => {
    const r = await get('/api/reports');
    expect(r.body.reports).toEqual([{ name: 'weekly-notes', title: 'Weekly notes', label: expect.stringMatching(/^Weekly notes/), url: '/reports/weekly-notes/', modified: '2026-04-01T00:00:00.000Z', notebook: 'weekly', ok: true }]);
    // the served index of reports, under the page CSP
    const index = await get('/reports/');
    expect(index.status).toBe(200);
    expect(index.body).toMatch(/<a href="\/reports\/weekly-notes\/">Weekly notes[^<]*<\/a>/);
    expect(String(index.headers['content-security-policy'])).not.toContain('unsafe-inline');
    const page = await get('/reports/weekly-notes/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('notes');
    const bare = await get('/reports/weekly-notes');
    expect(bare.status).toBe(302);
    expect(bare.headers.location).toBe('/reports/weekly-notes/');
    expect((await get('/reports/weekly-notes/..%2F..%2Fruns')).status).toBe(404);
    expect((await get('/reports/..%2Fruns/run.json')).status).toBe(404);
  });

  it('serves the dashboard page and the Vega builds from node_modules', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/connect-src 'self'/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.body).toContain('/vendor/vega-embed.min.js');
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    for (const f of ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js']) {
      const r = await get(`/vendor/${f}`);
      expect(r.status, f).toBe(200);
      expect(r.headers['content-type']).toMatch(/javascript/);
      expect(String(r.body).length, f).toBeGreaterThan(50_000);
    }
    expect((await get('/app.js')).status).toBe(200);
    expect((await get('/vendor/other.js')).status).toBe(404);
  });
});

describe('API parameter validation: 400 naming the parameter', () => {
  const cases: [string, RegExp][] = [
    ['/api/cascades?hours=abc', /query parameter 'hours': expected a whole number of hours from 1 to 2160, got 'abc'/],
    ['/api/volatility?hours=0', /query parameter 'hours'/],
    ['/api/regimes?hours=99999', /query parameter 'hours'/],
    ['/api/features?at=yesterday', /query parameter 'at': expected epoch ms or an ISO date\/time/],
    ['/api/features?at=2026-13-45', /query parameter 'at'/],
    // Date.parse would read these as 2 March and 1 March: an impossible date is an error, not a roll-over
    ['/api/features?at=2026-02-30', /query parameter 'at': expected epoch ms or an ISO date\/time .*got '2026-02-30'/],
    ['/api/events?since=2025-02-29T12:00Z', /query parameter 'since'/],
    ['/api/features?at=2026-03-01T24:00Z', /query parameter 'at'/],
    ['/api/events?since=soon', /query parameter 'since'/],
    ['/api/events?type=NOPE', /query parameter 'type': expected one of LIQUIDATION_CASCADE/],
    ['/api/events?severity=LOUD', /query parameter 'severity': expected INFO, WARNING or CRITICAL/],
    ['/api/events?limit=0', /query parameter 'limit'/],
    ['/api/events?limit=5000', /query parameter 'limit'/],
    ['/api/events?symbol=BTC-USDT', /query parameter 'symbol'/],
    ['/api/cascades?symbol=XRPUSDT', /query parameter 'symbol': unknown symbol 'XRPUSDT'/],
    ['/api/features?at=1&at=2', /query parameter 'at': given more than once/],
    ['/api/features?foo=1', /unknown query parameter 'foo'/],
    ['/api/features?run=bad!id', /query parameter 'run'/],
    ['/api/runs/bad!id', /path parameter 'id'/],
    ['/api/reports?x=1', /unknown query parameter 'x'/],
  ];
  for (const [url, message] of cases) {
    it(url, async () => {
      const r = await get(url);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    });
  }

  it('an unknown run or route is a 404 with a JSON body', async () => {
    expect((await get('/api/features?run=nope')).body).toEqual({ statusCode: 404, error: 'Not Found', message: "no saved run 'nope'" });
    expect((await get('/api/runs/nope')).status).toBe(404);
    expect((await get('/api/nothing')).status).toBe(404);
  });
});
