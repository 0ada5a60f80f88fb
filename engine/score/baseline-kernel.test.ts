// The draw-table kernel (permutationValues) against the evaluator loop it replaced, bit for bit, on SYNTHETIC
// gappy walks: short and very long lead windows (an alert in reach of more episodes than the draw table counts),
// several symbols, every direction, slices of the stream.
import { describe, expect, it } from 'vitest';
import { permutationValues, type Placement } from './baseline.ts';
import { evaluatorValues } from './baseline-reference.ts';
import { drawTables, REACH_SATURATED } from './draw-table.ts';
import { AlertSetEvaluator, type Universe } from './evaluator.ts';
import { prepareMarket } from './market.ts';
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

describe('random-baseline kernel', () => {
  for (const lead of [0, 24, 10_000]) {
    it(`gives the evaluator loop's bits with a ${lead}-hour lead window`, () => {
      const market = prepareMarket(prices, { lead_window_hours: lead, horizons_hours: [1, 5, 48] });
      const evaluator = new AlertSetEvaluator(market);
      const [a, b, c] = market.grid.symbols;
      const counts = [37, 11, 3];
      const n = counts.reduce((x, y) => x + y, 0);
      const placement: Placement = { blocks: [a, b, c].map((range, i) => ({ range, count: counts[i] })), dir: Int8Array.from({ length: n }, (_, i) => (i % 3) - 1) };
      const universe: Universe = { episodes: market.labels.epStart.length, weeks: 30 };
      const whole = evaluatorValues(evaluator, placement, universe, 77, 0, 200);
      expect(sameBits(permutationValues(evaluator, placement, universe, 77, 0, 200), whole)).toBe(true);
      const m = evaluator.specs.length;
      expect(sameBits(permutationValues(evaluator, placement, universe, 77, 50, 120), whole.subarray(50 * m, 120 * m))).toBe(true);
      // one alert alone: its own episodes decide recall, however many its window reaches
      const single: Placement = { blocks: [{ range: a, count: 1 }], dir: Int8Array.of(1) };
      expect(sameBits(permutationValues(evaluator, single, universe, 78, 0, 300), evaluatorValues(evaluator, single, universe, 78, 0, 300))).toBe(true);
      // the cases the kernel handles apart are really met
      const reach = Array.from(drawTables(market).bySymbol.values()).flatMap((d) => Array.from(d.meta, (x) => (x >> 2) & REACH_SATURATED));
      if (lead === 0) expect(Math.max(...reach)).toBe(1);
      if (lead === 10_000) expect(Math.max(...reach)).toBe(REACH_SATURATED);
      expect(Array.from(drawTables(market).bySymbol.values()).some((d) => d.ret.some((r) => Number.isNaN(r)))).toBe(true);
    });
  }
});
