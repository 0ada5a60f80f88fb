// The P&L's random entries against the straightforward algorithm they replaced (walk to the exit of every drawn
// entry, shuffle the legs themselves, sort the picks): the same numbers, bit for bit, on SYNTHETIC walks with gaps,
// two symbols, mixed holds and directions (the summary is rounded to 6 digits, the sampler is compared exactly).
import { describe, expect, it } from 'vitest';
import { buildGrid, type Grid, type SymbolRange } from './grid.ts';
import { paperPnl, sampleScratch, spacedSample, type PnlRow, type RandomEntries, type Trade } from './pnl.ts';
import { parsePnlOptions, strategyOf, type PnlOptions } from './pnl-options.ts';
import { hashSeed, Mulberry32 } from './prng.ts';
import { median, toPlain } from './stats.ts';
import { syntheticRandomWalk } from './synthetic.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';

/** the previous spacedSample: a byte per value and a sort */
function referenceSample(random: Mulberry32, size: number, k: number, spacing: number): number[] {
  let s = spacing;
  if (k > 1 && size - (k - 1) * (s - 1) < k) s = Math.max(1, Math.floor((size - k) / (k - 1)) + 1);
  const m = size - (k - 1) * (s - 1);
  const taken = new Uint8Array(m);
  const picks: number[] = [];
  for (let j = m - k; j < m; j++) {
    const t = random.below(j + 1);
    const v = taken[t] ? j : t;
    taken[v] = 1;
    picks.push(v);
  }
  picks.sort((a, b) => a - b);
  return picks.map((v, i) => v + i * (s - 1));
}

interface RefLeg {
  d: number;
  hold: number;
}

/** the previous random entries: legs shuffled in place, every entry walked to its exit */
function referenceRandom(grid: Grid, row: PnlRow, trades: Trade[], actual: number, o: PnlOptions): RandomEntries {
  const fee = o.fee_pct / 100;
  const random = new Mulberry32(hashSeed(o.seed, `pnl|${row.key}`));
  const plans = row.symbols.map((s) => ({
    range: grid.bySymbol.get(s)!,
    legs: trades.filter((t) => t.symbol === s).map((t): RefLeg => ({ d: t.direction, hold: strategyOf(o, t.event_type).hold_hours })),
  }));
  const exit = (range: SymbolRange, g: number, hold: number) => {
    const firstMissing = grid.nextMissing[g + 1];
    return firstMissing > g + hold ? g + hold : firstMissing - 1;
  };
  const n = o.random_entries;
  const totals: number[] = [];
  let taken = 0;
  let asGood = 0;
  for (let p = 0; p < n; p++) {
    let sum = 0;
    for (const plan of plans) {
      const k = plan.legs.length;
      if (k === 0) {
        sum += 1;
        continue;
      }
      for (let i = k - 1; i > 0; i--) {
        const j = random.below(i + 1);
        [plan.legs[i], plan.legs[j]] = [plan.legs[j], plan.legs[i]];
      }
      const idx = referenceSample(random, plan.range.present.length, k, Math.max(1, ...plan.legs.map((l) => l.hold)));
      let value = 1;
      for (let i = 0; i < k; i++) {
        const g = plan.range.present[idx[i]];
        const { d, hold } = plan.legs[i];
        const e = exit(plan.range, g, hold);
        if (e <= g) continue;
        taken++;
        const x = grid.close[e] / grid.close[g];
        value *= Math.max(0, (1 - fee) * (1 + d * (x - 1) - fee * x));
      }
      sum += value;
    }
    const total = sum / plans.length - 1;
    totals.push(total);
    if (total >= actual - 1e-12 * Math.max(1, Math.abs(actual))) asGood++;
  }
  return {
    permutations: n,
    mean_trades: taken / n,
    mean_total_return: totals.reduce((a, b) => a + b, 0) / n,
    median_total_return: median(totals)!,
    p_value: (1 + asGood) / (1 + n),
  };
}

/** a SYNTHETIC walk with every hour in `gaps` left out */
function withGaps(series: PriceSeries, gaps: (h: number) => boolean): PriceSeries {
  const keep = Array.from(series.ts, (_, i) => i).filter((i) => !gaps(i));
  return { symbol: series.symbol, ts: Float64Array.from(keep, (i) => series.ts[i]), close: Float64Array.from(keep, (i) => series.close[i]) };
}

describe('random entries, bit for bit against the previous algorithm', () => {
  it('samples the same sorted, spaced picks by sorting (few picks) or from the bit set (many)', () => {
    const scratch = sampleScratch(5000, 400);
    for (const [size, k, spacing] of [
      [5000, 1, 24],
      [5000, 10, 24],
      [5000, 63, 8],
      [5000, 64, 8],
      [5000, 400, 4],
      [1000, 400, 24], // spacing shrinks: 400 picks 24 apart do not fit in 1,000
      [400, 400, 1],
    ]) {
      const a = new Mulberry32(size * 7 + k);
      const b = new Mulberry32(size * 7 + k);
      for (let draw = 0; draw < 5; draw++) {
        expect(Array.from(spacedSample(a, size, k, spacing, scratch)), `${size}/${k}/${spacing}`).toEqual(referenceSample(b, size, k, spacing));
      }
      expect(a.current).toBe(b.current);
    }
  });

  it('gives the same random-entry statistics on two gappy symbols with mixed holds and directions', () => {
    const prices = [
      withGaps(syntheticRandomWalk('AAA', 3000, 0.01, 21), (h) => h % 397 === 5 || (h > 1500 && h < 1510)),
      withGaps(syntheticRandomWalk('BBB', 2500, 0.02, 22), (h) => h % 211 === 0),
    ];
    const random = new Mulberry32(5);
    const alerts: ScorableAlert[] = Array.from({ length: 300 }, (_, i) => {
      const s = prices[i % 2];
      return {
        id: `a${i}`,
        ts: s.ts[(random.next() * s.ts.length) | 0],
        symbol: s.symbol,
        event_type: i % 3 === 0 ? 'SHORT_HOLD' : 'LONG_HOLD',
        severity: 'INFO',
        source: 't',
        direction: i % 5 === 0 ? 0 : i % 2 ? 1 : -1,
      };
    });
    const options = { random_entries: 300, seed: 3, fee_pct: 0.1, event_types: { SHORT_HOLD: { hold_hours: 3 }, LONG_HOLD: { hold_hours: 48, follow: 'reversal' } } };
    const o = parsePnlOptions(options);
    const pnl = paperPnl(prices, alerts, options);
    const grid = buildGrid(prices, 1);
    expect(pnl.summary.rows.map((r) => r.key)).toEqual(['all', 'LONG_HOLD', 'SHORT_HOLD']);
    for (const row of pnl.summary.rows) {
      expect(row.strategy.trades, row.key).toBeGreaterThan(20);
      // the summary is rounded to 6 digits (toPlain); the strategy's return it is compared with is the curve's last mark
      const equity = pnl.curves.find((c) => c.key === row.key)!.equity;
      expect(row.random, row.key).toEqual(toPlain(referenceRandom(grid, row, pnl.trades.get(row.key)!, equity[equity.length - 1] - 1, o)));
    }
  });
});
