import { describe, expect, it } from 'vitest';
import type { PairCorrelation } from '../detectors/correlation.ts';
import { CandidateBuffer, alertId, cooldownKey, type Alert, type EventType } from './alerts.ts';
import { CooldownConfig, CooldownFilter, NO_SUPPRESSIONS } from './cooldown.ts';
import { HOUR_MS } from './input.ts';
import type { FeaturePackage } from './feature-package.ts';

const T0 = Date.UTC(2024, 0, 1);
const pair: PairCorrelation = {
  a: 'BTCUSDT',
  b: 'ETHUSDT',
  key: 'btcusdt_ethusdt',
  status: 'ok',
  corr: 0.2,
  normal: 0.8,
  normal_coverage: 1,
  delta: -0.6,
  broken: true,
  leader: null,
  lag_hours: null,
  lead_strength: null,
};
const funding = { funding: { z: 2.4, rate_8h: 0.0005, mean_8h: 0.0001, percentile: 1, settled_at: T0 } } as unknown as FeaturePackage;

function filter(rule: object, type: EventType = 'CORRELATION_BREAK') {
  return new CooldownFilter(CooldownConfig.parse({ [type]: rule }));
}

/** offers one candidate per listed hour; returns the hours that emitted and the filter */
function drive(f: CooldownFilter, hours: number[], type: EventType = 'CORRELATION_BREAK', slot = 0) {
  const emitted: number[] = [];
  const buf = new CandidateBuffer();
  for (const h of hours) {
    if (type === 'CORRELATION_BREAK') buf.add(type, 'BTCUSDT/ETHUSDT', cooldownKey(type, slot), 1, 0, null, pair, null);
    else buf.add(type, 'BTCUSDT', cooldownKey(type, slot), 1, 0, funding, null, null);
    const out: Alert[] = [];
    f.apply(T0 + h * HOUR_MS, buf, out);
    buf.clear();
    if (out.length > 0) emitted.push(h);
  }
  return emitted;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('CooldownFilter', () => {
  it('emits on transition only: a condition that stays true fires once', () => {
    const f = filter({ transition_only: true, cooldown_hours: 0, max_per_day: 100 });
    expect(drive(f, [0, 1, 2, 3, 5, 6])).toEqual([0, 5]);
    expect(f.suppressedTotals().transition.CORRELATION_BREAK).toBe(4);
    expect(f.suppressedTotals().cooldown.CORRELATION_BREAK).toBe(0);
  });

  it('enforces the cooldown between emitted alerts', () => {
    const f = filter({ transition_only: false, cooldown_hours: 3, max_per_day: 100 });
    expect(drive(f, range(0, 7))).toEqual([0, 3, 6]);
    expect(f.suppressedTotals().cooldown.CORRELATION_BREAK).toBe(5);
  });

  it('a condition suppressed by the cooldown does not fire later just for staying true', () => {
    const f = filter({ transition_only: true, cooldown_hours: 5, max_per_day: 100 });
    // true at 0 (emit), false at 1, true again from 2 (cooldown), still true at 6: transition, not a new alert
    expect(drive(f, [0, 2, 3, 4, 5, 6, 7])).toEqual([0]);
    expect(f.suppressedTotals().cooldown.CORRELATION_BREAK).toBe(1);
    expect(f.suppressedTotals().transition.CORRELATION_BREAK).toBe(5);
  });

  it('caps alerts per UTC day', () => {
    const f = filter({ transition_only: false, cooldown_hours: 0, max_per_day: 2 });
    expect(drive(f, range(0, 30))).toEqual([0, 1, 24, 25]);
    expect(f.suppressedTotals().daily_cap.CORRELATION_BREAK).toBe(31 - 4);
  });

  it('keeps state per event type and symbol, and counts per step', () => {
    const f = new CooldownFilter(CooldownConfig.parse({}));
    const buf = new CandidateBuffer();
    buf.add('FUNDING_ANOMALY', 'BTCUSDT', cooldownKey('FUNDING_ANOMALY', 0), 1, 0, funding, null, null);
    buf.add('FUNDING_ANOMALY', 'ETHUSDT', cooldownKey('FUNDING_ANOMALY', 1), 1, 0, funding, null, null);
    const out: Alert[] = [];
    expect(f.apply(T0, buf, out)).toBe(NO_SUPPRESSIONS);
    expect(out.map((a) => a.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(out[0].id).toBe(alertId('FUNDING_ANOMALY', 'BTCUSDT', T0));
    expect(out[0].source).toBe('funding');
    const next: Alert[] = [];
    const counts = f.apply(T0 + HOUR_MS, buf, next);
    expect(next).toHaveLength(0);
    expect(counts.transition.FUNDING_ANOMALY).toBe(2);
    expect(counts.cooldown.FUNDING_ANOMALY).toBe(0);
    expect(counts.transition.LIQUIDATION_CASCADE).toBe(0);
  });
});
