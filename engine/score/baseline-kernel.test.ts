// The shared-placement kernel (permutationValues) against the reference (place every alert by its hash, then
// AlertSetEvaluator.evaluate per row), bit for bit, on SYNTHETIC gappy walks: short and very long lead windows
// (an alert in reach of more episodes than the draw table counts), several symbols, overlapping rows, every
// direction, slices of the permutations in any order.
import { describe, expect, it } from 'vitest';
import { permutationValues, placeSlice, tablesReadThrough, type BaselineSpec } from './baseline.ts';
import { evaluatorValues, kernelVariant } from './baseline-reference.ts';
import { drawTables, REACH_SATURATED } from './draw-table.ts';
import { AlertSetEvaluator, type Universe } from './evaluator.ts';
import { prepareMarket, type Market } from './market.ts';
import { Mulberry32, textKey } from './prng.ts';
import { syntheticRandomWalk } from './synthetic.ts';
import type { PriceSeries } from './types.ts';

function withGaps(series: PriceSeries, gap: (h: number) => boolean): PriceSeries {
  const keep = Array.from(series.ts, (_, i) => i).filter((i) => !gap(i));
  return { symbol: series.symbol, ts: Float64Array.from(keep, (i) => series.ts[i]), close: Float64Array.from(keep, (i) => series.close[i]) };
}

const prices = [
  withGaps(syntheticRandomWalk('AAA', 9000, 0.01, 31), (h) => h % 613 === 7 || (h > 2000 && h < 2030)),
  withGaps(syntheticRandomWalk('BBB', 3000, 0.02, 32), (h) => h % 101 === 0),
  syntheticRandomWalk('CCC', 1200, 0.005, 33),
];

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** SYNTHETIC alerts: counts per symbol, keys from their index; rows: all, each symbol, every third, a single alert */
function specFor(market: Market, counts: number[], seed: number, permutations: number): BaselineSpec {
  const symbols = market.grid.symbols.map((r) => r.symbol);
  const n = counts.reduce((x, y) => x + y, 0);
  const universe: Universe = { episodes: market.labels.epStart.length, weeks: 30 };
  const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);
  const rows = [{ members: range(0, n), universe }];
  let at = 0;
  symbols.forEach((s, b) => {
    rows.push({ members: range(at, at + counts[b]), universe: { episodes: market.labels.episodesBySymbol.get(s) ?? 0, weeks: 10 } });
    at += counts[b];
  });
  rows.push({ members: range(0, n).filter((a) => a % 3 === 1), universe });
  rows.push({ members: Int32Array.of(2), universe });
  return {
    symbols,
    counts,
    keys: Uint32Array.from({ length: n }, (_, a) => textKey(`synthetic${a}`)),
    dir: Int8Array.from({ length: n }, (_, a) => (a % 3) - 1),
    rows,
    seed,
    permutations,
  };
}

