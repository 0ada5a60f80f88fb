// The random baseline on SYNTHETIC random walks: a perfect detector beats it, a random one does not, runs
// repeat exactly for a seed, and the baseline is fast enough for threshold sweeps.
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../pipeline/input.ts';
import { prepareMarket } from './market.ts';
import { hashSeed, Mulberry32 } from './prng.ts';
import { scoreAlerts, scoreOnMarket } from './score.ts';
import { syntheticRandomWalk, syntheticTs } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

const prices = ['AAA', 'BBB', 'CCC'].map((s, i) => syntheticRandomWalk(s, 4000, 0.01, 100 + i));

function alertAt(symbol: string, ts: number, i: number, source = 'test'): ScorableAlert {
  return { id: `${source}${i}`, ts, symbol, event_type: 'E', severity: 'WARNING', source, direction: i % 2 ? 1 : -1 };
}

/** one alert at the first hour of every large-move episode */
function perfectAlerts(): ScorableAlert[] {
  const m = prepareMarket(prices, {});
  const out: ScorableAlert[] = [];
  for (const r of m.grid.symbols) {
    for (const g of m.labels.epStart) {
      if (g >= r.offset && g < r.offset + r.length) out.push(alertAt(r.symbol, r.firstTs + (g - r.offset) * HOUR_MS, out.length, 'perfect'));
    }
  }
  return out;
}

function randomAlerts(n: number, seed: number): ScorableAlert[] {
  const random = new Mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const s = prices[(random.next() * prices.length) | 0];
    return alertAt(s.symbol, s.ts[(random.next() * s.ts.length) | 0], i, 'random');
  });
}

describe('random baseline', () => {
  it('draws repeatable uniform numbers', () => {
    const a = new Mulberry32(7);
    const b = new Mulberry32(7);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    expect(hashSeed(1, 'source=a')).not.toBe(hashSeed(1, 'source=b'));
  });

  it('finds a perfect detector far better than chance (p < 0.01)', () => {
    const alerts = perfectAlerts();
    expect(alerts.length).toBeGreaterThan(30);
    const card = scoreAlerts(prices, alerts, { permutations: 1000 });
    const e = card.overall.events;
    expect([e.precision, e.recall]).toEqual([1, 1]);
    // episodes of a random walk cluster: an alert at one start often also lies in the next one's lead window
    expect(e.median_lead_hours).toBeGreaterThanOrEqual(0);
    const b = card.overall.baseline!;
    for (const metric of ['precision', 'recall', 'nab', 'false_alarms_per_week']) {
      expect(b[metric].p_value, metric).toBeLessThan(0.01);
    }
    expect(b.precision.lift!).toBeGreaterThan(1.5);
    expect(b.recall.lift!).toBeGreaterThan(1.5);
    expect(b.precision.n_perm).toBe(1000);
  });

  it('finds a random detector indistinguishable from chance (lift ≈ 1, p not small)', () => {
    const card = scoreAlerts(prices, randomAlerts(300, 4242), { permutations: 1000 });
    const b = card.overall.baseline!;
    for (const metric of ['precision', 'recall', 'nab', 'mean_abs_return_24h', 'hit_rate_24h']) {
      expect(b[metric].p_value!, metric).toBeGreaterThan(0.05);
      expect(b[metric].p_value!, metric).toBeLessThan(0.95);
    }
    for (const metric of ['precision', 'recall', 'mean_abs_return_24h', 'hit_rate_24h']) {
      expect(Math.abs(b[metric].lift! - 1), metric).toBeLessThan(0.2);
    }
    // false alarms per week: lower is better, so its p-value counts permutations at or below the actual
    expect(b.false_alarms_per_week.better).toBe('lower');
    // one source, one event type, one severity: the same alert set, so the same baseline
    expect(card.breakdowns.source[0].baseline).toEqual(b);
    expect(card.breakdowns.event_type[0].baseline).toEqual(b);
  });

  it('gives identical JSON for the same seed and a different baseline for another', () => {
    const alerts = randomAlerts(100, 1);
    const a = JSON.stringify(scoreAlerts(prices, alerts, { permutations: 200, seed: 5 }));
    const b = JSON.stringify(scoreAlerts(prices, alerts, { permutations: 200, seed: 5 }));
    const c = JSON.stringify(scoreAlerts(prices, alerts, { permutations: 200, seed: 6 }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).not.toMatch(/NaN|Infinity/);
  });

  it("keeps a row's baseline when other rows appear", () => {
    const alerts = randomAlerts(100, 2);
    const alone = scoreAlerts(prices, alerts, { permutations: 200 });
    const more = scoreAlerts(prices, [...alerts, ...randomAlerts(50, 3).map((a) => ({ ...a, source: 'other' }))], { permutations: 200 });
    const row = (c: typeof alone) => c.breakdowns.source.find((r) => r.key === 'random')!;
    expect(row(more)).toEqual(row(alone));
  });

  it('runs 1,000 permutations for the overall row only when baseline_rows is overall (speed is measured in npm run bench)', () => {
    const big = ['A', 'B', 'C', 'D'].map((s, i) => syntheticRandomWalk(s, 50_000, 0.01, i + 1));
    const random = new Mulberry32(9);
    const alerts = Array.from({ length: 2000 }, (_, i) => ({
      ...alertAt(['A', 'B', 'C', 'D'][i % 4], syntheticTs((random.next() * 50_000) | 0), i),
      source: `S${i % 5}`,
      event_type: `E${i % 6}`,
    }));
    const market = prepareMarket(big, { permutations: 1000, baseline_rows: 'overall' });
    const card = scoreOnMarket(market, alerts);
    expect(card.overall.baseline!.precision.n_perm).toBe(1000);
    expect(card.breakdowns.source[0].baseline).toBeNull();
  });
});
