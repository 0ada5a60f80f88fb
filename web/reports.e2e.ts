// Every built-in notebook, rendered once and opened in headless Debian Chromium two ways:
//  - THROUGH THE SERVER (`regime serve`, a real spawned process): the server's per-report CSP (hashes of the
//    inline blocks it serves) must let each chart draw — an <svg> or <canvas> with marks inside every Vega
//    container — with no console error (a CSP violation is one) and nothing fetched from anywhere but the server;
//  - from file:// with every other request refused and the same strict Content-Security-Policy as a <meta> (no
//    'unsafe-inline', no 'unsafe-eval'; inline blocks allowed by hash): each view draws, no console error,
//    nothing fetched from anywhere.
// (One render of each notebook for both; a suite of web/browser.e2e.test.ts, which shares one Chromium between
// the browser suites.)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, newContext } from './e2e-browser.ts';
import { listNotebooks } from '../engine/report/catalog.ts';
import { reportCsp } from '../engine/report/csp.ts';
import { renderNotebook, type RenderResult } from '../engine/report/render.ts';
import { savedRun, syntheticSweep, tempDir } from '../engine/report/test-helpers.ts';

const REPO = path.resolve(import.meta.dirname, '..');

// short windows of the FTX week keep the fresh backtests some notebooks run small
const SHORT: Record<string, string> = { from: '2022-11-06', to: '2022-11-12', permutations: '10' };

let resultsDir: string | undefined;
let scratch: string;
let context: BrowserContext | null = null;
let child: ChildProcess | null = null;
let url: string;
const rendered: RenderResult[] = [];
const outside: string[] = [];
let prepared: Promise<void> | null = null;

/** the saved run, every notebook rendered once, and `regime serve` on them */
async function prepare(): Promise<void> {
  // the same saved run as engine/report/render.test.ts (built once per npm test); the FTX week lies inside it
  ({ resultsDir } = await savedRun('2022-10-20', '2022-11-20'));
  // the server starts (a process of its own) while the notebooks render: it lists the reports folder per request
  const serving = serve(resultsDir);
  serving.catch(() => {}); // a render error below is the one to report; the server's is awaited last
  await syntheticSweep(resultsDir);
  const reportsDir = path.join(resultsDir, 'reports');
  for (const nb of listNotebooks()) {
    const declared = new Set(nb.params.map((p) => p.name));
    const params = Object.fromEntries(Object.entries(SHORT).filter(([k]) => declared.has(k)));
    rendered.push(await renderNotebook(nb.name, { params, resultsDir, reportsDir }));
  }
  url = await serving;
}

function serve(results: string): Promise<string> {
  const env = { ...process.env };
  delete env.REGIME_API_TOKEN;
  const proc = spawn(process.execPath, ['scripts/regime.mjs', 'serve', '--port', '0', '--results', results], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let out = '';
  return new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    proc.stderr!.on('data', (d) => (out += d));
    proc.on('close', () => reject(new Error(`regime serve exited: ${out}`)));
  });
}

async function setUp(): Promise<void> {
  await (prepared ??= prepare());
  scratch = tempDir('regime-report-e2e-');
  context = await newContext({ viewport: { width: 1200, height: 900 } });
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(url) || u.startsWith('data:') || u.startsWith('about:')) return route.continue();
    outside.push(u);
    return route.abort();
  });
}

