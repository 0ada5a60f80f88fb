/**
 * Random baseline: the same number of alerts per symbol (and the same directions) at uniformly random hours
 * that have a candle, drawn with replacement, N times. For a metric where higher is better
 *   p = (1 + #{perm ≥ actual}) / (1 + N)          (≤ for lower-is-better metrics)
 * over the permutations where the metric is defined; lift = actual / baseline mean, only when the mean is > 0.
 * The caller seeds each run from the option seed and the alert set itself, so a row's baseline depends on its
 * alerts alone, and rows with the same alerts share one.
 *
 * Permutation k draws its hours from draw k · n of the row's stream (n = alerts placed), so any range of
 * permutations can be computed on its own (a worker pool, engine/score/baseline-pool.ts) and the values,
 * folded in permutation order, give bit-identical statistics to one thread doing them all.
 */
import type { SymbolRange } from './grid.ts';
import type { AlertSetEvaluator, MetricSpec, Universe } from './evaluator.ts';
import { Mulberry32 } from './prng.ts';
import type { BaselineStat } from './types.ts';

/** the alert set to imitate: its anchored alerts grouped by symbol, directions in the same order */
export interface Placement {
  blocks: { range: SymbolRange; count: number }[];
  dir: Int8Array;
}

/** floating-point sums of the same hours in another order must still count as ties */
function tolerance(x: number): number {
  return 1e-12 * Math.max(1, Math.abs(x));
}

/**
 * The metric values of permutations [from, to) of a row seeded with `seed`: value j of permutation k at
 * (k - from) · specs + j, NaN where the metric is undefined.
 */
export function permutationValues(
  evaluator: AlertSetEvaluator,
  placement: Placement,
  universe: Universe,
  seed: number,
  from: number,
  to: number,
): Float64Array {
  const n = placement.dir.length;
  const m = evaluator.specs.length;
  const pos = new Int32Array(n);
  const out = new Float64Array(m);
  const values = new Float64Array((to - from) * m);
  const random = new Mulberry32(seed).skip(from * n);
  for (let p = from; p < to; p++) {
    let k = 0;
    for (const { range, count } of placement.blocks) {
      const hours = range.present;
      const len = hours.length;
      for (let i = 0; i < count; i++) pos[k++] = hours[random.below(len)];
    }
    evaluator.evaluate(pos, placement.dir, n, universe, out);
    values.set(out, (p - from) * m);
  }
  return values;
}

/** p-values, means and lifts from the values of permutations 0..N-1 in order (the order fixes the float sums) */
export function summariseBaseline(specs: readonly MetricSpec[], actual: Float64Array, values: Float64Array): Record<string, BaselineStat> {
  const m = specs.length;
  const permutations = m === 0 ? 0 : values.length / m;
  const sum = new Float64Array(m);
  const defined = new Int32Array(m);
  const asGood = new Int32Array(m);
  const lower = specs.map((s) => s.better === 'lower');
  for (let p = 0; p < permutations; p++) {
    for (let j = 0; j < m; j++) {
      const v = values[p * m + j];
      if (v !== v) continue;
      sum[j] += v;
      defined[j]++;
      const a = actual[j];
      if (lower[j] ? v <= a + tolerance(a) : v >= a - tolerance(a)) asGood[j]++;
    }
  }
  const stats: Record<string, BaselineStat> = {};
  specs.forEach((spec, j) => {
    const a = actual[j];
    const mean = defined[j] > 0 ? sum[j] / defined[j] : NaN;
    stats[spec.name] = {
      actual: Number.isFinite(a) ? a : null,
      mean: Number.isFinite(mean) ? mean : null,
      lift: Number.isFinite(a) && mean > 0 ? a / mean : null,
      p_value: Number.isFinite(a) && defined[j] > 0 ? (1 + asGood[j]) / (1 + defined[j]) : null,
      better: spec.better,
      n_perm: defined[j],
    };
  });
  return stats;
}

/** the whole baseline on this thread; `seed` is the row's stream (or a generator positioned at its start) */
export function randomBaseline(
  evaluator: AlertSetEvaluator,
  placement: Placement,
  actual: Float64Array,
  universe: Universe,
  permutations: number,
  seed: number | Mulberry32,
): Record<string, BaselineStat> {
  const start = typeof seed === 'number' ? seed : seed.current;
  const values = permutationValues(evaluator, placement, universe, start, 0, permutations);
  if (typeof seed !== 'number') seed.skip(permutations * placement.dir.length);
  return summariseBaseline(evaluator.specs, actual, values);
}
