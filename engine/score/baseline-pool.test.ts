// The random baseline split over worker threads: the jump-ahead stream, and bit-identical values, p-values and
// scorecards against one thread (and against the old sequential loop) on the real bundled data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { pricesOf, toScorable } from '../replay/score-alerts.ts';
import { permutationValues, summariseBaseline, type Placement } from './baseline.ts';
import { BaselinePool } from './baseline-pool.ts';
// the loop the baseline had before the split (from 0: one stream drawn straight through every permutation)
import { evaluatorValues } from './baseline-reference.ts';
import { AlertSetEvaluator, type Universe } from './evaluator.ts';
import { prepareMarket, type Market } from './market.ts';
import { hashSeed, Mulberry32 } from './prng.ts';
import { scoreAlerts, scoreOnMarket, scoreOnMarketWith, type BaselineJob } from './score.ts';
import { runBacktest } from '../replay/backtest.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

let store: Store;
let prices: PriceSeries[];
let alerts: ScorableAlert[];
let market: Market;
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
afterAll(() => store.close());

describe('jump-ahead stream', () => {
  it('skip(d) lands where d draws would have', () => {
    for (const d of [0, 1, 2, 7, 1000, 65_537]) {
      const walked = new Mulberry32(123);
      for (let i = 0; i < d; i++) walked.next();
      const jumped = new Mulberry32(123).skip(d);
      expect(jumped.current).toBe(walked.current);
      expect(jumped.next()).toBe(walked.next());
    }
    // past 2^32 draws the state wraps: skipping 2^32 draws is the identity
    expect(new Mulberry32(9).skip(2 ** 32).current).toBe(new Mulberry32(9).current);
    expect(() => new Mulberry32(1).skip(-1)).toThrow(/whole number/);
  });
});

describe('baseline worker pool (real 2021 alerts)', () => {
  it('any split of the permutations gives the bits of the old single stream', () => {
    expect(alerts.length).toBeGreaterThan(100);
    const evaluator = new AlertSetEvaluator(market);
    const range = market.grid.symbols[0];
    const n = 40;
    const placement: Placement = { blocks: [{ range, count: n }], dir: Int8Array.from({ length: n }, (_, i) => (i % 3) - 1) };
    const universe: Universe = { episodes: market.labels.epStart.length, weeks: 52 };
    const seed = hashSeed(1, 'split');
    const whole = evaluatorValues(evaluator, placement, universe, seed, 0, 300);
    const parts = [0, 1, 37, 150, 299, 300];
    const glued = new Float64Array(whole.length);
    for (let i = 0; i + 1 < parts.length; i++) glued.set(permutationValues(evaluator, placement, universe, seed, parts[i], parts[i + 1]), parts[i] * evaluator.specs.length);
    expect(sameBits(glued, whole)).toBe(true);
    const actual = new Float64Array(evaluator.specs.length).fill(0.5);
    expect(summariseBaseline(evaluator.specs, actual, glued)).toEqual(summariseBaseline(evaluator.specs, actual, whole));
  });

  it('workers alone compute bit-identical values and the same scorecard as one thread', async () => {
    const single = scoreOnMarket(market, alerts);
    const pool = new BaselinePool(prices, options, 2, false);
    try {
      let jobs: readonly BaselineJob[] = [];
      let pooled: Float64Array[] = [];
      const card = await scoreOnMarketWith(market, alerts, async (mk, js) => {
        jobs = js;
        pooled = await pool.run(mk, js);
        return pooled;
      });
      expect(pool.lastRun.onCaller).toBe(0);
      expect(pool.lastRun.onWorkers).toBe(pool.lastRun.slices);
      expect(pool.lastRun.slices).toBeGreaterThan(jobs.length);
      const evaluator = new AlertSetEvaluator(market);
      for (const [i, j] of jobs.entries()) {
        expect(sameBits(pooled[i], evaluatorValues(evaluator, j.placement, j.universe, j.seed, 0, j.permutations)), `job ${i}`).toBe(true);
      }
      expect(card).toEqual(single);
      expect(card.overall.baseline?.precision.n_perm).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
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
    expect(card).toEqual(scoreOnMarket(market, alerts));
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
