// median() by selection against the sorted reference, on SYNTHETIC arrays: ties, zeros of both signs, NaN, both parities.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../detectors/synthetic.ts';
import { median } from './stats.ts';

/** the definition: the middle of a numerically sorted copy (−0 before +0, NaN last) */
function sortedMedian(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

describe('median', () => {
  it('equals the middle of the sorted copy, bit for bit, on 4,000 synthetic arrays', () => {
    const r = seededRandom(7);
    for (let trial = 0; trial < 4000; trial++) {
      const n = 1 + Math.floor(r() * (trial % 10 === 0 ? 3000 : 40));
      const kind = trial % 5;
      const xs = Array.from({ length: n }, () => {
        const u = r();
        // few distinct values (many ties), zeros of both signs, a rare NaN, or spread-out values
        if (kind === 0) return Math.floor(u * 4) - 2;
        if (kind === 1) return u < 0.3 ? 0 : u < 0.6 ? -0 : u - 0.5;
        if (kind === 2) return u < 0.01 ? NaN : u * 10 - 5;
        if (kind === 3) return Math.round(u * 1e6) / 1e6 - 0.5;
        return (u - 0.5) * 1e-3;
      });
      const want = sortedMedian(xs);
      expect(Object.is(median(xs), want), `trial ${trial}: ${xs.length} values`).toBe(true);
    }
    expect(median([])).toBeNull();
  });

  it('leaves its input alone', () => {
    const xs = new Float64Array([3, 1, 2]);
    expect(median(xs)).toBe(2);
    expect(Array.from(xs)).toEqual([3, 1, 2]);
  });
});
