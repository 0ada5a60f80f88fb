// The event-study curve on a tiny SYNTHETIC series: per-offset gap handling, counts and per-group curves.
import { describe, expect, it } from 'vitest';
import { scoreAlerts } from './score.ts';
import { syntheticSeries, syntheticTs } from './synthetic.ts';
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
