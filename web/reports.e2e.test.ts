// Every built-in notebook, rendered and then opened THROUGH THE SERVER (`regime serve`, a real spawned process)
// in headless Debian Chromium: the server's per-report CSP (hashes of the inline blocks it serves) must let
// each chart draw — an <svg> or <canvas> with marks inside every Vega container — with no console error (a
// CSP violation is one) and nothing fetched from anywhere but the server.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNotebooks } from '../engine/report/catalog.ts';
import { renderNotebook, type RenderResult } from '../engine/report/render.ts';
import { savedRun, syntheticSweep, tempDir } from '../engine/report/test-helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(import.meta.dirname, '..');
const available = fs.existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI installs Debian chromium for this test`);

// short windows of the FTX week keep the fresh backtests some notebooks run small
const SHORT: Record<string, string> = { from: '2022-11-06', to: '2022-11-12', permutations: '10' };

let resultsDir: string;
let userDataDir: string;
let context: BrowserContext;
let child: ChildProcess | null = null;
let url: string;
const rendered: RenderResult[] = [];
const outside: string[] = [];

beforeAll(async () => {
  if (!available) return;
  // the same saved run as engine/report/render.test.ts (built once per npm test); the FTX week lies inside it
  ({ resultsDir } = await savedRun('2022-10-20', '2022-11-20'));
  await syntheticSweep(resultsDir);
  const reportsDir = path.join(resultsDir, 'reports');
  for (const nb of listNotebooks()) {
    const declared = new Set(nb.params.map((p) => p.name));
    const params = Object.fromEntries(Object.entries(SHORT).filter(([k]) => declared.has(k)));
    rendered.push(await renderNotebook(nb.name, { params, resultsDir, reportsDir }));
  }

  const env = { ...process.env };
  delete env.REGIME_API_TOKEN;
  child = spawn(process.execPath, ['scripts/regime.mjs', 'serve', '--port', '0', '--results', resultsDir], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  url = await new Promise<string>((resolve, reject) => {
    child!.stdout!.on('data', (d) => {
      out += d;
      const m = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) resolve(m[1]);
    });
    child!.stderr!.on('data', (d) => (out += d));
    child!.on('close', () => reject(new Error(`regime serve exited: ${out}`)));
  });

  userDataDir = tempDir('regime-chromium-');
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(url) || u.startsWith('data:') || u.startsWith('about:')) return route.continue();
    outside.push(u);
    return route.abort();
  });
}, 900_000);

afterAll(async () => {
  await context?.close();
  if (child && child.exitCode === null) child.kill('SIGTERM');
  for (const d of [userDataDir, resultsDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!available)('built-in reports served by regime serve, in Chromium', () => {
  it('rendered every built-in notebook without a cell error, and the server lists each', async () => {
    expect(rendered.length).toBeGreaterThanOrEqual(5);
    for (const r of rendered) expect(r.errors, r.notebook).toEqual([]);
    const listed = (await (await fetch(`${url}/api/reports`)).json()) as { reports: { name: string; url: string }[] };
    for (const r of rendered) expect(listed.reports.map((x) => x.name), r.notebook).toContain(path.basename(r.outDir));
  });

  it('every chart of every report draws under the served CSP, with no console error', async () => {
    for (const r of rendered) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
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
      await page.close();
      expect(states, r.notebook).toEqual(r.charts.map((c) => `spec-${c.name}:ok:drawn`));
      expect(errors, r.notebook).toEqual([]);
    }
    expect(outside).toEqual([]);
  });
});