/** idempotent: the suite's afterAll and the browser file's afterAll (for a run that filtered the suite out) */
export async function closeReports(): Promise<void> {
  await prepared?.catch(() => {});
  prepared = null;
  await context?.close();
  context = null;
  if (child && child.exitCode === null) child.kill('SIGTERM');
  child = null;
  for (const d of [resultsDir, scratch]) if (d) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * Registers the suite and starts building its fixtures at once (node-side work: a backtest, six notebook
 * renders, a server start), so that they overlap the other browser suites, which mostly wait on Chromium.
 * The caller's afterAll must call closeReports().
 */
export function reportsSuite(): void {
  if (chromiumAvailable) {
    prepared = prepare();
    // awaited (and its error reported) by the suite's beforeAll; not an unhandled rejection meanwhile
    prepared.catch(() => {});
  }
  describe.skipIf(!chromiumAvailable)('built-in reports in Chromium', { sequential: true }, () => {
    beforeAll(setUp, 900_000);
    afterAll(closeReports);
    servedReports();
    fileReports();
  });
}

function servedReports(): void {
  describe('served by regime serve', () => {
    it('rendered every built-in notebook without a cell error, and the server lists each', async ({ expect }) => {
      expect(rendered.length).toBeGreaterThanOrEqual(5);
      for (const r of rendered) expect(r.errors, r.notebook).toEqual([]);
      const listed = (await (await fetch(`${url}/api/reports`)).json()) as { reports: { name: string; url: string }[] };
      for (const r of rendered) expect(listed.reports.map((x) => x.name), r.notebook).toContain(path.basename(r.outDir));
    });

    it('every chart of every report draws under the served CSP, with no console error', async ({ expect }) => {
      // one page goes from report to report: Chromium keeps its renderer (and the compiled inline libraries)
      const page = await context!.newPage();
      let errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      for (const r of rendered) {
        errors = [];
        const res = await page.goto(`${url}/reports/${encodeURIComponent(path.basename(r.outDir))}/`);
        expect(res?.status(), r.notebook).toBe(200);
        const csp = res?.headers()['content-security-policy'] ?? '';
        expect(csp, r.notebook).toMatch(/script-src [^;]*'sha256-/);
        expect(csp, r.notebook).not.toContain('unsafe-inline');
        await page.waitForSelector('html[data-charts="done"]', { timeout: 60_000 });
        const states = await page.$$eval('[data-vega-spec]', (els) =>
          els.map((el) => {
            const marks = el.querySelectorAll('svg .role-mark > *, svg .mark-symbol path, svg .mark-rect path, svg .mark-line path').length;
            const drawn = el.querySelector('canvas') !== null || marks > 0;
            return `${el.getAttribute('data-vega-spec')}:${el.getAttribute('data-rendered')}:${drawn ? 'drawn' : 'empty'}`;
          }),
        );
        expect(states, r.notebook).toEqual(r.charts.map((c) => `spec-${c.name}:ok:drawn`));
        expect(errors, r.notebook).toEqual([]);
      }
      await page.close();
      expect(errors).toEqual([]);
      expect(outside).toEqual([]);
    });
  });
}

/** a page that may load only file:, data: and about: URLs (its own route, ahead of the context's) */
async function fileOnlyPage(): Promise<{ page: Page; refused: string[] }> {
  const page = await context!.newPage();
  const refused: string[] = [];
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith('file:') || u.startsWith('data:') || u.startsWith('about:')) return route.continue();
    refused.push(u);
    return route.abort();
  });
  return { page, refused };
}

/** writes the report beside itself with the strict CSP as a <meta> (no 'unsafe-inline'; inline blocks by hash) */
function strictCopy(r: RenderResult): string {
  const html = fs.readFileSync(r.html, 'utf8');
  expect(html, r.notebook).not.toMatch(/\son[a-z]+\s*=|javascript:|\sstyle\s*=/i);
  const strict = path.join(path.dirname(r.html), 'index.csp.html');
  fs.writeFileSync(strict, html.replace('<head>', `<head>\n<meta http-equiv="Content-Security-Policy" content="${reportCsp(html)}">`));
  return strict;
}

function fileReports(): void {
  describe('the same reports from file:// under a strict CSP', () => {
    it('every Vega view of every report draws, no console error, nothing fetched', async ({ expect }) => {
      expect(rendered.length).toBeGreaterThanOrEqual(5);
      // one page for every report (its renderer and compiled inline libraries kept); anything but file:, data:
      // and about: is refused and recorded
      const { page, refused } = await fileOnlyPage();
      let seen = { errors: [] as string[], violations: [] as string[] };
      page.on('console', (m) => {
        if (m.type() === 'error') seen.errors.push(m.text());
        if (/Content.Security.Policy/i.test(m.text())) seen.violations.push(m.text());
      });
      page.on('pageerror', (e) => seen.errors.push(e.message));
      for (const r of rendered) {
        seen = { errors: [], violations: [] };
        await page.goto(pathToFileURL(strictCopy(r)).href);
        await page.waitForSelector('html[data-charts="done"]', { timeout: 60_000 });
        const states = await page.$$eval('[data-vega-spec]', (els) =>
          els.map((el) => `${el.getAttribute('data-vega-spec')}:${el.getAttribute('data-rendered')}:${el.querySelector('svg, canvas') ? 'drawn' : 'empty'}`),
        );
        expect(seen.violations, r.notebook).toEqual([]);
        expect(states, r.notebook).toEqual(r.charts.map((c) => `spec-${c.name}:ok:drawn`));
        expect(seen.errors, r.notebook).toEqual([]);
        expect(refused, r.notebook).toEqual([]);
      }
      await page.close();
      expect(seen.errors).toEqual([]);
    });

    it('an inline script without its hash does not run, and is reported', async ({ expect }) => {
      const { page, refused } = await fileOnlyPage();
      const messages: string[] = [];
      page.on('console', (m) => messages.push(m.text()));
      const ok = '<script>document.documentElement.setAttribute("data-ok", "1")</script>';
      const html = `<!doctype html><html><head>${ok}</head><body><script>document.documentElement.setAttribute("data-bad", "1")</script></body></html>`;
      const file = path.join(scratch, 'csp-probe.html');
      fs.writeFileSync(file, html.replace('<head>', `<head><meta http-equiv="Content-Security-Policy" content="${reportCsp(`<head>${ok}</head>`)}">`));
      await page.goto(pathToFileURL(file).href);
      expect(await page.getAttribute('html', 'data-ok')).toBe('1');
      expect(await page.getAttribute('html', 'data-bad')).toBeNull();
      expect(messages.some((m) => /Content.Security.Policy/i.test(m))).toBe(true);
      expect(refused).toEqual([]);
      await page.close();
    });
  });
}
