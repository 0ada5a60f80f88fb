// The terminal rendering of a scorecard built on SYNTHETIC data.
import { describe, expect, it } from 'vitest';
import { formatScorecard } from './format.ts';
import { scoreAlerts } from './score.ts';
import { syntheticRandomWalk } from './synthetic.ts';

describe('formatScorecard', () => {
  it('prints returns, event metrics with baselines and the event study as aligned tables', () => {
    const prices = [syntheticRandomWalk('SYN', 500, 0.01, 3)];
    const alerts = [50, 120, 300, 480].map((h, i) => ({
      id: `a${i}`, ts: prices[0].ts[h], symbol: 'SYN', event_type: 'E', severity: 'CRITICAL' as const, source: 'volatility',
      direction: 1 as const,
    }));
    const text = formatScorecard(scoreAlerts(prices, alerts, { permutations: 50 }));
    expect(text).toContain('Alerts: 4 (0 without a price hour)');
    expect(text).toMatch(/^source volatility\s+4\s/m);
    expect(text).toMatch(/^severity CRITICAL\s/m);
    expect(text).toContain('gap/end@72h');
    expect(text).toContain('NAB');
    expect(text).toContain('+72h');
    expect(text).not.toMatch(/NaN|undefined|null/);
    for (const block of text.split('\n\n').slice(1)) {
      const lines = block.split('\n').slice(1);
      expect(lines[1]).toMatch(/^-+( +-+)+$/);
    }
  });
});

describe('direction table', () => {
  it('shows hit rate and directional return with two-sided p per event type and type × severity', () => {
    const prices = [syntheticRandomWalk('SYN', 800, 0.01, 5)];
    const alerts = [40, 130, 260, 390, 520, 650].map((h, i) => ({
      id: `d${i}`, ts: prices[0].ts[h], symbol: 'SYN', event_type: i % 2 ? 'UP' : 'DOWN', severity: (i < 4 ? 'WARNING' : 'CRITICAL') as 'WARNING' | 'CRITICAL', source: 'x',
      direction: (i % 2 ? 1 : -1) as 1 | -1,
    }));
    const card = scoreAlerts(prices, alerts, { permutations: 30 });
    const text = formatScorecard(card);
    expect(text).toContain('1h hit% (p)');
    expect(text).toMatch(/^UP WARNING\s+2\s/m);
    expect(text).toMatch(/^DOWN CRITICAL\s+1\s/m);
    const b = card.breakdowns.event_type[0].baseline!.hit_rate_24h;
    // from the unrounded p-values: the card keeps 6 significant digits of each, so the last digit may differ
    expect(b.p_two_sided).toBeCloseTo(Math.min(1, 2 * Math.min(b.p_value!, b.p_lower!)), 5);
    expect(b.p_two_sided).toBeLessThan(1);
    expect(text).not.toMatch(/NaN|undefined|null/);
  });

  it('says so when no alert has a direction', () => {
    const prices = [syntheticRandomWalk('SYN', 200, 0.01, 5)];
    const text = formatScorecard(scoreAlerts(prices, [{ id: 'a', ts: prices[0].ts[50], symbol: 'SYN', event_type: 'E', severity: 'INFO', source: 'x' }], { permutations: 0 }));
    expect(text).toContain('Direction: no alert has a direction');
  });
});
