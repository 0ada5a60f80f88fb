import { describe, expect, it } from 'vitest';
import { BENCH_SPEC } from './bench.ts';
import { ineffectiveKeys } from './ineffective-keys.ts';
import { parseSweepSpec } from './spec.ts';

const paths = (json: unknown) => ineffectiveKeys(parseSweepSpec(json)).map((k) => k.path);

describe('ineffectiveKeys', () => {
  it("flags the bench spec's absolute cascade threshold under the default relative mode, and nothing else", () => {
    expect(ineffectiveKeys(parseSweepSpec(BENCH_SPEC))).toEqual([{ path: 'cascade.cascade_threshold_usd', checked: 2 }]);
  });

  it('keeps a threshold that the base mode reads', () => {
    expect(paths({ base: { cascade: { mode: 'absolute' } }, grid: { 'cascade.cascade_threshold_usd': [200000, 2000000] } })).toEqual([]);
    expect(paths({ grid: { 'cascade.cascade_threshold_usd': [200000, 2000000] } })).toEqual(['cascade.cascade_threshold_usd']);
  });

  it('keeps a threshold that matters under a mode swept beside it, whatever the first configurations draw', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const spec = { random: { n: 20, seed, params: { 'cascade.mode': ['relative', 'absolute'], 'cascade.cascade_threshold_usd': { min: 200000, max: 2000000 } } } };
      expect(paths(spec)).toEqual([]);
    }
  });

  it('tries every value of a mode, repeated (weighted) or not, and modes beside the first valid configuration', () => {
    for (const seed of [2, 3, 4, 6]) {
      const weighted = { random: { n: 20, seed, params: { 'cascade.mode': ['relative', 'relative', 'relative', 'absolute'], 'cascade.cascade_threshold_usd': { min: 2e5, max: 2e6 } } } };
      expect(paths(weighted)).toEqual([]);
    }
    expect(paths({ grid: { 'cascade.mode': ['relative', 'relative', 'relative', 'absolute'], 'cascade.cascade_threshold_usd': [2e5, 2e6] } })).toEqual([]);
    // the first configuration is invalid (funding_abs_z must be positive): the modes are tried in the first valid one
    expect(paths({ grid: { 'cascade.mode': ['relative', 'absolute'], 'cascade.cascade_threshold_usd': [2e5, 2e6], 'rules.funding_abs_z': [0, 2] } })).toEqual([]);
  });

  it('flags a key that only changes alert text, and a relative-mode threshold swept under the absolute mode', () => {
    expect(paths({ grid: { 'volatility.risk_multipliers.EXTREME': [1, 2, 3], 'rules.funding_abs_z': [2, 3] } })).toEqual(['volatility.risk_multipliers.EXTREME']);
    expect(paths({ base: { cascade: { mode: 'absolute' } }, random: { n: 10, params: { 'cascade.relative.cascade_z': { min: 2, max: 4 } } } })).toEqual(['cascade.relative.cascade_z']);
  });

  it('keeps feature keys and cooldown keys, and a key with one value is not a sweep over it', () => {
    expect(paths({ grid: { 'volatility.window_hours': [12, 24], 'cooldown.FUNDING_ANOMALY.cooldown_hours': [0, 8], 'rules.funding_abs_z': [2] } })).toEqual([]);
  });
});
