// The shared-placement baseline's statistics on SYNTHETIC random walks: under the null (alerts at random hours)
// its p-values are uniform, its means agree with an exact expectation and with the previous scheme (one
// Mulberry32 stream per row) within Monte Carlo error, and a scorecard does not depend on the input order.
// Every seed is fixed, so each bound is checked on the same numbers every run.
import { describe, expect, it } from 'vitest';
import { permutationValues, summariseBaseline, type BaselineSpec } from './baseline.ts';
import { AlertSetEvaluator, type Universe } from './evaluator.ts';
import { FALSE_ALARM, prepareMarket } from './market.ts';
import { Mulberry32, textKey } from './prng.ts';
import { baselineSpecsOf, scoreAlerts } from './score.ts';
import { syntheticRandomWalk } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

const prices = ['AAA', 'BBB', 'CCC'].map((s, i) => syntheticRandomWalk(s, 6000, 0.01 * (i + 1), 500 + i));
const market = prepareMarket(prices, { permutations: 400, seed: 3 });
const evaluator = new AlertSetEvaluator(market);
const m = evaluator.specs.length;
const universe: Universe = { episodes: market.labels.epStart.length, weeks: 6000 / 168 };

/** SYNTHETIC alerts at uniformly random present hours: counts per symbol, directions ±1 */
function randomAlerts(counts: number[], seed: number): ScorableAlert[] {
  const random = new Mulberry32(seed);
  return market.grid.symbols.flatMap((r, b) =>
    Array.from({ length: counts[b] }, (_, i) => {
      const g = r.present[random.below(r.present.length)];
      const type = ['E1', 'E2', 'E3'][i % 3];
      return { id: `syn-${seed}-${b}-${i}`, ts: r.firstTs + (g - r.offset) * 3_600_000, symbol: r.symbol, event_type: type, severity: 'WARNING', source: `S${i % 2}`, direction: i % 4 === 0 ? 1 : -1 } as const;
    }),
  );
}

/** mean and variance of metric j of row 0 over the permutations where it is defined */
function moments(values: Float64Array, j: number, permutations: number): { mean: number; variance: number; n: number } {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let p = 0; p < permutations; p++) {
    const v = values[p * m + j];
    if (v !== v) continue;
    s += v;
    s2 += v * v;
    n++;
  }
  const mean = s / n;
  return { mean, variance: n > 1 ? (s2 - n * mean * mean) / (n - 1) : 0, n };
}

/** the previous scheme: one Mulberry32 stream for the row, each permutation drawing its alerts' hours in turn */
function streamPerRowValues(spec: BaselineSpec, seed: number, permutations: number): Float64Array {
  const random = new Mulberry32(seed);
  const n = spec.keys.length;
  const pos = new Int32Array(n);
  const out = new Float64Array(m);
  const values = new Float64Array(permutations * m);
  for (let p = 0; p < permutations; p++) {
    let a = 0;
    spec.symbols.forEach((s, b) => {
      const present = market.grid.bySymbol.get(s)!.present;
      for (let c = 0; c < spec.counts[b]; c++) pos[a++] = present[random.below(present.length)];
    });
    evaluator.evaluate(pos, spec.dir, n, universe, out);
    values.set(out, p * m);
  }
  return values;
}

const overallOnly = prepareMarket(prices, { permutations: 1, baseline_rows: 'overall' });

/** a one-row spec of these alerts */
function overallSpec(alerts: ScorableAlert[], seed: number, permutations: number): BaselineSpec {
  const [spec] = baselineSpecsOf(overallOnly, alerts);
  return { ...spec, seed, permutations, rows: [{ members: spec.rows[0].members, universe }] };
}

