import { describe, expect, it } from 'vitest';
import { bhQValues } from './fdr.ts';
import { binomialPmf, binomialSumTail } from './precision-pvalue.ts';

describe('bhQValues (Benjamini–Hochberg)', () => {
  it('matches a hand-computed example with ties, in input order', () => {
    // sorted: 0.01 0.02 0.02 0.03 0.20 0.90, m = 6
    // m·p/rank: 0.06, 0.06, 0.04, 0.045, 0.24, 0.90 → running minimum from the end: 0.04 0.04 0.04 0.045 0.24 0.90
    const q = bhQValues([0.2, 0.02, 0.9, 0.01, 0.03, 0.02]);
    const expected = [0.24, 0.04, 0.9, 0.04, 0.045, 0.04];
    q.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    // the two tied p-values get one q
    expect(q[1]).toBe(q[5]);
  });

  it('is monotone in p, never below p, capped at 1', () => {
    const p = [0.5, 0.001, 0.04, 0.04, 0.7, 0.3, 0.011, 0.999, 0.2];
    const q = bhQValues(p) as number[];
    const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
    for (let k = 1; k < order.length; k++) expect(q[order[k]]).toBeGreaterThanOrEqual(q[order[k - 1]]);
    p.forEach((v, i) => {
      expect(q[i]).toBeGreaterThanOrEqual(v);
      expect(q[i]).toBeLessThanOrEqual(1);
    });
    // m · p for the largest p would exceed 1
    expect(bhQValues([0.9, 0.95])).toEqual([0.95, 0.95]);
  });

  it('leaves null p-values out of m and keeps them null', () => {
    expect(bhQValues([0.01, null, 0.04])).toEqual([0.02, null, 0.04]);
    expect(bhQValues([])).toEqual([]);
  });

  it('rejects a p-value outside [0, 1], naming it', () => {
    expect(() => bhQValues([0.1, 1.5])).toThrow(/p-value 1 is 1.5/);
    expect(() => bhQValues([Number.NaN])).toThrow(/p-value 0/);
  });
});

describe('the exact precision test', () => {
  it('binomial pmf matches hand values and sums to 1', () => {
    // Binomial(4, 0.25): 81/256, 108/256, 54/256, 12/256, 1/256
    const pmf = binomialPmf(4, 0.25);
    [81, 108, 54, 12, 1].forEach((c, k) => expect(pmf[k]).toBeCloseTo(c / 256, 14));
    expect(binomialPmf(3, 0)[0]).toBe(1);
    expect(binomialPmf(3, 1)[3]).toBe(1);
    const big = binomialPmf(5000, 0.3);
    expect(big.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('tail of a sum of binomials by hand', () => {
    // X ~ Bin(2, 0.5) + Bin(1, 0.2): P(X = 3) = 0.25·0.2 = 0.05; P(X = 2) = 0.25·0.8 + 0.5·0.2 = 0.3
    expect(binomialSumTail([{ n: 2, q: 0.5 }, { n: 1, q: 0.2 }], 3)).toBeCloseTo(0.05, 14);
    expect(binomialSumTail([{ n: 2, q: 0.5 }, { n: 1, q: 0.2 }], 2)).toBeCloseTo(0.35, 14);
    expect(binomialSumTail([{ n: 2, q: 0.5 }], 0)).toBe(1);
    expect(binomialSumTail([{ n: 2, q: 0.5 }], 3)).toBe(0);
    // a far tail keeps its digits: P(Bin(1000, 0.1) >= 300) = 6.8233491078453e-69 (lgamma sum in Python)
    const far = binomialSumTail([{ n: 1000, q: 0.1 }], 300);
    expect(far / 6.823349107845281e-69).toBeCloseTo(1, 9);
  });
});
