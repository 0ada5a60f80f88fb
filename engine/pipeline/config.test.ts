import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { DEFAULT_SYMBOLS, defaultConfig, parseConfig } from './config.ts';

function errorOf(json: unknown): string {
  try {
    parseConfig(json);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected parseConfig to throw');
}

describe('parseConfig', () => {
  it('fills every default from {}', () => {
    const c = parseConfig({});
    expect(c.symbols).toEqual(DEFAULT_SYMBOLS);
    expect(c.cascade.window_hours).toBe(4);
    expect(c.cascade.cascade_threshold_usd).toBe(500_000);
    expect(c.cascade.severity_velocity_usd_h).toEqual([100_000, 200_000, 400_000, 600_000]);
    expect(c.cascade.mode).toBe('relative');
    expect(c.cascade.relative.baseline_hours).toBe(720);
    expect(c.funding.anomaly_z).toBe(2);
    expect(c.funding.watch_z).toBe(1);
    expect(c.funding.lookback_days).toBe(30);
    expect(c.volatility.baseline_hours).toBe(720);
    expect(c.volatility.thresholds).toEqual({ high_vol: 1, explosive: 1.5, extreme: 2.5 });
    expect(c.volatility.risk_multipliers).toEqual({ STABLE: 0.7, HIGH_VOL: 1.2, EXPLOSIVE: 1.8, EXTREME: 2.5 });
    expect(c.regime.lookback_bars).toEqual({ '1h': 24, '4h': 24, '1d': 30, '1w': 12 });
    expect(c.correlation).toMatchObject({ window_hours: 168, normal_hours: 720, break_drop: 0.3, break_level: -0.5 });
    expect(c.rules).toEqual({ cascade_min_severity: 3, funding_abs_z: 2, regime_min_confidence: 0.7 });
    expect(c.cooldown.CORRELATION_BREAK.transition_only).toBe(true);
    expect(defaultConfig()).toEqual(c);
    expect(parseConfig(undefined)).toEqual(c);
  });

  it('keeps defaults next to a partial override', () => {
    const c = parseConfig({ volatility: { thresholds: { extreme: 3 } }, cooldown: { FUNDING_ANOMALY: { cooldown_hours: 1 } } });
    expect(c.volatility.thresholds).toEqual({ high_vol: 1, explosive: 1.5, extreme: 3 });
    expect(c.volatility.window_hours).toBe(24);
    expect(c.cooldown.FUNDING_ANOMALY).toEqual({ transition_only: true, cooldown_hours: 1, max_per_day: 3 });
  });

  it('names the offending key path', () => {
    expect(errorOf({ volatility: { baseline_hours: -5 } })).toBe('config.volatility.baseline_hours: expected an integer between 1 and 17520');
    expect(errorOf({ volatility: { baseline_hours: 1.5 } })).toBe('config.volatility.baseline_hours: expected an integer between 1 and 17520');
    expect(errorOf({ volatility: { baseline_hours: '720' } })).toBe('config.volatility.baseline_hours: expected an integer between 1 and 17520');
    expect(errorOf({ funding: { min_coverage: 1.2 } })).toBe('config.funding.min_coverage: expected a number between 0 and 1');
    expect(errorOf({ cascade: { mode: 'loud' } })).toBe("config.cascade.mode: expected 'absolute' or 'relative'");
    expect(errorOf({ cascade: { zones: { top_n: -1 } } })).toBe('config.cascade.zones.top_n: expected an integer between 0 and 100');
    expect(errorOf({ regime: { lookback_bars: { '1w': 1 } } })).toBe('config.regime.lookback_bars.1w: expected an integer between 2 and 500');
    expect(errorOf({ symbols: ['BTCUSDT', 7] })).toBe('config.symbols[1]: expected a symbol name');
    expect(errorOf({ rules: 3 })).toBe('config.rules: expected an object');
  });

  it('rejects unknown keys, naming them', () => {
    expect(errorOf({ volatility: { baseline_hour: 720 } })).toBe('config.volatility.baseline_hour: unknown key');
    expect(errorOf({ alerts: {} })).toBe('config.alerts: unknown key');
    expect(errorOf({ cooldown: { LIQUIDATION_CASCADE: { cooldown: 2 } } })).toBe('config.cooldown.LIQUIDATION_CASCADE.cooldown: unknown key');
  });

  it('checks cross-field constraints', () => {
    expect(errorOf({ funding: { watch_z: 2.5 } })).toBe('config.funding.watch_z: expected a number below anomaly_z');
    expect(errorOf({ volatility: { thresholds: { explosive: 3 } } })).toBe('config.volatility.thresholds.extreme: expected a number above explosive');
    expect(errorOf({ cascade: { severity_velocity_usd_h: [1, 3, 2, 4] } })).toBe(
      'config.cascade.severity_velocity_usd_h: expected 4 strictly increasing numbers',
    );
    expect(errorOf({ symbols: ['BTCUSDT', 'BTCUSDT'] })).toBe('config.symbols: expected a non-empty list of distinct symbol names');
    expect(errorOf({ symbols: [] })).toBe('config.symbols: expected a non-empty list of distinct symbol names');
  });

  it('reports every problem, one line each', () => {
    const lines = errorOf({ volatility: { baseline_hours: 0 }, bogus: 1 }).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines).toContain('config.bogus: unknown key');
  });
});
