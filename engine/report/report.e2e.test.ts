// Rendered reports in headless Debian Chromium, opened from file:// with every other request refused and a
// strict Content-Security-Policy (no 'unsafe-inline', no 'unsafe-eval'; inline blocks allowed by hash, as the
// server sends it): each Vega view draws (an SVG inside each chart container), no console errors (a CSP
// violation is one), nothing fetched from anywhere.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNotebook, type RenderResult } from './render.ts';
import { reportCsp } from './csp.ts';
import { savedRun, syntheticSweep, tempDir } from './test-helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI installs Debian chromium for this test`);

let context: BrowserContext;
let userDataDir: string;
let resultsDir: string;
let out: string;
const outside: string[] = [];

beforeAll(async () => {
  if (!available) return;
  // the same saved run as render.test.ts (built once per npm test); every window below lies inside it
  ({ resultsDir } = await savedRun('2022-10-20', '2022-11-20'));
  await syntheticSweep(resultsDir);
  out = tempDir('regime-report-e2e-');
  userDataDir = tempDir('regime-chromium-');
  // playwright takes the fresh profile folder as an argument rather than as --user-data-dir
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('about:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
});

afterAll(async () => {
  await context?.close();
  for (const d of [userDataDir, resultsDir, out]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

async function openReport(r: RenderResult): Promise<{ states: string[]; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const html = fs.readFileSync(r.html, 'utf8');
  expect(html).not.toMatch(/\son[a-z]+\s*=|javascript:|\sstyle\s*=/i);
  const strict = path.join(path.dirname(r.html), 'index.csp.html');
  fs.writeFileSync(strict, html.replace('<head>', `<head>\n<meta http-equiv="Content-Security-Policy" content="${reportCsp(html)}">`));
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(pathToFileURL(strict).href);
  await page.waitForSelector('html[data-charts="done"]', { timeout: 30_000 });
  const states = await page.$$eval('[data-vega-spec]', (els) =>
    els.map((el) => `${el.getAttribute('data-vega-spec')}:${el.getAttribute('data-rendered')}:${el.querySelector('svg, canvas') ? 'drawn' : 'empty'}`),
  );
  await page.close();
  expect(violations).toEqual([]);
  return { states, errors };
}

describe.skipIf(!available)('reports in Chromium', () => {
  it.each([
    ['backtest-overview', { from: '2022-11-01', to: '2022-11-15' }],
    ['alert-scorecard', { from: '2022-11-01', to: '2022-11-15' }],
    ['event-study', { from: '2022-11-06', to: '2022-11-12' }],
    ['threshold-sweep', {}],
  ] as const)('%s: every Vega view draws, no console error, nothing fetched', async (name, params) => {
    const r = await renderNotebook(name, { params: { ...params }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    const { states, errors } = await openReport(r);
    expect(states).toEqual(r.charts.map((c) => `spec-${c.name}:ok:drawn`));
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
  });
});

describe.skipIf(!available)('the strict CSP of the test is really enforced', () => {
  it('an inline script without its hash does not run, and is reported', async () => {
    const page = await context.newPage();
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    const ok = '<script>document.documentElement.setAttribute("data-ok", "1")</script>';
    const html = `<!doctype html><html><head>${ok}</head><body><script>document.documentElement.setAttribute("data-bad", "1")</script></body></html>`;
    const file = path.join(out, 'csp-probe.html');
    fs.writeFileSync(file, html.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="${reportCsp(`<head>${ok}</head>`)}">`));
    await page.goto(pathToFileURL(file).href);
    expect(await page.getAttribute('html', 'data-ok')).toBe('1');
    expect(await page.getAttribute('html', 'data-bad')).toBeNull();
    expect(messages.some((m) => /Content.Security.Policy/i.test(m))).toBe(true);
    await page.close();
  });
});
