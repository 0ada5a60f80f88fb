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
