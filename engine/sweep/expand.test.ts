import { describe, expect, it } from 'vitest';
import { Mulberry32 } from '../score/prng.ts';
import { applyParams, countVariants, drawValue, gridVariants, variants } from './expand.ts';
import { parseSweepSpec } from './spec.ts';

describe('grid and random expansion', () => {
  it('walks the cartesian product, last dimension fastest', () => {
    const spec = parseSweepSpec({ grid: { 'rules.funding_abs_z': [1, 2], 'rules.cascade_min_severity': [3, 4, 5] } });
    const all = [...variants(spec)];
    expect(countVariants(spec)).toBe(6);
    expect(all).toEqual([
      { 'rules.cascade_min_severity': 3, 'rules.funding_abs_z': 1 },
      { 'rules.cascade_min_severity': 3, 'rules.funding_abs_z': 2 },
      { 'rules.cascade_min_severity': 4, 'rules.funding_abs_z': 1 },
      { 'rules.cascade_min_severity': 4, 'rules.funding_abs_z': 2 },
      { 'rules.cascade_min_severity': 5, 'rules.funding_abs_z': 1 },
      { 'rules.cascade_min_severity': 5, 'rules.funding_abs_z': 2 },
    ]);
  });

  it('is lazy: a grid of 10^12 configurations yields its first ones at once', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1 + i / 1000);
    const grid = ['volatility.thresholds.extreme', 'funding.anomaly_z', 'rules.funding_abs_z', 'correlation.break_drop'].map((path) => ({ path, values }));
    expect(countVariants({ grid, random: null })).toBe(1e12);
    const it = gridVariants(grid);
    expect(it.next().value).toEqual({ 'volatility.thresholds.extreme': 1, 'funding.anomaly_z': 1, 'rules.funding_abs_z': 1, 'correlation.break_drop': 1 });
    expect(it.next().value).toMatchObject({ 'correlation.break_drop': 1.001 });
  });

  it('draws seeded random samples: the same seed repeats them, another seed does not', () => {
    const spec = (seed: number) =>
      parseSweepSpec({
        random: {
          n: 20,
          seed,
          params: {
            'funding.anomaly_z': { min: 1, max: 3 },
            'rules.funding_abs_z': { min: 1, max: 2, step: 0.25 },
            'cooldown.FUNDING_ANOMALY.cooldown_hours': { min: 0, max: 6 },
            'cascade.mode': ['absolute', 'relative'],
          },
        },
      });
    const a = [...variants(spec(7))];
    expect(a).toHaveLength(20);
    expect([...variants(spec(7))]).toEqual(a);
    expect([...variants(spec(8))]).not.toEqual(a);
    for (const p of a) {
      expect(p['funding.anomaly_z']).toBeGreaterThanOrEqual(1);
      expect(p['funding.anomaly_z']).toBeLessThanOrEqual(3);
      expect([1, 1.25, 1.5, 1.75, 2]).toContain(p['rules.funding_abs_z']);
      expect(Number.isInteger(p['cooldown.FUNDING_ANOMALY.cooldown_hours'])).toBe(true);
      expect(['absolute', 'relative']).toContain(p['cascade.mode']);
    }
    expect(new Set(a.map((p) => p['cascade.mode'])).size).toBe(2);
  });

  it('keeps stepped values tidy and sets paths into a copy of the base', () => {
    const rng = new Mulberry32(1);
    for (let i = 0; i < 50; i++) expect(String(drawValue({ path: 'x', min: 0.1, max: 0.9, step: 0.1, integer: false }, rng))).toMatch(/^0\.\d$/);
    const base = { rules: { funding_abs_z: 2 } };
    expect(applyParams(base, { 'volatility.thresholds.extreme': 3 })).toEqual({ rules: { funding_abs_z: 2 }, volatility: { thresholds: { extreme: 3 } } });
    expect(base).toEqual({ rules: { funding_abs_z: 2 } });
  });
});
