// The dashboard in headless Debian Chromium over a real backtest run of the bundled data: cards with values,
// every chart drawn, the event stream, the time slider replaying the run, no console errors, nothing fetched
// from outside the loopback server (and so no CSP violation: Chromium reports those as console errors);
// candles with volume and alert markers, the brush zoom shared by the time charts, ISO `?at=`/`?symbol=` and the
// date-time input with visible messages for bad values, direction arrows, the compact empty state, and the
// layout at 1440, 1024 and 390 px (no horizontal overflow, price above the fold). Screenshots are kept under
// test-artifacts/ (gitignored). A suite of web/browser.e2e.test.ts, which shares one Chromium between the
// browser suites and runs them side by side: assertions use each test's own `expect` (the global one cannot
// tell which of the concurrently running tests an expect.poll belongs to).
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { chromiumAvailable, newContext } from './e2e-browser.ts';
import { createRunSource } from './run-source.ts';
import { startServer, type RunningServer } from './server.ts';
import { makeRun, tempResultsDir, type FixtureRun } from './testing.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../test-artifacts');
const CHARTS = ['chart-price', 'chart-volume', 'chart-volatility', 'chart-funding', 'chart-correlation', 'chart-liquidations', 'chart-regime'];

let fx: FixtureRun;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const outside: string[] = [];
/** the path of every API request the pages made, in the order they were routed */
const apiAsked: string[] = [];