describe('shared-placement baseline under the null (SYNTHETIC)', () => {
  it('p-values of alert sets placed at random are uniform', () => {
    const sets = 200;
    const permutations = 99;
    const j = evaluator.specs.findIndex((s) => s.name === 'mean_abs_return_24h');
    const ps: number[] = [];
    for (let k = 0; k < sets; k++) {
      const alerts = randomAlerts([20, 15, 10], 1000 + k);
      const spec = overallSpec(alerts, k, permutations);
      const actual = new Float64Array(m);
      const pos = Int32Array.from(spec.rows[0].members, () => 0);
      // the alerts' own hours, in the spec's order (grouped by symbol, by key text): read back from the key order
      const byKey = new Map(alerts.map((a) => [textKey(`${a.id}@${a.symbol}@${a.ts}@${a.direction}`), a]));
      spec.keys.forEach((key, a) => {
        const alert = byKey.get(key)!;
        const r = market.grid.bySymbol.get(alert.symbol)!;
        pos[a] = r.offset + (alert.ts - r.firstTs) / 3_600_000;
      });
      evaluator.evaluate(pos, spec.dir, pos.length, universe, actual);
      const stats = summariseBaseline(evaluator.specs, actual, permutationValues(market, spec, 0, permutations));
      ps.push(stats.mean_abs_return_24h.p_value!);
    }
    expect(j).toBeGreaterThan(0);
    // p = k / 100, k uniform on 1..100 under the null: each decile holds 20 of the 200 sets on average (sd ≈ 4.2)
    const deciles = Array.from({ length: 10 }, (_, d) => ps.filter((p) => p > d / 10 && p <= (d + 1) / 10).length);
    for (const count of deciles) {
      expect(count).toBeGreaterThanOrEqual(6);
      expect(count).toBeLessThanOrEqual(36);
    }
    const mean = ps.reduce((s, p) => s + p, 0) / sets;
    // E[p] = 0.505, sd of the mean ≈ 0.29 / √200 ≈ 0.02
    expect(Math.abs(mean - 0.505)).toBeLessThan(0.08);
  });

  it('false alarms per week average their exact expectation', () => {
    const alerts = randomAlerts([60, 40, 30], 7);
    const permutations = 2000;
    const spec = overallSpec(alerts, 11, permutations);
    const { mean, variance } = moments(permutationValues(market, spec, 0, permutations), 3, permutations);
    // each alert is a false alarm with its symbol's share of FALSE_ALARM hours among its present hours
    let expected = 0;
    spec.symbols.forEach((s, b) => {
      const present = market.grid.bySymbol.get(s)!.present;
      let falseHours = 0;
      for (const g of present) if (market.hourly[g * market.stride] === FALSE_ALARM) falseHours++;
      expected += (spec.counts[b] * falseHours) / present.length;
    });
    expected /= universe.weeks;
    expect(Math.abs(mean - expected)).toBeLessThan(4 * Math.sqrt(variance / permutations));
    expect(variance).toBeGreaterThan(0);
  });

  it('every metric averages what the stream-per-row scheme gave, within Monte Carlo error', () => {
    const alerts = randomAlerts([50, 30, 20], 8);
    const permutations = 1500;
    const spec = overallSpec(alerts, 12, permutations);
    const shared = permutationValues(market, spec, 0, permutations);
    const stream = streamPerRowValues(spec, 12, permutations);
    let compared = 0;
    evaluator.specs.forEach((metric, j) => {
      const a = moments(shared, j, permutations);
      const b = moments(stream, j, permutations);
      if (a.n < 100 || b.n < 100) return;
      const se = Math.sqrt(a.variance / a.n + b.variance / b.n);
      expect(Math.abs(a.mean - b.mean), metric.name).toBeLessThanOrEqual(4 * se + 1e-12);
      compared++;
    });
    expect(compared).toBeGreaterThan(20);
  });
});

describe('scorecard and alert order', () => {
  it('is the same for the alerts in any input order, and apart copies of one alert are placed apart', () => {
    const alerts = randomAlerts([40, 30, 20], 21);
    const options = { permutations: 150, seed: 4 };
    const card = scoreAlerts(prices, alerts, options);
    const shuffled = [...alerts];
    const random = new Mulberry32(99);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const k = random.below(i + 1);
      [shuffled[i], shuffled[k]] = [shuffled[k], shuffled[i]];
    }
    expect(JSON.stringify(scoreAlerts(prices, shuffled, options))).toBe(JSON.stringify(card));
    expect(scoreAlerts(prices, [...alerts].reverse(), options)).toEqual(card);
    // the same alert twice: two keys, so two independent placements
    const twice = [alerts[0], alerts[0], alerts[1]];
    const [spec] = baselineSpecsOf(market, twice);
    expect(new Set(spec.keys).size).toBe(3);
  });
});
