// The login step in Chromium, on a server that requires its token: a link with `#token=…` and the typed form
// both end on the page asked for, with the token gone from the address bar; swagger-ui (/docs) then renders
// the API under its CSP with no console error; a wrong token is said so on the page.
// (A suite of web/browser.e2e.test.ts, which shares one Chromium between the browser suites.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { chromiumAvailable, newContext } from './e2e-browser.ts';
import { startServer, type RunningServer } from './server.ts';
import { syntheticSource } from './testing-fakes.ts';

const TOKEN = 'login-e2e-token-0123456789';

export function loginSuite(): void {
  describe.skipIf(!chromiumAvailable)('login step in Chromium', { sequential: true }, () => {
    let server: RunningServer;
    let results: string;
    let context: BrowserContext;
    const errors: string[] = [];
    const outside: string[] = [];

    beforeAll(async () => {
      results = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-login-results-'));
      fs.mkdirSync(path.join(results, 'reports', 'notes'), { recursive: true });
      fs.writeFileSync(path.join(results, 'reports', 'notes', 'index.html'), '<!doctype html><title>Notes</title><h1 id="notes">synthetic notes</h1>');
      server = await startServer({ source: syntheticSource(), port: 0, token: TOKEN, resultsDir: results, logger: false, env: {} });
      context = await newContext();
      await context.route('**/*', (route) => {
        const u = route.request().url();
        if (u.startsWith(server.url) || u.startsWith('data:')) return route.continue();
        outside.push(u);
        return route.abort();
      });
    });

    afterAll(async () => {
      await context?.close();
      await server?.close();
      if (results) fs.rmSync(results, { recursive: true, force: true });
    });

    it('a wrong token typed into the form is refused on the page', async ({ expect }) => {
      const page = await context.newPage();
      await page.goto(`${server.url}/reports/notes/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('#token', 'wrong-token-0123456789-xx');
      await page.click('button[type="submit"]');
      await page.waitForSelector('#message:not([hidden])');
      expect(await page.innerText('#message')).toContain('refused');
      await page.close();
    });

    it('the typed token leads to the page asked for', async ({ expect }) => {
      const page = await context.newPage();
      await page.goto(`${server.url}/reports/notes/`);
      await page.fill('#token', TOKEN);
      await page.click('button[type="submit"]');
      await page.waitForSelector('#notes');
      expect(new URL(page.url()).pathname).toBe('/reports/notes/');
      const cookies = await context.cookies(server.url);
      const session = cookies.find((c) => c.name === 'regime_session')!;
      expect(session.httpOnly).toBe(true);
      expect(session.sameSite).toBe('Strict');
      expect(session.value).not.toContain(TOKEN);
      await page.close();
      await context.clearCookies();
    });

    it('a #token= link logs in, drops the token from the address bar, and /docs renders the API', async ({ expect }) => {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/docs#token=${TOKEN}`);
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      expect(page.url()).not.toContain(TOKEN);
      expect(new URL(page.url()).pathname).toMatch(/^\/docs/);
      expect(await page.$$eval('.opblock', (o) => o.length)).toBeGreaterThanOrEqual(12);
      expect(await page.innerText('body')).toContain('/api/events');
      await page.close();
      expect(errors).toEqual([]);
      expect(outside).toEqual([]);
    });
  });
}