async function setUp(): Promise<void> {
  fx = await makeRun(tempResultsDir());
  server = await startServer({ source: createRunSource(fx.resultsDir, 'latest'), port: 0, resultsDir: fx.resultsDir, logger: false, env: {} });
  context = await newContext({ viewport: { width: 1600, height: 1000 } });
  // the pages' clock runs on as usual, but a test can move it on (the 10 s poll) without waiting
  await context.clock.install();
  // the page must work offline: anything not addressed to our server is refused and recorded
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${server.url}/api/`)) apiAsked.push(new URL(url).pathname);
    if (url.startsWith(server.url) || url.startsWith('data:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}

async function tearDown(): Promise<void> {
  await context?.close();
  await server?.close();
  if (fx) fs.rmSync(fx.resultsDir, { recursive: true, force: true });
}

const cursor = async () => Number(await page.getAttribute('body', 'data-cursor'));
const eventIds = () => page.$$eval('#events-list li.event', (els) => els.map((e) => e.getAttribute('data-id')));
const eventTimes = () => page.$$eval('#events-list li.event', (els) => els.map((e) => Number(e.getAttribute('data-ts'))));
const cardsText = () => page.locator('.cards').innerText();
const pricePath = () => page.$$eval('#chart-price svg .mark-rect path', (els) => els.map((e) => e.getAttribute('d')).join(' '));

async function waitForCursorChange(expect: ExpectStatic, from: number): Promise<number> {
  // polled from here: a waitForFunction predicate would be evaluated in the page, which its CSP (no eval) refuses
  await expect.poll(async () => (await page.getAttribute('body', 'data-cursor')) !== String(from) && (await page.getAttribute('body', 'data-ready')) === 'true', { timeout: 30_000 }).toBe(true);
  return cursor();
}

/**
 * A symbol without liquidation data, as a page load shows it: the panel folds to one line (one "no liquidation
 * data", no empty axes), and no chart that is shown has a NaN tick.
 */
async function expectFoldedCascadePanel(expect: ExpectStatic): Promise<void> {
  const panel = await page.innerText('#cascade-detail');
  expect(panel.match(/no liquidation data/g)).toHaveLength(1);
  expect(await page.isVisible('#chart-liquidations')).toBe(false);
  expect(await page.isVisible('#liq-stats')).toBe(false);
  const ghosts = (await page.evaluate(`[...document.querySelectorAll('.chart')].filter((c) => c.offsetParent !== null && [...c.querySelectorAll('svg text')].some((t) => /NaN/.test(t.textContent))).map((c) => c.id)`)) as string[];
  expect(ghosts).toEqual([]);
}

export function dashboardSuite(): void {
  describe.skipIf(!chromiumAvailable)('dashboard in Chromium', { sequential: true }, () => {
    beforeAll(setUp);
    afterAll(tearDown);

    it('shows the run: cards with values, every chart drawn, the event stream', async ({ expect }) => {
      await page.goto(`${server.url}/`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      const last = Date.parse('2026-03-31T23:00:00Z');
      expect(await cursor()).toBe(last);

      // cards: every symbol has a row, with a value or a stated reason
      for (const card of ['card-cascades', 'card-volatility', 'card-regime']) {
        expect(await page.$$eval(`#${card} .row`, (r) => r.length), card).toBe(3);
      }
      expect(await page.$$eval('#card-correlation .row', (r) => r.length)).toBe(3);
      const vol = await page.innerText('#card-volatility');
      expect(vol).toMatch(/STABLE|HIGH VOL|EXPLOSIVE|EXTREME/);
      expect(vol).toMatch(/\d\.\d\d×/);
      expect(await page.innerText('#card-regime')).toMatch(/\d+ %/);
      expect(await page.innerText('#card-correlation')).toMatch(/BTC\/ETH\s+(normal|BREAK)\s+-?\d\.\d\d/);
      // BTC has aggregated liquidation coverage in March 2026; ETH has none and says so instead of showing zero
      expect(await page.innerText('#card-cascades [data-symbol="BTCUSDT"]')).toMatch(/\$[\d.]+[kMB]?[\s\S]*aggregated data/);
      expect(await page.innerText('#card-cascades [data-symbol="ETHUSDT"]')).toContain('no liquidation data for ETHUSDT at this hour');
      expect(await page.innerText('#liq-coverage')).toMatch(/aggregated liquidation data for BTCUSDT: 2026-03-01 00:00 → 2026-03-31 23:00 UTC/);

      for (const id of CHARTS) {
        const marks = await page.$$eval(`#${id} svg .role-mark`, (m) => m.length);
        expect(marks, id).toBeGreaterThan(0);
      }
      // the price line has a shape, the alerts are markers on it, the heatmap has one cell per symbol pair
      // candles: a body and a wick per hour of the 168 h window; volume bars under them; alert markers above
      expect(await page.$$eval('#chart-price svg .mark-rect path', (p) => p.length)).toBeGreaterThanOrEqual(160);
      expect(await page.$$eval('#chart-price svg .mark-rule line', (p) => p.length)).toBeGreaterThanOrEqual(160);
      expect(await page.$$eval('#chart-volume svg .mark-rect path', (p) => p.length)).toBeGreaterThanOrEqual(160);
      expect(await page.$$eval('#chart-price svg .mark-symbol path', (p) => p.length)).toBeGreaterThan(0);
      expect(await page.$$eval('#chart-correlation svg .mark-rect path', (p) => p.length)).toBeGreaterThanOrEqual(9);

      const times = await eventTimes();
      expect(times.length).toBeGreaterThan(5);
      expect(times.every((t) => t <= last)).toBe(true);
      const api = (await (await fetch(`${server.url}/api/events?limit=60`)).json()) as { events: { id: string }[] };
      expect(await eventIds()).toEqual(api.events.map((e) => e.id));
    });

    it('draws a saved run once: half a minute later on the page clock (three 10 s polls) it has asked the API for nothing', async ({ expect }) => {
      const from = apiAsked.length;
      const label = await page.innerText('#live-text');
      await page.clock.runFor(30_000);
      // a request the page starts now is routed after any that the polls started
      expect(await page.evaluate(`fetch('/api/health').then((r) => r.status)`)).toBe(200);
      expect(apiAsked.slice(from)).toEqual(['/api/health']);
      expect(await page.innerText('#live-text')).toBe(label);
      expect(await cursor()).toBe(Date.parse('2026-03-31T23:00:00Z'));
    });

    it('shows each alert direction in the event stream (▲ up, ▼ down)', async ({ expect }) => {
      // the page as the first test loaded it (the latest hour): no second load of the same view
      expect(await cursor()).toBe(Date.parse('2026-03-31T23:00:00Z'));
      const api = (await (await fetch(`${server.url}/api/events?limit=60`)).json()) as { events: { id: string; direction: number | null }[] };
      expect(await eventIds()).toEqual(api.events.map((e) => e.id));
      expect(api.events.some((e) => e.direction !== null)).toBe(true);
      for (const e of api.events) {
        const text = await page.innerText(`#events-list li[data-id="${e.id}"] .event-top`);
        expect(text.includes('▲'), e.id).toBe(e.direction === 1);
        expect(text.includes('▼'), e.id).toBe(e.direction === -1);
      }
    });

    it('moving the time slider changes the cards, the charts and the events, and shows nothing after the cursor', async ({ expect }) => {
      const before = { cursor: await cursor(), cards: await cardsText(), price: await pricePath(), events: await eventIds() };
      // a click a third of the way along the slider, as a user would
      const box = (await page.locator('#slider').boundingBox())!;
      await page.mouse.click(box.x + box.width * 0.33, box.y + box.height / 2);
      const at = await waitForCursorChange(expect, before.cursor);
      expect(at).toBeLessThan(before.cursor);
      expect(await page.inputValue('#slider')).toBe(String(at / 3_600_000));
      expect(await page.innerText('#cursor-label')).toContain(new Date(at).toISOString().slice(0, 16).replace('T', ' '));

      expect(await cardsText()).not.toBe(before.cards);
      expect(await pricePath()).not.toBe(before.price);
      const ids = await eventIds();
      expect(ids).not.toEqual(before.events);
      const times = await eventTimes();
      expect(times.length).toBeGreaterThan(0);
      expect(times.every((t) => t <= at)).toBe(true);
      const api = (await (await fetch(`${server.url}/api/events?limit=60&at=${at}`)).json()) as { events: { id: string }[] };
      expect(ids).toEqual(api.events.map((e) => e.id));
      // the price chart ends at the cursor too
      const prices = (await (await fetch(`${server.url}/api/prices?symbol=BTCUSDT&hours=168&at=${at}`)).json()) as { symbols: { history: { ts: number }[] }[] };
      expect(prices.symbols[0].history.at(-1)!.ts).toBe(at);
      expect(new URL(page.url()).searchParams.get('at')).toBe(String(at));
    });

    it('replays hour by hour with Play, and the step buttons move the cursor', async ({ expect }) => {
      const start = await cursor();
      await page.click('#play');
      const moved = await waitForCursorChange(expect, start);
      await page.click('#play');
      // a replay step may still be drawing: wait until the page shows the hour the slider is on
      await expect.poll(async () => Number(await page.inputValue('#slider')) * 3_600_000 === (await cursor()), { timeout: 30_000 }).toBe(true);
      expect(moved).toBeGreaterThan(start);
      expect(await page.innerText('#play')).toContain('Play');
      const here = await cursor();
      await page.click('[data-step="-24"]');
      expect(await waitForCursorChange(expect, here)).toBe(here - 24 * 3_600_000);
    });

    it('another symbol without liquidation data says so in the cascade panel instead of charting zeros', async ({ expect }) => {
      const before = await cursor();
      await page.click('#symbol-tabs button[data-symbol="ETHUSDT"]');
      await expect.poll(() => page.innerText('#cascade-detail h2'), { timeout: 30_000 }).toContain('ETHUSDT');
      await expect.poll(() => page.isVisible('#chart-liquidations'), { timeout: 30_000 }).toBe(false);
      expect(await page.innerText('#liq-coverage')).toContain('no liquidation data for ETHUSDT in this run');
      for (const id of CHARTS) expect(await page.$$eval(`#${id} svg`, (s) => s.length), id).toBe(1);
      expect(await cursor()).toBe(before);
      await page.click('#symbol-tabs button[data-symbol="BTCUSDT"]');
      await expect.poll(() => page.innerText('#cascade-detail h2'), { timeout: 30_000 }).toContain('BTCUSDT');
    });

    it('brushing the volume strip zooms every time chart, and reset zooms back out', async ({ expect }) => {
      const before = { price: await pricePath(), vol: await page.$eval('#chart-volatility svg .mark-line path', (e) => e.getAttribute('d')) };
      const box = (await page.locator('#chart-volume svg').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.5);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.5, { steps: 5 });
      await page.mouse.up();
      await expect.poll(() => page.innerText('#zoom-label'), { timeout: 10_000 }).toMatch(/^zoomed: \d{4}-\d\d-\d\d \d\d:\d\d → /);
      await expect.poll(() => pricePath(), { timeout: 10_000 }).not.toBe(before.price);
      await expect.poll(() => page.$eval('#chart-volatility svg .mark-line path', (e) => e.getAttribute('d')), { timeout: 10_000 }).not.toBe(before.vol);
      await page.click('#zoom-reset');
      await expect.poll(() => page.$eval('#chart-volatility svg .mark-line path', (e) => e.getAttribute('d')), { timeout: 10_000 }).toBe(before.vol);
      expect(await page.isVisible('#zoom-reset')).toBe(false);
    });

    it('takes ISO ?at= and ?symbol= (ETHUSDT, no liquidation data: its panel folded to one line), and says so visibly when a value is bad (2026-02-30 is not 2 March)', async ({ expect }) => {
      await page.goto(`${server.url}/?at=2026-03-20T12:00Z&symbol=ethusdt`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      expect(await cursor()).toBe(Date.parse('2026-03-20T12:00:00Z'));
      expect(await page.innerText('#cascade-detail h2')).toContain('ETHUSDT');
      expect(await page.isVisible('#notice')).toBe(false);
      expect(await page.inputValue('#goto-input')).toBe('2026-03-20T12:00');
      await expectFoldedCascadePanel(expect);

      await page.goto(`${server.url}/?at=2026-02-30`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      expect(await page.isVisible('#notice')).toBe(true);
      expect(await page.innerText('#notice')).toMatch(/\?at=: '2026-02-30' is not a date/);
      expect(await cursor()).toBe(Date.parse('2026-03-31T23:00:00Z'));

      await page.goto(`${server.url}/?symbol=DOGEUSDT&at=yesterday`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      const notice = await page.innerText('#notice');
      expect(notice).toContain("'yesterday' is not a time");
      expect(notice).toContain('?symbol=DOGEUSDT: not in this run');

      // the date-time input (UTC) moves the cursor; outside the run it says so and shows the nearest hour
      await page.fill('#goto-input', '2026-03-10T06:00');
      const here = await cursor();
      await page.click('#goto-form button');
      expect(await waitForCursorChange(expect, here)).toBe(Date.parse('2026-03-10T06:00:00Z'));
      await page.fill('#goto-input', '2025-01-01T00:00');
      const there = await cursor();
      await page.click('#goto-form button');
      expect(await waitForCursorChange(expect, there)).toBe(Date.parse('2026-03-01T00:00:00Z'));
      expect(await page.innerText('#notice')).toMatch(/outside this run/);
    });

    const WIDTHS: [number, number][] = [
      [1440, 900],
      [1024, 800],
      [390, 844],
    ];
    for (const [width, height] of WIDTHS) {
      it(`at ${width}×${height}: no horizontal overflow, badges clear of numbers, a screenshot kept`, async ({ expect }) => {
        await page.setViewportSize({ width, height });
        await page.goto(`${server.url}/`);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
        // the viewport was set before the load, so the charts were drawn at this width; two animation frames let
        // layout and paint settle before measuring (an event, not a guessed delay)
        await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
        const widths = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
        expect(widths[0], `scrollWidth at ${width}`).toBeLessThanOrEqual(widths[1]);
        // no badge overlaps the number beside it in any card row
        const overlaps = (await page.evaluate(`[...document.querySelectorAll('.cards .row')].flatMap((row) => {
          const b = row.querySelector('.badge'); const v = row.querySelector('.val');
          if (!b || !v) return [];
          const x = b.getBoundingClientRect(); const y = v.getBoundingClientRect();
          const hit = x.right > y.left && x.left < y.right && x.bottom > y.top && x.top < y.bottom;
          return hit ? [row.innerText] : [];
        })`)) as string[];
        expect(overlaps).toEqual([]);
        if (width === 1440) {
          const price = (await page.locator('#chart-price svg').boundingBox())!;
          expect(price.y + price.height, 'price chart above the fold').toBeLessThanOrEqual(height);
        }
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        const file = path.join(ARTIFACTS, `dashboard-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        expect(fs.statSync(file).size).toBeGreaterThan(30_000);
      });
    }

    it('had no console errors (no CSP violation either), fetched nothing from outside', async ({ expect }) => {
      expect(consoleErrors).toEqual([]);
      expect(outside).toEqual([]);
    });
  });
}
