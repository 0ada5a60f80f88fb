// "Token means token" (#12.3): with a token every route but /healthz and the login step needs it — page,
// assets, vendored scripts, palette, reports with their report.json and CSVs, the API and its docs; the login
// step exchanges the token for an HttpOnly SameSite=Strict cookie; no static route serves a dotfile or follows
// a symlink out of its folder. Through inject and through a real listener on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE, safeNext, sessionValue } from './auth.ts';
import { buildServer, startServer } from './server.ts';
import { syntheticSource } from './testing-fakes.ts';

const TOKEN = 'auth-test-token-0123456789';
const HOST = { host: 'dashboard.example:3000' };

let results: string;
let outside: string;
let app: FastifyInstance;

beforeAll(async () => {
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-auth-results-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-auth-outside-'));
  const rep = path.join(results, 'reports', 'overview');
  fs.mkdirSync(path.join(rep, 'data'), { recursive: true });
  fs.writeFileSync(path.join(rep, 'index.html'), '<!doctype html><title>Overview</title><p>report</p>');
  fs.writeFileSync(path.join(rep, 'report.json'), '{"title":"Overview"}');
  fs.writeFileSync(path.join(rep, 'data', 'alerts.csv'), 'ts,count\n2026-03-01,3\n');
  fs.writeFileSync(path.join(rep, '.secret'), 'hidden');
  fs.mkdirSync(path.join(rep, '.git'));
  fs.writeFileSync(path.join(rep, '.git', 'config'), 'hidden');
  fs.writeFileSync(path.join(outside, 'private.csv'), 'secret,data\n');
  fs.symlinkSync(path.join(outside, 'private.csv'), path.join(rep, 'data', 'link.csv'));
  fs.symlinkSync(outside, path.join(rep, 'data', 'dirlink'));
  fs.symlinkSync(path.join(rep, 'data', 'alerts.csv'), path.join(rep, 'data', 'inside-link.csv'));
  // a whole report folder that is a link out of the reports folder
  fs.writeFileSync(path.join(outside, 'index.html'), '<p>outside</p>');
  fs.symlinkSync(outside, path.join(results, 'reports', 'escaped'));
  app = await buildServer({ source: syntheticSource(), host: '0.0.0.0', token: TOKEN, resultsDir: results, logger: false, env: {} });
});

