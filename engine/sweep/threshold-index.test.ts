// Value bands over sorted orders (threshold-index.ts), on SYNTHETIC columns.
import { describe, expect, it } from 'vitest';
import { BandPositions, countAtMost, countBelow, sortedOrder } from './threshold-index.ts';

describe('BandPositions', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;

  it('gives the union of bands as ascending positions, the same as a scan, and is clear for the next union', () => {
    const bands = new BandPositions();
    for (const size of [1, 31, 32, 33, 100, 1000]) {
      const a = Float64Array.from({ length: size }, () => (rnd() < 0.05 ? NaN : Math.round(rnd() * 50) / 10));
      const b = Float64Array.from({ length: size }, () => rnd() * 5);
      const byA = sortedOrder(a);
      const byB = sortedOrder(b);
      for (let round = 0; round < 5; round++) {
        const x = rnd() * 5;
        const y = rnd() * 5;
        bands.reset(size);
        // a <= x (a band from the bottom) or b >= y (from the top)
        bands.mark(byA, 0, countAtMost(a, byA, x));
        bands.mark(byB, countBelow(b, byB, y), byB.length);
        const scan = Array.from({ length: size }, (_, i) => i).filter((i) => a[i] <= x || b[i] >= y);
        expect([...bands.drain()]).toEqual(scan);
      }
    }
    bands.reset(64);
    expect(bands.drain().length).toBe(0);
  });
});
