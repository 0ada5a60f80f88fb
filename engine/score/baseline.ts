/**
 * Random baseline: the same number of alerts per symbol (and the same directions) at uniformly random hours
 * that have a candle, drawn with replacement, N times. For a metric where higher is better
 *   p = (1 + #{perm ≥ actual}) / (1 + N)          (≤ for lower-is-better metrics)
 * over the permutations where the metric is defined; lift = actual / baseline mean, only when the mean is > 0.
 * The caller seeds each run from the option seed and the alert set itself, so a row's baseline depends on its
 * alerts alone, and rows with the same alerts share one.
 */
import type { SymbolRange } from './grid.ts';
import type { AlertSetEvaluator, Universe } from './evaluator.ts';
import type { Mulberry32 } from './prng.ts';
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

export function randomBaseline(
  evaluator: AlertSetEvaluator,
  placement: Placement,
  actual: Float64Array,
  universe: Universe,
  permutations: number,
  random: Mulberry32,
): Record<string, BaselineStat> {
  const n = placement.dir.length;
  const m = evaluator.specs.length;
  const pos = new Int32Array(n);
  const out = new Float64Array(m);
  const sum = new Float64Array(m);
  const defined = new Int32Array(m);
  const asGood = new Int32Array(m);
  const lower = evaluator.specs.map((s) => s.better === 'lower');
  for (let p = 0; p < permutations; p++) {
    let k = 0;
    for (const { range, count } of placement.blocks) {
      const hours = range.present;
      const len = hours.length;
      for (let i = 0; i < count; i++) pos[k++] = hours[random.below(len)];
    }
    evaluator.evaluate(pos, placement.dir, n, universe, out);
    for (let j = 0; j < m; j++) {
      const v = out[j];
      if (v !== v) continue;
      sum[j] += v;
      defined[j]++;
      const a = actual[j];
      if (lower[j] ? v <= a + tolerance(a) : v >= a - tolerance(a)) asGood[j]++;
    }
  }
  const stats: Record<string, BaselineStat> = {};
  evaluator.specs.forEach((spec, j) => {
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
