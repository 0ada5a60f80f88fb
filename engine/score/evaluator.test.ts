// Precision, recall, lead time, rates and the NAB-style score on a hand-built SYNTHETIC case.
import { describe, expect, it } from 'vitest';
import { AlertSetEvaluator, nabScore } from './evaluator.ts';
import { prepareMarket } from './market.ts';
import { Mulberry32 } from './prng.ts';
import { scoreAlerts } from './score.ts';
import { syntheticRandomWalk, syntheticSeries, syntheticTs } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

/** 60 hours of ±0.1 % noise with a 10 % fall after each hour in `drops` */
function synthetic(symbol: string, drops: number[]) {
  const closes: number[] = [100];
  for (let t = 0; t < 59; t++) closes.push(closes[t] * (drops.includes(t) ? 0.9 : t % 2 ? 1.001 : 1 / 1.001));
  return syntheticSeries(symbol, closes);
}

// Only the drawdown rule can fire (k is huge), so the large-move hours are exactly the drop hours:
// episodes [10, 11], [30], [50] on SYN and [5] on SYN2. Labels exist for hours 2..58 (the 2h volatility
// window needs hours t-2..t; hour 59 has no next hour).
const options = {
  k: 1000,
  vol_window_hours: 2,
  label_horizon_hours: 1,
  drawdown_pct: 5,
  lead_window_hours: 3,
  horizons_hours: [1],
  permutations: 0,
  include_alerts: true,
};
const prices = [synthetic('SYN', [10, 11, 30, 50]), synthetic('SYN2', [5])];
const hours = [8, 10, 11, 20, 29, 57, 0];
const alerts: ScorableAlert[] = hours.map((h) => ({
  id: `at${h}`, ts: syntheticTs(h), symbol: 'SYN', event_type: 'E', severity: 'WARNING', source: 'test',
}));

describe('large-move event metrics', () => {
  const card = scoreAlerts(prices, alerts, options);

  it('labels the drops as episodes, one per run of consecutive large-move hours', () => {
    expect(card.data.symbols.map((s) => [s.symbol, s.large_move_hours, s.episodes, s.labelled_hours])).toEqual([
      ['SYN', 4, 3, 56], // at hour 12 the window holds two equal -10 % returns: σ = 0, no volatility rule
      ['SYN2', 1, 1, 57],
    ]);
  });

  it('classifies each alert by its window [t, t + lead]', () => {
    // 8, 10: before or at the first episode; 11: inside it; 29: before the second; 20: nothing within 3h;
    // 57 and 0: no large move, and the window reaches unlabelled hours
    expect(card.alert_outcomes!.map((o) => [o.id, o.true_alert])).toEqual([
      ['at8', true], ['at10', true], ['at11', true], ['at20', false], ['at29', true], ['at57', null], ['at0', null],
    ]);
    const e = card.breakdowns.symbol[0].events;
    expect([e.true_alerts, e.false_alarms, e.precision_unevaluable]).toEqual([4, 1, 2]);
    expect(e.precision).toBe(0.8);
  });

  it('counts an episode detected by an alert in [start - lead, start], with the lead from the earliest one', () => {
    // the alert at 11 is inside episode [10, 11] but after its start: it does not detect it
    const sym = card.breakdowns.symbol[0].events;
    expect([sym.episodes, sym.detected]).toEqual([3, 2]);
    expect(sym.recall).toBeCloseTo(2 / 3, 5);
    expect(sym.median_lead_hours).toBe(1.5); // 10 - 8 and 30 - 29
    // NAB: raw = 2 - 0.11·1 - 1·1 = 0.89, null = -3, perfect = 3
    expect(sym.nab).toBeCloseTo((100 * (0.89 + 3)) / 6, 3);
    // 60 hours = 2.5 days
    expect(sym.alerts_per_day).toBeCloseTo(7 / 2.5, 5);
    expect(sym.false_alarms_per_week).toBeCloseTo(1 / (2.5 / 7), 5);
  });

  it('measures recall of rows other than symbol against the episodes of every symbol', () => {
    const all = card.overall.events;
    expect([all.episodes, all.detected]).toEqual([4, 2]);
    expect(all.recall).toBe(0.5);
    expect(all.nab).toBeCloseTo((100 * (2 - 0.11 - 2 + 4)) / 8, 3);
    expect(card.breakdowns.severity[0].events.recall).toBe(0.5);
  });

  it('normalises NAB so that never alerting scores 0 and catching everything without false alarms 100', () => {
    expect(nabScore(0, 0, 5)).toBe(0);
    expect(nabScore(5, 0, 5)).toBe(100);
    expect(nabScore(5, 10, 5)).toBeCloseTo(100 - (100 * 1.1) / 10, 10);
    const silent = scoreAlerts(prices, [], options);
    expect(silent.overall.events.nab).toBe(0);
    expect(silent.overall.events.precision).toBeNull();
  });
});

describe('AlertSetEvaluator.evaluateAbsReturns', () => {
  // SYNTHETIC random walks with a gap, so some forward returns are undefined; odd and even horizon counts
  for (const horizons of [[1], [1, 4], [1, 4, 24], [1, 4, 24, 72], [2, 3, 5, 7, 11]]) {
    it(`gives evaluate()'s counts and mean |return| bit for bit (${horizons.length} horizon${horizons.length > 1 ? 's' : ''})`, () => {
      const walk = syntheticRandomWalk('SYN', 600, 0.01, 7);
      const closes: (number | null)[] = Array.from(walk.close, (c, i) => (i >= 300 && i < 310 ? null : c));
      const market = prepareMarket([syntheticSeries('SYN', closes)], { horizons_hours: horizons, permutations: 0 });
      const hours = market.hourly.length / market.stride;
      const random = new Mulberry32(11);
      // one evaluator for all rounds: a sorted round reuses the last round's rows where positions repeat
      const light = new AlertSetEvaluator(market);
      for (let round = 0; round < 20; round++) {
        const n = random.below(400);
        const pos = Int32Array.from({ length: n }, () => random.below(hours));
        if (round % 2 === 1) pos.sort();
        const dir = Int8Array.from({ length: n }, () => random.below(3) - 1);
        const full = new AlertSetEvaluator(market);
        const all = new Float64Array(full.specs.length);
        full.evaluate(pos, dir, n, { episodes: market.labels.epStart.length, weeks: 1 }, all);
        const abs = new Float64Array(horizons.length);
        light.evaluateAbsReturns(pos, n, Int32Array.of(n), 1, abs);
        expect([light.trueAlerts, light.falseAlarms, light.unevaluable, light.detected]).toEqual([full.trueAlerts, full.falseAlarms, full.unevaluable, full.detected]);
        horizons.forEach((_, k) => expect(Object.is(abs[k], all[4 + 3 * k])).toBe(true));
        expect(abs.some((x) => x > 0)).toBe(n > 0);
      }
    });
  }
});