describe('random-baseline kernel (shared placements)', () => {
  // 5,000 hours: a sixth of the draws in reach of REACH_SATURATED episodes or more, counted up to their own draw's hour
  // + the lead (the draw, not the end of the series, decides which); 10,000: longer than the series
  for (const lead of [0, 24, 5000, 10_000]) {
    it(`gives the reference's bits with a ${lead}-hour lead window`, () => {
      const market = prepareMarket(prices, { lead_window_hours: lead, horizons_hours: [1, 5, 48] });
      const evaluator = new AlertSetEvaluator(market);
      const m = evaluator.specs.length;
      const spec = specFor(market, [37, 11, 3], 77, 200);
      const whole = evaluatorValues(evaluator, spec, 0, 200);
      expect(sameBits(permutationValues(market, spec, 0, 200), whole)).toBe(true);
      // slices computed in any order and placed give the same bits
      const glued = new Float64Array(whole.length);
      for (const [from, to] of [[120, 200], [0, 1], [50, 120], [1, 50]]) placeSlice(glued, permutationValues(market, spec, from, to), spec.rows.length, 200, from, to, m);
      expect(sameBits(glued, whole)).toBe(true);
      expect(sameBits(permutationValues(market, spec, 50, 120), evaluatorValues(evaluator, spec, 50, 120))).toBe(true);
      // the cases the kernel handles apart are really met
      const reach = Array.from(drawTables(market).bySymbol.values()).flatMap((d) => Array.from(d.meta, (x) => (x >> 2) & REACH_SATURATED));
      if (lead === 0) expect(Math.max(...reach)).toBe(1);
      if (lead >= 5000) expect(Math.max(...reach)).toBe(REACH_SATURATED);
      expect(Array.from(drawTables(market).bySymbol.values()).some((d) => d.ret.some((r) => Number.isNaN(r)))).toBe(true);
    });
  }

  it("gives the reference's bits on random SYNTHETIC specs: horizon counts odd and even, lead windows short to saturated, any rows", () => {
    const rng = new Mulberry32(2026);
    const pick = <T>(xs: readonly T[]): T => xs[rng.below(xs.length)];
    let saturated = 0;
    for (let trial = 0; trial < 24; trial++) {
      const horizons = pick([[1], [1, 5], [1, 5, 48], [1, 4, 24, 72], [2, 3, 5, 7, 11]]);
      const market = prepareMarket(prices, { lead_window_hours: pick([0, 6, 24, 100, 3000]), horizons_hours: horizons, k: pick([1.5, 2, 3]) });
      const evaluator = new AlertSetEvaluator(market);
      const counts = [1 + rng.below(60), rng.below(30), 1 + rng.below(10)];
      const spec = specFor(market, counts, rng.below(1000), 40);
      const n = spec.keys.length;
      const rows = Array.from({ length: 1 + rng.below(6) }, () => {
        const keep = rng.next();
        const members = Int32Array.from({ length: n }, (_, a) => a).filter(() => rng.next() < keep);
        return { members: members.length > 0 ? members : Int32Array.of(rng.below(n)), universe: { episodes: rng.below(3) * rng.below(200), weeks: rng.below(3) * 10 } };
      });
      const random: BaselineSpec = { ...spec, dir: Int8Array.from({ length: n }, () => rng.below(3) - 1), rows: [...spec.rows, ...rows] };
      expect(sameBits(permutationValues(market, random, 0, 40), evaluatorValues(evaluator, random, 0, 40)), `trial ${trial}`).toBe(true);
      saturated += Number(Array.from(drawTables(market).bySymbol.values()).some((d) => d.meta.some((x) => ((x >> 2) & REACH_SATURATED) === REACH_SATURATED)));
    }
    expect(saturated).toBeGreaterThan(0);
  });

  it("a row's values depend on its own alerts only: other alerts and rows around it change nothing", () => {
    const market = prepareMarket(prices, {});
    const big = specFor(market, [37, 11, 3], 5, 100);
    // the BBB row alone, as a spec of its own alerts
    const bbb = big.rows[2];
    const alone: BaselineSpec = { symbols: ['BBB'], counts: [11], keys: big.keys.slice(37, 48), dir: big.dir.slice(37, 48), rows: [{ members: Int32Array.from({ length: 11 }, (_, i) => i), universe: bbb.universe }], seed: 5, permutations: 100 };
    const m = new AlertSetEvaluator(market).specs.length;
    const all = permutationValues(market, big, 0, 100);
    expect(sameBits(all.subarray(2 * 100 * m, 3 * 100 * m), permutationValues(market, alone, 0, 100))).toBe(true);
    // another seed, other draws
    expect(sameBits(permutationValues(market, { ...alone, seed: 6 }, 0, 100), permutationValues(market, alone, 0, 100))).toBe(false);
  });

  it('counts four-horizon rows in WebAssembly with the bits of the JavaScript rows: lead windows short to saturated, random rows and directions', () => {
    const rng = new Mulberry32(7);
    let pending = 0;
    for (const lead of [0, 6, 24, 3000]) {
      const market = prepareMarket(prices, { lead_window_hours: lead, horizons_hours: [1, 4, 24, 72] });
      const base = specFor(market, [1 + rng.below(80), rng.below(40), 1 + rng.below(12)], rng.below(1000), 30);
      const n = base.keys.length;
      const rows = Array.from({ length: 4 }, () => {
        const keep = rng.next();
        const members = Int32Array.from({ length: n }, (_, a) => a).filter(() => rng.next() < keep);
        return { members, universe: { episodes: rng.below(300), weeks: 10 } };
      });
      const spec: BaselineSpec = { ...base, dir: Int8Array.from({ length: n }, () => rng.below(3) - 1), rows: [...base.rows, ...rows] };
      const inJs = kernelVariant(market, spec, 'javascript-rows');
      expect(sameBits(permutationValues(market, spec, 0, 30), permutationValues(market, inJs, 0, 30)), `lead ${lead}`).toBe(true);
      pending += Number(Array.from(drawTables(market).bySymbol.values()).some((d) => d.meta.some((x) => ((x >> 2) & REACH_SATURATED) > 1)));
    }
    // the draws that reach several episodes, which the WebAssembly row leaves to the caller, were met
    expect(pending).toBeGreaterThan(0);
  });

  it("gives the reference's bits when the tables are large enough to be read through before each chunk's placements", () => {
    // SYNTHETIC: three 45,000-hour walks, ≈ 4.3 MB of four-horizon draw tables, and enough alerts per symbol that
    // a chunk of permutations reads each table through
    const big = ['AAA', 'BBB', 'CCC'].map((s, i) => syntheticRandomWalk(s, 45_000, 0.01, 40 + i));
    const market = prepareMarket(big, { horizons_hours: [1, 4, 24, 72] });
    const spec = specFor(market, [1500, 1200, 1400], 9, 20);
    const before = tablesReadThrough();
    const whole = permutationValues(market, spec, 0, 20);
    expect(tablesReadThrough()).toBeGreaterThan(before);
    expect(sameBits(whole, evaluatorValues(new AlertSetEvaluator(market), spec, 0, 20))).toBe(true);
    // a slice starting inside a chunk: the same bits as the whole run's permutations there
    const m = new AlertSetEvaluator(market).specs.length;
    const glued = new Float64Array(whole.length);
    for (const [from, to] of [[5, 20], [0, 5]]) placeSlice(glued, permutationValues(market, spec, from, to), spec.rows.length, 20, from, to, m);
    expect(sameBits(glued, whole)).toBe(true);
  });

  it('gives the same bits placing one permutation at a time (a spec too large for several sets of scratch) as several', () => {
    const market = prepareMarket(prices, { horizons_hours: [1, 4, 24, 72] });
    const several = specFor(market, [37, 11, 3], 12, 30);
    const one = kernelVariant(market, several, 'one-permutation-at-a-time');
    const whole = permutationValues(market, several, 0, 30);
    expect(sameBits(permutationValues(market, one, 0, 30), whole)).toBe(true);
    expect(sameBits(permutationValues(market, one, 7, 19), permutationValues(market, several, 7, 19))).toBe(true);
    expect(sameBits(whole, evaluatorValues(new AlertSetEvaluator(market), several, 0, 30))).toBe(true);
  });

  it('counts rows in WebAssembly with the bits of the JavaScript rows where returns are exactly zero (flat prices) and undefined (gaps)', () => {
    // SYNTHETIC: walks held flat for a few hours at a time (log returns of exactly +0, times a −1 direction: −0) and with gaps
    const flat = (series: PriceSeries): PriceSeries => {
      const close = Float64Array.from(series.close);
      for (let i = 1; i < close.length; i++) if (i % 7 < 3) close[i] = close[i - 1];
      return { ...series, close };
    };
    const market = prepareMarket(
      prices.map((p) => flat(p)),
      { horizons_hours: [1, 2, 24, 72] },
    );
    const zeros = Array.from(drawTables(market).bySymbol.values()).reduce((n, d) => n + d.ret.filter((r) => r === 0).length, 0);
    expect(zeros).toBeGreaterThan(1000);
    const base = specFor(market, [60, 30, 9], 3, 25);
    // only −1 and 0 directions in one row, so its Σ d·v adds −0 over and over
    const spec: BaselineSpec = { ...base, dir: Int8Array.from(base.dir, (_, a) => (a % 2 === 0 ? -1 : 0)) };
    const inJs = kernelVariant(market, spec, 'javascript-rows');
    expect(sameBits(permutationValues(market, spec, 0, 25), permutationValues(market, inJs, 0, 25))).toBe(true);
    expect(sameBits(permutationValues(market, spec, 0, 25), evaluatorValues(new AlertSetEvaluator(market), spec, 0, 25))).toBe(true);
  });

  it('names a symbol the market does not have', () => {
    const market = prepareMarket(prices, {});
    const spec = { ...specFor(market, [1, 1, 1], 1, 3), symbols: ['AAA', 'BBB', 'ZZZ'] };
    expect(() => permutationValues(market, spec, 0, 3)).toThrow(/ZZZ/);
  });
});
