// The event-study curve on a tiny SYNTHETIC series: per-offset gap handling, counts and per-group curves.
import { describe, expect, it } from 'vitest';
import { scoreAlerts } from './score.ts';
import { syntheticRandomWalk, syntheticSeries, syntheticTs } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

const ln = Math.log;
// hour:                      0    1    2    3    4   5    6     7    8
const prices = [syntheticSeries('SYN', [100, 102, 104, 100, 98, 99, null, 101, 103])];
const alert = (id: string, hour: number, severity: ScorableAlert['severity']): ScorableAlert => ({
  id, ts: syntheticTs(hour), symbol: 'SYN', event_type: 'E', severity, source: 'test',
});

describe('event study', () => {
  const card = scoreAlerts(prices, [alert('a', 2, 'INFO'), alert('b', 4, 'CRITICAL'), alert('c', 7, 'CRITICAL')], {
    permutations: 0,
    event_window: { before_hours: 2, after_hours: 2 },
  });
  const { offsets, overall } = card.event_study;

  it('averages cumulative log returns against the alert-hour close, dropping an alert beyond a gap per offset', () => {
    expect(offsets).toEqual([-2, -1, 0, 1, 2]);
    // c (hour 7) sees the missing hour 6 one step back, so it leaves both negative offsets although hour 5 exists;
    // at +2 b meets the gap and c the end of data
    expect(overall.n).toEqual([2, 2, 3, 3, 1]);
    const expected = [
      (ln(100 / 104) + ln(104 / 98)) / 2,
      (ln(102 / 104) + ln(100 / 98)) / 2,
      0,
      (ln(100 / 104) + ln(99 / 98) + ln(103 / 101)) / 3,
      ln(98 / 104),
    ];
    overall.mean.forEach((m, i) => expect(m).toBeCloseTo(expected[i], 5));
  });

  it('draws one curve per severity, in severity order', () => {
    expect(card.event_study.severity.map((c) => [c.key, c.n_alerts])).toEqual([['INFO', 1], ['CRITICAL', 2]]);
    const critical = card.event_study.severity[1];
    expect(critical.n).toEqual([1, 1, 2, 2, 0]);
    expect(critical.mean[4]).toBeNull();
    expect(critical.mean[3]).toBeCloseTo((ln(99 / 98) + ln(103 / 101)) / 2, 5);
  });
});

describe('event study over many alerts', () => {
  // a SYNTHETIC walk with a gap: hundreds of alert hours, many of them in several severity curves' windows, some
  // hours alerted twice; every curve checked against a direct sum over its own alerts
  const walk = syntheticRandomWalk('SYN', 3000, 0.01, 7);
  const keep = Array.from(walk.ts, (_, i) => i < 1500 || i > 1510);
  const series = { symbol: 'SYN', ts: walk.ts.filter((_, i) => keep[i]), close: walk.close.filter((_, i) => keep[i]) };
  const closeAt = new Map(Array.from(series.ts, (t, i) => [t, series.close[i]]));
  const severities: ScorableAlert['severity'][] = ['INFO', 'WARNING', 'CRITICAL'];
  const alerts = Array.from({ length: 700 }, (_, k) => alert(`x${k}`, 30 + ((k * 37) % 2900), severities[k % 3])).filter((a) => closeAt.has(a.ts));
  const before = 12;
  const after = 30;
  const card = scoreAlerts([series], alerts, { permutations: 0, event_window: { before_hours: before, after_hours: after } });

  function direct(of: readonly ScorableAlert[]): { mean: (number | null)[]; n: number[] } {
    const sum = new Array<number>(before + after + 1).fill(0);
    const n = new Array<number>(before + after + 1).fill(0);
    for (const a of of) {
      const base = closeAt.get(a.ts)!;
      n[before]++;
      for (const side of [1, -1]) {
        for (let o = 1; o <= (side > 0 ? after : before); o++) {
          const c = closeAt.get(a.ts + side * o * 3_600_000);
          if (c === undefined) break;
          sum[before + side * o] += ln(c / base);
          n[before + side * o]++;
        }
      }
    }
    return { mean: sum.map((x, i) => (n[i] > 0 ? x / n[i] : null)), n };
  }

  function expectCurve(curve: { mean: (number | null)[]; n: number[] }, of: readonly ScorableAlert[]): void {
    const want = direct(of);
    expect(curve.n).toEqual(want.n);
    // the card keeps 6 significant digits (toPlain)
    curve.mean.forEach((m, i) => (want.mean[i] === null ? expect(m).toBeNull() : expect(m).toBe(Number(want.mean[i]!.toPrecision(6)))));
  }

  it('gives every curve the sums of its own alerts, windows cut at the gap', () => {
    expect(alerts.length).toBeGreaterThan(600);
    expect(alerts.some((a) => a.ts > syntheticTs(1490) && a.ts < syntheticTs(1520))).toBe(true);
    expectCurve(card.event_study.overall, alerts);
    for (const curve of card.event_study.severity) expectCurve(curve, alerts.filter((a) => a.severity === curve.key));
  });
});
