// Every window, lookback and count of the detector, rules and cooldown configs has an upper bound, and a value
// beyond it fails validation with a message that names the key and the bound (issue 16, item 7).
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { parseScoreOptions } from '../score/options.ts';
import { defaultConfig, parseConfig } from './config.ts';

/** key path → [min, max, integer]: the table the README documents */
const BOUNDED: Record<string, [number, number, boolean]> = {
  'cascade.window_hours': [1, 168, true],
  'cascade.relative.baseline_hours': [1, 17_520, true],
  'cascade.zones.lookback_hours': [1, 2_160, true],
  'cascade.zones.bin_width_pct': [0.01, 100, false],
  'cascade.zones.top_n': [0, 100, true],
  'funding.lookback_days': [1, 365, true],
  'funding.min_settlements': [1, 8_760, true],
  'funding.reversal_lookback_settlements': [1, 100, true],
  'funding.stale_after_hours': [1, 8_760, true],
  'volatility.window_hours': [2, 2_160, true],
  'volatility.baseline_hours': [1, 17_520, true],
  'volatility.cluster_window_hours': [1, 8_760, true],
  'volatility.cluster_min_events': [1, 8_760, true],
  'regime.lookback_bars.1h': [2, 500, true],
  'regime.lookback_bars.4h': [2, 500, true],
  'regime.lookback_bars.1d': [2, 500, true],
  'regime.lookback_bars.1w': [2, 500, true],
  'correlation.window_hours': [3, 2_160, true],
  'correlation.normal_hours': [1, 17_520, true],
  'correlation.max_lag_hours': [1, 48, true],
  'rules.cascade_min_severity': [1, 5, true],
  ...Object.fromEntries(
    Object.keys(defaultConfig().cooldown).flatMap((t) => [
      [`cooldown.${t}.cooldown_hours`, [0, 8_760, true]],
      [`cooldown.${t}.max_per_day`, [1, 1_000, true]],
    ]),
  ),
};

function at(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  const root: Record<string, unknown> = {};
  let o = root;
  for (const k of keys.slice(0, -1)) o = (o[k] = {}) as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
  return root;
}

function errorOf(json: unknown): string | null {
  try {
    parseConfig(json);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
}

/** numeric leaves of the default config, as dotted key paths */
function numericLeaves(o: unknown, prefix = ''): string[] {
  if (typeof o === 'number') return [prefix];
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return [];
  return Object.entries(o).flatMap(([k, v]) => numericLeaves(v, prefix ? `${prefix}.${k}` : k));
}

describe('config bounds', () => {
  for (const [key, [min, max, integer]] of Object.entries(BOUNDED)) {
    it(`${key}: ${min} … ${max}`, () => {
      const msg = `config.${key}: expected ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`;
      expect(errorOf(at(key, max))).toBeNull();
      expect(errorOf(at(key, min))).toBeNull();
      expect(errorOf(at(key, integer ? max + 1 : max * 1.01))).toBe(msg);
      expect(errorOf(at(key, integer ? min - 1 : min / 2))).toBe(msg);
      expect(errorOf(at(key, 2_000_000_000))).toBe(msg);
    });
  }

  it("rejects the issue's examples with the key and the bound", () => {
    expect(errorOf({ volatility: { baseline_hours: 2_000_000_000 } })).toBe('config.volatility.baseline_hours: expected an integer between 1 and 17520');
    expect(errorOf({ correlation: { normal_hours: 400_000_000 } })).toBe('config.correlation.normal_hours: expected an integer between 1 and 17520');
  });

  it('leaves no window, lookback or count unbounded', () => {
    const countLike = /hours|days|bars|lookback|window|settlements|events|top_n|lag|per_day|severity|bin_width/;
    const keys = numericLeaves(defaultConfig()).filter((k) => countLike.test(k) && !/(^|\.)(min_coverage|severity_z|severity_velocity_usd_h)/.test(k));
    expect(keys.length).toBeGreaterThan(25);
    for (const k of keys) expect(BOUNDED[k], `${k} has no documented bound`).toBeDefined();
  });

  it('--permutations has an upper bound too', () => {
    expect(parseScoreOptions({ permutations: 100_000 }).permutations).toBe(100_000);
    expect(() => parseScoreOptions({ permutations: 100_001 })).toThrow('score options.permutations: expected an integer between 0 and 100000');
  });
});
