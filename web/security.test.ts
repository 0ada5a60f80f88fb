// The security rules: refusal to start on a non-loopback address without a token, the bearer check on every
// /api route, no secret in a response or a log line, no CORS, and loopback Host names only without a token.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FeatureRow } from '../engine/pipeline/feature-row.ts';
import { buildServer, startServer } from './server.ts';
import { authConfig, bearerMatches, isLoopbackHost, redactSecrets, SecurityConfigError } from './security.ts';
import type { DashboardSource } from './source.ts';

const TOKEN = 'test-token-0123456789abcdef';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

const SLACK = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX';
const DISCORD = 'https://discord.com/api/webhooks/123456/abcdefSECRET';
const TELEGRAM = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

/** a live-like source whose status carries the kind of secrets a notifier holds */
function fakeSource(): DashboardSource {
  const row = (ts: number, symbol: string): FeatureRow => ({ ts_ms: ts, symbol, close: 100, liq_status: 'no_data' });
  return {
    kind: 'live',
    id: 'live',
    symbols: ['BTCUSDT'],
    range: () => ({ first: T0, last: T0 + 5 * HOUR }),
    latestFeatures: async () => [row(T0 + 5 * HOUR, 'BTCUSDT')],
    featureHistory: async (s, hours) => Array.from({ length: Math.min(hours, 6) }, (_, i) => row(T0 + i * HOUR, s)),
    events: async () => [],
    scorecard: () => null,
    liquidationCoverage: async () => [],
    status: async () => ({
      hours_fetched: 6,
      webhook_url: SLACK,
      notify: { telegram_bot_token: TELEGRAM, channels: [{ name: 'ops', url: DISCORD }], last_error: `POST ${DISCORD} failed with 500` },
      note: `bot ${TELEGRAM} is configured`,
    }),
  };
}

const API_ROUTES = ['/api/health', '/api/features', '/api/cascades', '/api/volatility', '/api/funding', '/api/prices', '/api/regimes', '/api/correlation', '/api/events', '/api/runs', '/api/reports', '/api/runs/some-run'];

describe('binding rules', () => {
  it('refuses to build or start on a non-loopback address without a token', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com']) {
      await expect(buildServer({ source: fakeSource(), host, logger: false, env: {} })).rejects.toThrow(SecurityConfigError);
    }
    await expect(startServer({ source: fakeSource(), host: '0.0.0.0', port: 0, logger: false, env: {} })).rejects.toThrow(/refusing to bind 0\.0\.0\.0 without an API token/);
  });

  it('takes the token from REGIME_API_TOKEN, and refuses a short one', async () => {
    expect(authConfig('0.0.0.0', undefined, { REGIME_API_TOKEN: TOKEN }).token).toBe(TOKEN);
    expect(() => authConfig('0.0.0.0', 'short', {})).toThrow(/at least 16/);
    expect(authConfig('127.0.0.1', undefined, {}).token).toBeNull();
  });

  it('knows loopback addresses and names', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'app.localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'localhost.evil.com', 'example.com', '']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('compares bearer tokens exactly', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
  });
});

describe('a server configured for a non-loopback address', () => {
  it('answers 401 on every /api route without the token or with a wrong one, 200 with it', async () => {
    const app = await buildServer({ source: fakeSource(), host: '0.0.0.0', token: TOKEN, logger: false, env: {} });
    try {
      for (const url of API_ROUTES) {
        const none = await app.inject({ url, headers: { host: 'dashboard.example:3000' } });
        expect(none.statusCode, url).toBe(401);
        expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(none.json().message).toMatch(/API token/);
        const wrong = await app.inject({ url, headers: { host: 'dashboard.example:3000', authorization: 'Bearer wrong-token-0123456789' } });
        expect(wrong.statusCode, url).toBe(401);
      }
      const ok = await app.inject({ url: '/api/features', headers: { host: 'dashboard.example:3000', authorization: `Bearer ${TOKEN}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().rows[0].symbol).toBe('BTCUSDT');
      const health = await app.inject({ url: '/api/health', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(health.json().auth).toBe('token');
      // the page is protected too: a browser is sent to the login step, anything else gets 401
      const page = await app.inject({ url: '/', headers: { host: 'dashboard.example:3000', accept: 'text/html' } });
      expect(page.statusCode).toBe(303);
      expect(page.headers.location).toBe('/login?next=%2F');
      expect((await app.inject({ url: '/', headers: { host: 'dashboard.example:3000' } })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('a token given on loopback is enforced too', async () => {
    const app = await buildServer({ source: fakeSource(), token: TOKEN, logger: false, env: {} });
    try {
      expect((await app.inject({ url: '/api/health' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/health', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('no secrets, no CORS, no rebinding', () => {
  it('health returns the source status with every secret removed', async () => {
    const app = await buildServer({ source: fakeSource(), logger: false, env: {} });
    try {
      const r = await app.inject({ url: '/api/health' });
      expect(r.statusCode).toBe(200);
      expect(r.json().status.hours_fetched).toBe(6);
      for (const secret of ['hooks.slack.com', 'XXXXXXXXXXXX', 'discord.com/api/webhooks', 'abcdefSECRET', 'AAHdqTcvCH1v', '123456789:']) expect(r.body, secret).not.toContain(secret);
    } finally {
      await app.close();
    }
  });

  it('redactSecrets drops secret keys and masks secret-looking strings', () => {
    const out = redactSecrets({ a: 1, api_key: 'k', nested: { password: 'p', list: [`see ${SLACK}`, 'plain'] }, n: NaN }) as Record<string, unknown>;
    expect(out).toEqual({ a: 1, nested: { list: ['see [redacted]', 'plain'] }, n: null });
  });

  it('never writes the bearer token to the log', async () => {
    let logged = '';
    const sink = new Writable({ write: (chunk, _enc, cb) => ((logged += chunk.toString()), cb()) });
    const logger = pino({ level: 'trace' }, sink);
    const app = await buildServer({ source: fakeSource(), host: '0.0.0.0', token: TOKEN, logger, env: {} });
    try {
      await app.inject({ url: '/api/health', headers: { authorization: `Bearer ${TOKEN}` } });
      await app.inject({ url: '/api/nothing', headers: { authorization: `Bearer ${TOKEN}` } });
      await app.inject({ url: '/api/health', headers: { authorization: 'Bearer not-the-token-at-all' } });
    } finally {
      await app.close();
    }
    expect(logged).toContain('request completed');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('not-the-token-at-all');
  });

  it('sends no CORS headers and has no preflight route', async () => {
    const app = await buildServer({ source: fakeSource(), logger: false, env: {} });
    try {
      const r = await app.inject({ url: '/api/health', headers: { origin: 'https://evil.example' } });
      expect(r.statusCode).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await app.inject({ method: 'OPTIONS', url: '/api/health', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      expect(pre.statusCode).toBe(404);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('without a token, refuses requests addressed to a non-loopback host name (DNS rebinding)', async () => {
    const app = await buildServer({ source: fakeSource(), logger: false, env: {} });
    try {
      expect((await app.inject({ url: '/api/health', headers: { host: 'attacker.example:3000' } })).statusCode).toBe(403);
      expect((await app.inject({ url: '/api/health', headers: { host: '127.0.0.1:3000' } })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/health', headers: { host: '[::1]:3000' } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('a real listener binds loopback by default', async () => {
    const s = await startServer({ source: fakeSource(), port: 0, logger: false, env: {} });
    try {
      expect(s.host).toBe('127.0.0.1');
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await fetch(`${s.url}/api/health`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { source: { kind: string } }).source.kind).toBe('live');
    } finally {
      await s.close();
    }
  });
});
