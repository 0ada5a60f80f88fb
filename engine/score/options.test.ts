// Option validation, and input errors that name what is wrong — on SYNTHETIC data.
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { parseScoreOptions } from './options.ts';
import { scoreAlerts } from './score.ts';
import { syntheticSeries, syntheticTs } from './synthetic.ts';

describe('score options', () => {
  it('fills every default', () => {
    expect(parseScoreOptions(undefined)).toEqual({
      horizons_hours: [1, 4, 24, 72],
      k: 2,
      label_horizon_hours: 24,
      vol_window_hours: 24,
      drawdown_pct: null,
      lead_window_hours: 24,
      event_window: { before_hours: 24, after_hours: 72 },
      permutations: 1000,
      baseline_rows: 'all',
      seed: 1,
      include_alerts: false,
    });
  });

  it.each([
    [{ k: -1 }, 'score options.k: expected a positive number'],
    [{ horizons_hours: [] }, 'score options.horizons_hours: expected a non-empty list'],
    [{ horizons_hours: [1, 1] }, 'score options.horizons_hours: expected a non-empty list of distinct'],
    [{ horizons_hours: [1, 2.5] }, 'score options.horizons_hours[1]: expected'],
    [{ permutations: 'many' }, 'score options.permutations: expected an integer between 0 and 100000'],
    [{ permutations: 100_001 }, 'score options.permutations: expected an integer between 0 and 100000'],
    [{ vol_window_hours: 1 }, 'score options.vol_window_hours: expected an integer >= 2'],
    [{ drawdown_pct: 150 }, 'score options.drawdown_pct: expected a percentage'],
    [{ event_window: { after_hours: -3 } }, 'score options.event_window.after_hours: expected a non-negative integer'],
    [{ lead_window: 12 }, 'score options.lead_window: unknown option'],
    [{ baseline_rows: 'some' }, "score options.baseline_rows: expected 'all' or 'overall'"],
  ])('names the option in %j', (input, message) => {
    expect(() => parseScoreOptions(input)).toThrow(UserError);
    expect(() => parseScoreOptions(input)).toThrow(message);
  });

  it('reports every bad option at once, and scoreAlerts validates too', () => {
    expect(() => parseScoreOptions({ k: 0, seed: 1.5 })).toThrow(/score options\.k: .*\n.*score options\.seed: expected an integer/);
    expect(() => scoreAlerts([], [], { lead_window_hours: -1 })).toThrow('score options.lead_window_hours');
  });
});

describe('input errors', () => {
  const good = syntheticSeries('SYN', [1, 2, 3]);
  const alert = { id: 'x1', ts: syntheticTs(0), symbol: 'SYN', event_type: 'E', severity: 'INFO' as const, source: 's' };

  it('names the symbol for unordered, misaligned or duplicated prices', () => {
    const unordered = { ...good, ts: Float64Array.from([good.ts[1], good.ts[0], good.ts[2]]) };
    expect(() => scoreAlerts([unordered], [], { permutations: 0 })).toThrow('prices for SYN: ts[1] is not after ts[0]');
    const misaligned = { ...good, ts: Float64Array.from([good.ts[0] + 1, good.ts[1], good.ts[2]]) };
    expect(() => scoreAlerts([misaligned], [], { permutations: 0 })).toThrow('prices for SYN: ts[0]');
    expect(() => scoreAlerts([good, good], [], { permutations: 0 })).toThrow('prices for SYN: the symbol appears more than once');
  });

  it('names the alert for a ts off the hour or a bad direction', () => {
    expect(() => scoreAlerts([good], [{ ...alert, ts: alert.ts + 5 }], { permutations: 0 })).toThrow('alert x1: ts');
    expect(() => scoreAlerts([good], [{ ...alert, direction: 2 as never }], { permutations: 0 })).toThrow('alert x1: direction 2');
  });
});
