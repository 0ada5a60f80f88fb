// The random baseline split over worker threads: bit-identical values, p-values and scorecards against one thread
// (and against the reference evaluator loop) on the real bundled data, and the market the pool hands over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { pricesOf, toScorable } from '../replay/score-alerts.ts';
import { metricCount, permutationValues, placeSlice, summariseBaseline, type BaselineSpec } from './baseline.ts';
import type { Worker } from 'node:worker_threads';
import { BaselinePool } from './baseline-pool.ts';
import { BASELINE_WORKER, startAhead, waitingAhead } from '../worker-threads.ts';
import { loadMarket, marketCacheFile } from './market-cache.ts';
// every alert placed by its hash, each row through AlertSetEvaluator.evaluate
import { evaluatorValues } from './baseline-reference.ts';
import { drawTables } from './draw-table.ts';
import { AlertSetEvaluator } from './evaluator.ts';
import { prepareMarket, type Market } from './market.ts';
import { baselineSpecsOf, scoreAlerts, scoreOnMarket, scoreOnMarketWith } from './score.ts';
import { runBacktest } from '../replay/backtest.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** deep equality with typed arrays compared as bytes (toEqual walks megabytes element by element) */
function sameValue(a: unknown, b: unknown): boolean {
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    return a.constructor === b.constructor && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && sameValue(v, b.get(k)));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return sameValue(ka, kb) && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

let store: Store;
let prices: PriceSeries[];
let alerts: ScorableAlert[];
let market: Market;
let singleCard: ReturnType<typeof scoreOnMarket> | undefined;
/** the scorecard on this thread alone, computed once for the tests that compare with it */
const single = () => (singleCard ??= scoreOnMarket(market, alerts));
const options = { permutations: 200, seed: 5 };
beforeAll(async () => {
  store = await openStore();
  const config = defaultConfig();
  const from = Date.UTC(2021, 0, 1);
  const data = await loadReplayData(store, config.symbols, { from: from - 2688 * 3_600_000, to: Date.UTC(2022, 0, 1) });
  const result = runReplay(data, config, { emitFrom: from });
  prices = pricesOf(data, result.emitFrom);
  alerts = result.alerts.map(toScorable);
  market = prepareMarket(prices, options);
});
let twoWorkers: BaselinePool | undefined;
/** one pool of two workers that take every slice, started once for the tests that use it */
const workersOnly = () => (twoWorkers ??= new BaselinePool(prices, options, 2, false));
afterAll(async () => {
  store.close();
  await twoWorkers?.close();
});

