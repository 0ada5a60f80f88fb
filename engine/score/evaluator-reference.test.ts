// AlertSetEvaluator against its plain reference (evaluator-reference.ts), bit for bit, on SYNTHETIC gappy walks:
// lead windows from none to longer than the data, odd and even numbers of horizons, alerts in any order with
// repeats, at hours with and without prices, every direction, and one evaluator reused across alert sets; with the
// sweep's compact layout, the same alert sets but for their alerts at hours without a price (never placed there).
import { describe, expect, it } from 'vitest';
import { AlertSetEvaluator, compactLayout, type Universe } from './evaluator.ts';
import { ReferenceEvaluator } from './evaluator-reference.ts';
import { prepareMarket, type Market } from './market.ts';
import { Mulberry32 } from './prng.ts';
import { syntheticRandomWalk } from './synthetic.ts';
import type { PriceSeries } from './types.ts';

function withGaps(series: PriceSeries, gap: (h: number) => boolean): PriceSeries {
  const keep = Array.from(series.ts, (_, i) => i).filter((i) => !gap(i));
  return { symbol: series.symbol, ts: Float64Array.from(keep, (i) => series.ts[i]), close: Float64Array.from(keep, (i) => series.close[i]) };
}

const prices = [
  withGaps(syntheticRandomWalk('AAA', 6000, 0.012, 41), (h) => h % 409 === 5 || (h > 1500 && h < 1530)),
  withGaps(syntheticRandomWalk('BBB', 2500, 0.02, 42), (h) => h % 97 === 0),
  syntheticRandomWalk('CCC', 900, 0.006, 43),
];

/** SYNTHETIC alert sets: mostly at hours with a price, some anywhere on the grid; shuffled or in grid order */
function alertSets(market: Market, seed: number): { pos: Int32Array; dir: Int8Array }[] {
  const random = new Mulberry32(seed);
  const present = market.grid.symbols.flatMap((r) => Array.from(r.present));
  const size = market.grid.close.length;
  const sets: { pos: Int32Array; dir: Int8Array }[] = [];
  for (const n of [0, 1, 2, 7, 60, 400, 3000]) {
    const pos = Int32Array.from({ length: n }, () =>
      random.next() < 0.9 ? present[Math.floor(random.next() * present.length)] : Math.floor(random.next() * size),
    );
    const dir = Int8Array.from({ length: n }, () => Math.floor(random.next() * 3) - 1);
    sets.push({ pos, dir });
    sets.push({ pos: pos.slice().sort(), dir });
  }
  // one hour over and over: every alert after the first detects nothing new
  sets.push({ pos: new Int32Array(50).fill(present[present.length >> 1]), dir: new Int8Array(50).fill(1) });
  return sets;
}

function histogram(leads: readonly number[], size: number): Int32Array {
  const counts = new Int32Array(size);
  for (const x of leads) counts[x]++;
  return counts;
}

/** the same alert sets without their alerts at hours with no price */
function pricedOnly(market: Market, sets: { pos: Int32Array; dir: Int8Array }[]): { pos: Int32Array; dir: Int8Array }[] {
  const { close } = market.grid;
  return sets.map(({ pos, dir }) => {
    const keep = Array.from(pos.keys()).filter((i) => !Number.isNaN(close[pos[i]]));
    return { pos: Int32Array.from(keep, (i) => pos[i]), dir: Int8Array.from(keep, (i) => dir[i]) };
  });
}

/** evaluates each set with both and expects the same bits; the detections summed over the sets */
function expectReference(market: Market, fast: AlertSetEvaluator, sets: { pos: Int32Array; dir: Int8Array }[], lead: number): number {
  const plain = new ReferenceEvaluator(market);
  const universe: Universe = { episodes: market.labels.epStart.length, weeks: 12 };
  const got = new Float64Array(fast.specs.length);
  const want = new Float64Array(plain.specs.length);
  let detected = 0;
  for (const { pos, dir } of sets) {
    fast.evaluate(pos, dir, pos.length, universe, got);
    plain.evaluate(pos, dir, pos.length, universe, want);
    expect(Array.from(got, (x, i) => Object.is(x, want[i]))).not.toContain(false);
    expect([fast.trueAlerts, fast.falseAlarms, fast.unevaluable, fast.detected]).toEqual([
      plain.trueAlerts, plain.falseAlarms, plain.unevaluable, plain.detected,
    ]);
    // the same leads; the list now comes in episode order, not in the order the alerts found them
    const leads = plain.leadHours();
    expect(fast.leadHours().sort((a, b) => a - b)).toEqual(leads.slice().sort((a, b) => a - b));
    const counts = new Int32Array(Math.min(lead, market.grid.close.length) + 1);
    fast.countLeads(counts);
    expect(counts).toEqual(histogram(leads, counts.length));
    detected += fast.detected;
  }
  return detected;
}

describe('AlertSetEvaluator ≡ its reference', () => {
  for (const lead of [0, 3, 24, 10_000]) {
    for (const horizons of [[1], [1, 4], [1, 5, 48], [1, 4, 24, 72], [2, 3, 6, 12, 24]]) {
      it(`gives the reference's values, counts and leads (lead ${lead} h, horizons ${horizons.join(' ')})`, () => {
        const market = prepareMarket(prices, { lead_window_hours: lead, horizons_hours: horizons, permutations: 0 });
        const sets = alertSets(market, lead * 31 + horizons.length);
        expect(expectReference(market, new AlertSetEvaluator(market), sets, lead)).toBeGreaterThan(0);
      });

      it(`gives them with the compact layout at hours with a price (lead ${lead} h, horizons ${horizons.join(' ')})`, () => {
        const market = prepareMarket(prices, { lead_window_hours: lead, horizons_hours: horizons, permutations: 0 });
        const sets = pricedOnly(market, alertSets(market, lead * 31 + horizons.length));
        const compact = new AlertSetEvaluator(market, compactLayout(market));
        expect(expectReference(market, compact, sets, lead)).toBeGreaterThan(0);
      });
    }
  }
});
