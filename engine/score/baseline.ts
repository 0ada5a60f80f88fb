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
import { drawTables, REACH_SATURATED } from './draw-table.ts';
import { nabScore, type AlertSetEvaluator, type MetricSpec, type Universe } from './evaluator.ts';
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
 *
 * The same values, bit for bit, as drawing each permutation's hours and calling evaluator.evaluate (the tests
 * compare the two): every float sum adds the same terms in the same (alert) order. How it gets there is shaped by
 * the baseline being bound by cache misses: a first pass draws the hours and copies what they need into small
 * scratch arrays with no branch on the loaded data, so many misses are in flight at once (a mispredicted branch
 * on a value still in flight stalls until it arrives); the counting passes then run over the scratch with
 * branch-free arithmetic for the coin-flip conditions (hit or not, episode seen or not). The draw is
 * Mulberry32.below written out, so the generator's state stays in a register.
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
  const values = new Float64Array((to - from) * m);
  const tables = drawTables(evaluator.market);
  const { epStart, lead } = tables;
  const episodes = epStart.length;
  const H = tables.horizons;
  const blocks = placement.blocks.map(({ range, count }) => ({ draws: tables.bySymbol.get(range.symbol)!, count }));
  const dir = placement.dir;
  // one slot past the episodes: the first episode of a draw that reaches none may be `episodes`
  const stamp = new Int32Array(episodes + 1);
  const info = new Int32Array(n);
  const drawn = new Int32Array(n);
  const block = new Int32Array(n);
  const ret = new Float64Array(n * H);
  const E = universe.episodes;
  const weeks = universe.weeks;
  let state = new Mulberry32(seed).skip(from * n).current | 0;
  for (let p = from; p < to; p++) {
    let i = 0;
    for (let b = 0; b < blocks.length; b++) {
      const { draws, count } = blocks[b];
      const { len, ret: table, meta } = draws;
      for (let c = 0; c < count; c++, i++) {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        const j = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * len) | 0;
        drawn[i] = j;
        block[i] = b;
        info[i] = meta[j];
        const at = j * H;
        for (let k = 0; k < H; k++) ret[k * n + i] = table[at + k];
      }
    }

    const round = p - from + 1;
    let ta = 0;
    let fa = 0;
    let det = 0;
    for (let i = 0; i < n; i++) {
      const x = info[i];
      ta += (x >> 1) & 1;
      fa += x & 1;
      const reach = (x >> 2) & REACH_SATURATED;
      const first = x >>> 8;
      // the first episode in reach, without a branch: seen[first] becomes round when reach > 0
      const some = (reach | -reach) >>> 31;
      const seen = stamp[first];
      const fresh = seen ^ round;
      det += some & ((fresh | -fresh) >>> 31);
      stamp[first] = seen ^ (fresh & -some);
      if (reach > 1) {
        const end = reach === REACH_SATURATED ? episodes : first + reach;
        const limit = blocks[block[i]].draws.hours[drawn[i]] + lead;
        for (let e = first + 1; e < end && epStart[e] <= limit; e++) {
          if (stamp[e] !== round) {
            stamp[e] = round;
            det++;
          }
        }
      }
    }
    const out = (p - from) * m;
    values[out] = ta + fa > 0 ? ta / (ta + fa) : NaN;
    values[out + 1] = E > 0 ? det / E : NaN;
    values[out + 2] = E > 0 ? nabScore(det, fa, E) : NaN;
    values[out + 3] = weeks > 0 ? fa / weeks : NaN;

    const tails = out + 4 + H * 3;
    for (let k = 0; k < H; k++) {
      let defined = 0;
      let directional = 0;
      let hits = 0;
      let sumAbs = 0;
      let sumDirectional = 0;
      const base = k * n;
      for (let i = 0; i < n; i++) {
        const r = ret[base + i];
        if (r !== r) continue;
        const d = dir[i];
        const dr = d * r;
        defined++;
        sumAbs += Math.abs(r);
        directional += d * d;
        sumDirectional += dr;
        hits += Number(dr > 0);
      }
      const at = out + 4 + k * 3;
      values[at] = defined > 0 ? sumAbs / defined : NaN;
      values[at + 1] = directional > 0 ? sumDirectional / directional : NaN;
      values[at + 2] = directional > 0 ? hits / directional : NaN;
      values[tails + 2 * k] = values[at + 1];
      values[tails + 2 * k + 1] = values[at + 2];
    }
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
