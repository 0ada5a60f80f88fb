// Directional scoring on SYNTHETIC prices: the random baseline keeps the alerts' directions, and an alert type
// whose moves reliably reverse gets a hit rate under 50 % with a small lower-tail and two-sided p.
import { describe, expect, it } from 'vitest';
import { scoreAlerts } from './score.ts';
import { syntheticRandomWalk, syntheticSeries } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

function alertsAt(hours: number[], ts: Float64Array, direction: 1 | -1, type = 'E'): ScorableAlert[] {
  return hours.map((h, i) => ({ id: `${type}${i}`, ts: ts[h], symbol: 'SYN', event_type: type, severity: 'WARNING', source: 'x', direction }));
}

describe('directional scorecard', () => {
  it('places random alerts with the same directions (an up-trend makes short alerts wrong at random hours too)', () => {
    // +0.5 % every hour, with a SYNTHETIC dip every 10th hour so that returns are not all equal
    const closes = [100];
    for (let i = 1; i < 600; i++) closes.push(closes[i - 1] * (i % 10 === 0 ? 0.997 : 1.005));
    const prices = [syntheticSeries('SYN', closes)];
    const hours = Array.from({ length: 20 }, (_, i) => 25 + i * 25);
    const short = scoreAlerts(prices, alertsAt(hours, prices[0].ts, -1), { permutations: 200, horizons_hours: [24] });
    const b = short.overall.baseline!.hit_rate_24h;
    expect(short.overall.forward[0].hit_rate).toBe(0);
    // had the baseline dropped the directions (0) or drawn them at random, its hit rate would not be 0
    expect(b.mean).toBe(0);
    expect(short.overall.baseline!.mean_directional_return_24h.mean).toBeLessThan(-0.05);
  });

  it('shows a reliably reversing type as a significant hit rate below 50 %', () => {
    const walk = syntheticRandomWalk('SYN', 4000, 0.01, 21);
    const close = Float64Array.from(walk.close);
    // a SYNTHETIC 3 % drop in the hour after each "up" alert
    const hours = Array.from({ length: 40 }, (_, i) => 50 + i * 97);
    for (const h of hours) for (let j = h + 1; j < close.length; j++) close[j] *= 0.97;
    const prices = [{ ...walk, close }];
    const alerts = [...alertsAt(hours, walk.ts, 1, 'REVERSES'), ...alertsAt(hours.map((h) => h + 40), walk.ts, 1, 'NOISE')];
    const card = scoreAlerts(prices, alerts, { permutations: 300, horizons_hours: [1, 4] });
    const rev = card.breakdowns.event_type.find((r) => r.key === 'REVERSES')!;
    expect(rev.forward[0].hit_rate).toBe(0);
    const hit = rev.baseline!.hit_rate_1h;
    expect(hit.p_value).toBeGreaterThan(0.99);
    expect(hit.p_lower).toBeLessThan(0.01);
    expect(hit.p_two_sided).toBeLessThan(0.01);
    expect(rev.baseline!.mean_directional_return_1h.p_two_sided).toBeLessThan(0.01);
    const noise = card.breakdowns.event_type.find((r) => r.key === 'NOISE')!;
    expect(noise.baseline!.hit_rate_1h.p_two_sided).toBeGreaterThan(0.05);
    // the helper metrics of the other tail do not leak into the scorecard
    expect(Object.keys(rev.baseline!).some((k) => k.includes('lower'))).toBe(false);
    // crossed breakdown: one row per event type and severity
    expect(card.breakdowns.event_severity.map((r) => r.key)).toEqual(['NOISE WARNING', 'REVERSES WARNING']);
  });
});
