// The P&L's random entries against the straightforward algorithm they replaced (walk to the exit of every drawn
// entry, shuffle the legs themselves, sort the picks): the same numbers, bit for bit, on SYNTHETIC walks with gaps,
// two symbols, mixed holds and directions (the summary is rounded to 6 digits, the sampler is compared exactly).
import { describe, expect, it } from 'vitest';
import { buildGrid } from './grid.ts';
import { paperPnl, sampleScratch, spacedSample } from './pnl.ts';
import { parsePnlOptions } from './pnl-options.ts';
import { referenceRandom, referenceSample } from './pnl-reference.ts';
import { Mulberry32 } from './prng.ts';
import { toPlain } from './stats.ts';
import { syntheticRandomWalk } from './synthetic.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';

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