describe('baseline worker pool (real 2021 alerts)', () => {
  it('any split of the permutations gives the reference bits', () => {
    expect(alerts.length).toBeGreaterThan(100);
    const evaluator = new AlertSetEvaluator(market);
    const [spec] = baselineSpecsOf(market, alerts);
    // every breakdown row of the scorecard, evaluated from the same placements
    expect(spec.rows.length).toBeGreaterThan(10);
    const m = metricCount(market);
    const whole = evaluatorValues(evaluator, spec, 0, 60);
    const parts = [0, 1, 17, 40, 59, 60];
    const glued = new Float64Array(whole.length);
    for (let i = 0; i + 1 < parts.length; i++) placeSlice(glued, permutationValues(market, spec, parts[i], parts[i + 1]), spec.rows.length, 60, parts[i], parts[i + 1], m);
    expect(sameBits(glued, whole)).toBe(true);
    const actual = new Float64Array(m).fill(0.5);
    expect(summariseBaseline(evaluator.specs, actual, glued.subarray(0, 60 * m))).toEqual(summariseBaseline(evaluator.specs, actual, whole.subarray(0, 60 * m)));
  });

  it('workers alone compute bit-identical values and the same scorecard as one thread', async () => {
    const pool = workersOnly();
    let jobs: readonly BaselineSpec[] = [];
    let pooled: Float64Array[] = [];
    const card = await scoreOnMarketWith(market, alerts, async (mk, js) => {
      jobs = js;
      pooled = await pool.run(mk, js);
      return pooled;
    });
    expect(pool.lastRun.onCaller).toBe(0);
    expect(pool.lastRun.onWorkers).toBe(pool.lastRun.slices);
    expect(pool.lastRun.slices).toBeGreaterThan(jobs.length);
    // this thread's kernel, itself the reference's bits (above and baseline-kernel.test.ts)
    for (const [i, j] of jobs.entries()) expect(sameBits(pooled[i], permutationValues(market, j, 0, j.permutations)), `spec ${i}`).toBe(true);
    expect(card).toEqual(single());
    expect(card.overall.baseline?.precision.n_perm).toBeGreaterThan(0);
  });

  it("hands over the workers' market: the values prepareMarket gives, draw tables included", async () => {
    const pool = workersOnly();
    const copy = await pool.market();
    expect(pool.marketsFromWorkers).toBe(1);
    expect(copy).not.toBe(market);
    expect(sameValue(copy, market)).toBe(true);
    expect(sameValue(copy, { ...market, stride: market.stride + 1 })).toBe(false);
    expect(copy.grid.bySymbol.get(copy.grid.symbols[0].symbol)).toBe(copy.grid.symbols[0]);
    // the worker's own arrays, in shared memory: nothing was copied for this thread
    for (const a of [copy.hourly, copy.grid.close, copy.grid.symbols[0].present, copy.labels.nextEpisode, drawTables(copy).bySymbol.get(copy.grid.symbols[0].symbol)!.ret]) {
      expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    expect(market.hourly.buffer).toBeInstanceOf(ArrayBuffer);
    expect(sameValue(drawTables(copy), drawTables(market))).toBe(true);
    // the adopted tables still share the present hours with the copy's grid, as built ones do
    expect(drawTables(copy).bySymbol.get(copy.grid.symbols[0].symbol)!.hours).toBe(copy.grid.symbols[0].present);
    // this thread's kernel on the adopted draw tables
    const [spec] = baselineSpecsOf(copy, alerts);
    expect(sameBits(permutationValues(copy, spec, 0, 20), permutationValues(market, spec, 0, 20))).toBe(true);
    // no worker alive: prepared on this thread
    const none = new BaselinePool(prices, options, 0);
    expect(sameValue(await none.market(), market)).toBe(true);
    expect(none.marketsFromWorkers).toBe(0);
    await none.close();
  });

  it('keeps the prepared market on disk and reads it back: the same market and scorecard; a cut file reads as none', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'market-cache-'));
    const kept = () => fs.readdirSync(dir).filter((f) => f.endsWith('.market'));
    const marketOf = async (opts: typeof options, score = false) => {
      const pool = new BaselinePool(prices, opts, 1, true, { marketCacheDir: dir });
      try {
        const got = await pool.market();
        // ready once the prepared market is kept
        await pool.ready();
        return { got, card: score ? await scoreOnMarketWith(got, alerts, pool.runner) : null };
      } finally {
        await pool.close();
      }
    };
    try {
      const first = await marketOf(options);
      expect(kept()).toHaveLength(1);
      const file = path.join(dir, kept()[0]);
      const written = fs.statSync(file);
      const second = await marketOf(options, true);
      // read, not prepared and written again
      expect(fs.statSync(file).mtimeMs).toBe(written.mtimeMs);
      for (const m of [first.got, second.got]) {
        expect(sameValue(m, market)).toBe(true);
        expect(sameValue(drawTables(m), drawTables(market))).toBe(true);
        expect(drawTables(m).bySymbol.get(m.grid.symbols[0].symbol)!.hours).toBe(m.grid.symbols[0].present);
      }
      expect(second.card).toEqual(single());
      // other options or other prices: another file
      expect(marketCacheFile(dir, prices, { ...options, horizons_hours: [1, 4] })).not.toBe(file);
      expect(marketCacheFile(dir, prices.slice(1), options)).not.toBe(file);
      const revised = prices.map((p) => ({ ...p, close: p.close.slice() }));
      revised[0].close[100] *= 1.0001;
      expect(marketCacheFile(dir, revised, options)).not.toBe(file);
      expect(marketCacheFile(dir, prices, { ...options })).toBe(file);
      // a file cut short reads as none (the worker then prepares the market and keeps it again)
      fs.truncateSync(file, written.size - 100);
      expect(loadMarket(file)).toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the workers started ahead of it; one that stopped first is replaced; untaken ones are stopped by their starter', async () => {
    const workersOf = (pool: BaselinePool) => (pool as unknown as { slots: { worker: Worker }[] }).slots.map((s) => s.worker);
    const ahead = startAhead(BASELINE_WORKER, 1);
    const [early] = waitingAhead(BASELINE_WORKER);
    const pool = new BaselinePool(prices, options, 1, true);
    try {
      // the thread started ahead, not a new one
      expect(workersOf(pool)).toEqual([early]);
      expect(waitingAhead(BASELINE_WORKER)).toHaveLength(0);
      expect(sameValue(await pool.market(), market)).toBe(true);
      expect(pool.marketsFromWorkers).toBe(1);
    } finally {
      await pool.close();
      await ahead.stop();
    }
    const stopped = startAhead(BASELINE_WORKER, 1);
    const [dead] = waitingAhead(BASELINE_WORKER);
    // its own exit listener, registered first, has run once this one runs
    const exited = new Promise<void>((resolve) => dead.once('exit', resolve));
    await dead.terminate();
    await exited;
    const replaced = new BaselinePool(prices, options, 1, true);
    try {
      expect(workersOf(replaced)).not.toContain(dead);
      // a new thread prepares the market: nothing waits on the stopped one
      expect(sameValue(await replaced.market(), market)).toBe(true);
      expect(replaced.marketsFromWorkers).toBe(1);
    } finally {
      await replaced.close();
      await stopped.stop();
    }
    const unused = startAhead(BASELINE_WORKER, 2);
    const exits = waitingAhead(BASELINE_WORKER).map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
    await unused.stop();
    expect(await Promise.all(exits)).toHaveLength(2);
    expect(waitingAhead(BASELINE_WORKER)).toHaveLength(0);
  });

  it("reports, rather than waits for, a market the worker could not prepare", async () => {
    const twice = [prices[0], prices[0]];
    const pool = new BaselinePool(twice, options, 1);
    try {
      await expect(pool.market()).rejects.toThrow(/appears more than once/);
    } finally {
      await pool.close();
    }
    // closed before the worker sent its market: prepared here, not awaited forever
    const closed = new BaselinePool(prices, options, 1);
    await closed.close();
    expect(sameValue(await closed.market(), market)).toBe(true);
  });

  it('the calling thread finishes the work when the workers are gone', async () => {
    const pool = new BaselinePool(prices, options, 1, false);
    await pool.close();
    await expect(pool.run(market, [])).rejects.toThrow(/closed/);
    const orphan = new BaselinePool(prices, options, 1, false);
    // a worker that dies before it is ready leaves every slice to the caller
    await (orphan as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
    const card = await scoreOnMarketWith(market, alerts, orphan.runner);
    expect(orphan.lastRun.onCaller).toBe(orphan.lastRun.slices);
    // a worker that stops with slices in flight: they go back to the queue and this thread computes them
    const stopping = new BaselinePool(prices, options, 1, false);
    await stopping.ready();
    const [spec] = baselineSpecsOf(market, alerts);
    const running = stopping.run(market, [spec]);
    await (stopping as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
    const [values] = await running;
    expect(stopping.lastRun.onCaller).toBeGreaterThanOrEqual(2);
    expect(sameBits(values, permutationValues(market, spec, 0, spec.permutations))).toBe(true);
    await stopping.close();
    // and the market is prepared here
    expect(sameValue(await orphan.market(), market)).toBe(true);
    expect(orphan.marketsFromWorkers).toBe(0);
    expect(card).toEqual(single());
    await orphan.close();
  });

  it('a short backtest scores on its own thread: the same scorecard as scoring its alerts directly', async () => {
    const config = defaultConfig();
    const from = Date.UTC(2022, 10, 1);
    const score = { permutations: 40, seed: 2 };
    const { report, alerts: fired } = await runBacktest(store, { config, from, to: Date.UTC(2022, 11, 1), score, pnl: false });
    const data = await loadReplayData(store, config.symbols, { from, to: Date.UTC(2022, 11, 1) });
    expect(report.scorecard?.overall.baseline?.precision.n_perm).toBeGreaterThan(0);
    expect(report.scorecard).toEqual(scoreAlerts(pricesOf(data, from), fired.map(toScorable), score));
  });
});