afterAll(async () => {
  await app?.close();
  for (const d of [results, outside]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const PROTECTED = [
  '/',
  '/index.html',
  '/app.js',
  '/style.css',
  '/palette.js',
  '/vendor/vega.min.js',
  '/vendor/vega-embed.min.js',
  '/reports/overview/',
  '/reports/overview/index.html',
  '/reports/overview/report.json',
  '/reports/overview/data/alerts.csv',
  '/openapi.json',
  '/docs',
  '/docs/static/swagger-ui-bundle.js',
  '/api/health',
  '/api/reports',
  '/api/events',
];

describe('with a token, every route needs it', () => {
  it('answers 401 without the token or with a wrong one, on every kind of route', async () => {
    for (const url of PROTECTED) {
      const none = await app.inject({ url, headers: HOST });
      expect(none.statusCode, url).toBe(401);
      expect(none.body, url).not.toContain('report');
      const wrong = await app.inject({ url, headers: { ...HOST, authorization: 'Bearer wrong-token-0123456789' } });
      expect(wrong.statusCode, url).toBe(401);
      const badCookie = await app.inject({ url, headers: { ...HOST, cookie: `${SESSION_COOKIE}=${sessionValue('another-token-0123456789')}` } });
      expect(badCookie.statusCode, url).toBe(401);
    }
  });

  it('serves every one of them with the bearer header or the session cookie', async () => {
    for (const url of PROTECTED) {
      const bearer = await app.inject({ url, headers: { ...HOST, authorization: `Bearer ${TOKEN}` } });
      expect([200, 302], url).toContain(bearer.statusCode);
      const cookie = await app.inject({ url, headers: { ...HOST, cookie: `other=1; ${SESSION_COOKIE}=${sessionValue(TOKEN)}` } });
      expect(cookie.statusCode, url).toBe(bearer.statusCode);
    }
  });

  it('sends a browser asking for a page to the login step, keeping where it wanted to go', async () => {
    const r = await app.inject({ url: '/reports/overview/?x=1', headers: { ...HOST, accept: 'text/html,application/xhtml+xml' } });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`/login?next=${encodeURIComponent('/reports/overview/?x=1')}`);
    // the API never redirects: a script gets a 401 it can act on
    const api = await app.inject({ url: '/api/health', headers: { ...HOST, accept: 'text/html' } });
    expect(api.statusCode).toBe(401);
    expect(api.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('keeps /healthz and the login step public, saying nothing but "up"', async () => {
    const h = await app.inject({ url: '/healthz', headers: HOST });
    expect(h.statusCode).toBe(200);
    expect(h.json()).toEqual({ ok: true });
    for (const url of ['/login', '/login.js', '/login.css']) expect((await app.inject({ url, headers: HOST })).statusCode, url).toBe(200);
    const page = await app.inject({ url: '/login', headers: HOST });
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.body).toContain('action="/login"');
  });
});

describe('the login step', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/login', payload: body, headers: { ...HOST, 'content-type': 'application/x-www-form-urlencoded', ...headers } });

  it('exchanges the right token for an HttpOnly SameSite=Strict cookie that is not the token, then redirects', async () => {
    const r = await post(`token=${encodeURIComponent(TOKEN)}&next=${encodeURIComponent('/reports/overview/')}`);
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/reports/overview/');
    const set = String(r.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{20,}; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+$`));
    expect(set).not.toContain(TOKEN);
    const cookie = set.split(';')[0];
    const page = await app.inject({ url: '/reports/overview/', headers: { ...HOST, cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('report');
  });

  it('refuses a wrong or empty token visibly, and never redirects off the site', async () => {
    const wrong = await post('token=not-the-token-at-all-123&next=/');
    expect(wrong.statusCode).toBe(303);
    expect(wrong.headers.location).toBe('/login?failed=1&next=%2F');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await post('next=/')).headers.location).toMatch(/failed=1/);
    const json = await post('token=nope-nope-nope-nope-nope', { accept: 'application/json' });
    expect(json.statusCode).toBe(401);
    const evil = await post(`token=${TOKEN}&next=${encodeURIComponent('//evil.example/x')}`);
    expect(evil.headers.location).toBe('/');
    for (const next of ['https://evil.example', '//evil', '/\\evil', 'relative', '/ok\r\nx']) expect(safeNext(next), next).toBe('/');
    expect(safeNext('/reports/a/?b=1')).toBe('/reports/a/?b=1');
  });
});

describe('static routes stay inside their folders', () => {
  const auth = { ...HOST, authorization: `Bearer ${TOKEN}` };
  const status = async (url: string) => (await app.inject({ url, headers: auth })).statusCode;

  it('serves the report, its report.json and data, and a link that stays inside', async () => {
    expect(await status('/reports/overview/report.json')).toBe(200);
    const csv = await app.inject({ url: '/reports/overview/data/alerts.csv', headers: auth });
    expect(csv.body).toBe('ts,count\n2026-03-01,3\n');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(await status('/reports/overview/data/inside-link.csv')).toBe(200);
  });

  it('does not follow a symlink out of the report folder, nor serve a linked report folder', async () => {
    const r = await app.inject({ url: '/reports/overview/data/link.csv', headers: auth });
    expect(r.statusCode).toBe(404);
    expect(r.body).not.toContain('secret');
    expect(await status('/reports/overview/data/dirlink/private.csv')).toBe(404);
    expect(await status('/reports/escaped/')).toBe(404);
    expect(await status('/reports/escaped/index.html')).toBe(404);
  });

  it('serves no dotfile or dot-folder, and no path that climbs out', async () => {
    for (const url of ['/reports/overview/.secret', '/reports/overview/.git/config', '/reports/overview/%2Esecret', '/reports/.hidden/', '/.env', '/login/.x', '/reports/overview/..%2F..%2Fruns', '/reports/overview/data/..%2F..%2Foverview%2Findex.html', '/%2E%2E/package.json']) {
      expect(await status(url), url).toBe(404);
    }
  });
});

describe('a real listener on 127.0.0.1 with a token (the non-loopback rules apply)', () => {
  it('walks the browser flow: page → login → cookie → page, and keeps the API on the bearer', async () => {
    const s = await startServer({ source: syntheticSource(), port: 0, token: TOKEN, resultsDir: results, logger: false, env: {} });
    try {
      const first = await fetch(`${s.url}/reports/overview/`, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(first.status).toBe(303);
      const loginUrl = new URL(first.headers.get('location')!, s.url);
      expect((await fetch(loginUrl)).status).toBe(200);
      const login = await fetch(`${s.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ token: TOKEN, next: loginUrl.searchParams.get('next')! }),
      });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/reports/overview/');
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const page = await fetch(`${s.url}/reports/overview/`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('report');
      expect((await fetch(`${s.url}/vendor/vega.min.js`)).status).toBe(401);
      expect((await fetch(`${s.url}/api/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
