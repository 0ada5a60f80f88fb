// Forward returns and excursions on a tiny SYNTHETIC series, computed by hand.
import { describe, expect, it } from 'vitest';
import { scoreAlerts } from './score.ts';
import { syntheticSeries, syntheticTs } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

const ln = Math.log;
// hour:          0    1    2   3    4    5     6    7
const closes = [100, 110, 99, 121, 100, null, 105, 108];
const prices = [syntheticSeries('SYN', closes)];
const options = { horizons_hours: [1, 2, 3], permutations: 0, include_alerts: true };

function alert(id: string, hour: number, extra: Partial<ScorableAlert> = {}): ScorableAlert {
  return { id, ts: syntheticTs(hour), symbol: 'SYN', event_type: 'E', severity: 'INFO', source: 'test', ...extra };
}

describe('forward returns', () => {
  const alerts = [
    alert('h0', 0, { direction: -1 }),
    alert('h3', 3), // (3, 5] holds the missing hour 5
    alert('h6', 6), // (6, 8] runs past the last hour 7
    alert('h5', 5), // no candle at the alert hour
    alert('other', 0, { symbol: 'NOPE' }), // no prices at all
  ];
  const card = scoreAlerts(prices, alerts, options);
  const [h1, h2, h3] = card.overall.forward;

  it('takes log returns from the alert-hour close and excludes gap and end windows, counting each', () => {
    expect(h1.n).toBe(3);
    expect(h1.mean).toBeCloseTo((ln(110 / 100) + ln(100 / 121) + ln(108 / 105)) / 3, 5);
    expect(h1.median).toBeCloseTo(ln(108 / 105), 5);
    expect([h1.excluded_gap, h1.excluded_end]).toEqual([0, 0]);
    expect([h2.n, h2.excluded_gap, h2.excluded_end]).toEqual([1, 1, 1]);
    expect(h2.mean).toBeCloseTo(ln(99 / 100), 5);
    expect([h3.n, h3.excluded_gap, h3.excluded_end]).toEqual([1, 1, 1]);
    expect(h3.mean).toBeCloseTo(ln(121 / 100), 5);
    expect(card.alerts.unanchored).toBe(2);
    expect(card.overall.unanchored).toBe(2);
    expect(card.alert_outcomes!.map((o) => o.forward[1])).toEqual([expect.closeTo(ln(0.99), 5), null, null, null, null]);
  });

  it('reports the largest rise and fall from the entry close, and MFE/MAE only for a direction', () => {
    const row = card.breakdowns.event_type[0];
    expect(row.key).toBe('E');
    // the alert at hour 0 alone has a complete 3h window: closes 110, 99, 121 after 100
    expect(h3.mean_max_up).toBeCloseTo(ln(1.21), 5);
    expect(h3.mean_max_down).toBeCloseTo(ln(0.99), 5);
    // 1h: the entry itself bounds the fall at 0
    const up1 = [ln(1.1), 0, ln(108 / 105)];
    const down1 = [0, ln(100 / 121), 0];
    expect(h1.mean_max_up).toBeCloseTo(up1.reduce((a, b) => a + b) / 3, 5);
    expect(h1.mean_max_down).toBeCloseTo(down1.reduce((a, b) => a + b) / 3, 5);
    // direction -1 at hour 0: the rise to 110 is adverse, the dip to 99 favourable
    expect(h1.n_directional).toBe(1);
    expect(h1.hit_rate).toBe(0);
    expect(h1.mean_directional).toBeCloseTo(-ln(1.1), 5);
    expect(h1.mean_mfe).toBe(0);
    expect(h1.mean_mae).toBeCloseTo(ln(1.1), 5);
    expect(h2.hit_rate).toBe(1);
    expect(h2.mean_mfe).toBeCloseTo(-ln(0.99), 5);
    expect(h3.mean_mae).toBeCloseTo(ln(1.21), 5);
  });

  it('uses highs and lows for excursions when the prices carry them', () => {
    const withExtremes = {
      ...syntheticSeries('SYN', [100, 110, 99, 121]),
      high: Float64Array.from([101, 115, 100, 125]),
      low: Float64Array.from([99, 95, 90, 120]),
    };
    const c = scoreAlerts([withExtremes], [alert('a', 0, { direction: 1 })], options);
    const f = c.overall.forward[2];
    expect(f.mean).toBeCloseTo(ln(1.21), 5); // returns stay close to close
    expect(f.mean_max_up).toBeCloseTo(ln(1.25), 5);
    expect(f.mean_max_down).toBeCloseTo(ln(0.9), 5);
    expect(f.mean_mfe).toBeCloseTo(ln(1.25), 5);
    expect(f.mean_mae).toBeCloseTo(-ln(0.9), 5);
  });

  it('treats a gap before the end as a gap, not as the end', () => {
    const c = scoreAlerts([syntheticSeries('SYN', [100, 101, null, 103])], [alert('a', 1)], { horizons_hours: [5], permutations: 0 });
    expect([c.overall.forward[0].excluded_gap, c.overall.forward[0].excluded_end]).toEqual([1, 0]);
  });
});
