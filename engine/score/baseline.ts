/**
 * Random baseline: the same number of alerts per symbol (and the same directions) at uniformly random hours
 * that have a candle, drawn with replacement, N times. For a metric where higher is better
 *   p = (1 + #{perm ≥ actual}) / (1 + N)          (≤ for lower-is-better metrics)
 * over the permutations where the metric is defined; lift = actual / baseline mean, only when the mean is > 0.
 *
 * Shared placements. In permutation p every anchored alert of the scorecard is placed once, at a random present
 * hour of its symbol chosen by a hash of (seed, the alert's key, p) (engine/score/prng.ts), and every breakdown
 * row is evaluated from those same placements. A row's null distribution is what it was with a stream per row
 * (each of its alerts uniform on its symbol's hours, with replacement, directions kept); rows are now correlated
 * with each other, which per-row p-values do not mind. Because the draws are a pure function of (seed, key, p),
 * a row's baseline depends on its own alerts only, not on the input order or the other rows, and any split of
 * the permutations over threads gives the same bits.
 *
 * Order. The spec lists the alerts grouped by symbol (symbols sorted), by key text within a symbol; a row's
 * members are ascending indices into that list, and every float sum runs over a row's members in that order —
 * here, in the reference (baseline-reference.ts) and in the scorecard's actual values.
 */
import { drawTables, REACH_SATURATED } from './draw-table.ts';
import { metricSpecs, nabScore, type MetricSpec, type Universe } from './evaluator.ts';
import type { Market } from './market.ts';
import { alertStream, permutationSalt, placementBits } from './prng.ts';
import type { BaselineStat } from './types.ts';

/** one breakdown row of a baseline: its alerts (ascending indices into the spec's alerts) and its denominators */
export interface BaselineRowSpec {
  members: Int32Array;
  universe: Universe;
}

/** A scorecard's random baselines, plain data (it is posted to workers as it is). */
export interface BaselineSpec {
  /** the symbols the alerts lie on, sorted; the alerts come grouped in this order, counts[i] on symbols[i] */
  symbols: string[];
  counts: number[];
  /** per alert: its key (textKey of its identity) and its direction */
  keys: Uint32Array;
  dir: Int8Array;
  rows: BaselineRowSpec[];
  seed: number;
  permutations: number;
}

/** metric values per permutation and row */
export function metricCount(market: Market): number {
  return metricSpecs(market.options.horizons_hours).length;
}

/** where value j of row r, permutation p lies in values of permutations [from, to): ((r · (to − from)) + p − from) · m + j */
export function valueOffset(r: number, p: number, from: number, to: number, m: number): number {
  return (r * (to - from) + p - from) * m;
}

/** copies the values of permutations [from, to) into the values of all `permutations` (the same layout) */
export function placeSlice(all: Float64Array, slice: Float64Array, rows: number, permutations: number, from: number, to: number, m: number): void {
  const width = (to - from) * m;
  for (let r = 0; r < rows; r++) all.set(slice.subarray(r * width, (r + 1) * width), valueOffset(r, from, 0, permutations, m));
}

/** floating-point sums of the same hours in another order must still count as ties */
function tolerance(x: number): number {
  return 1e-12 * Math.max(1, Math.abs(x));
}

/**
 * The metric values of permutations [from, to) of every row of `spec`, laid out as valueOffset says, NaN where
 * a metric is undefined.
 *
 * The same values, bit for bit, as placing each permutation's alerts and calling AlertSetEvaluator.evaluate per
 * row (baseline-reference.ts; the tests compare the two). The placements are bound by cache misses on the
 * per-symbol draw tables (draw-table.ts), so each alert is drawn and gathered once per permutation, with no
 * branch on the loaded data so many misses are in flight at once, into small scratch arrays; the rows are then
 * counted over that in-cache scratch with branch-free arithmetic for the coin-flip conditions (hit or not,
 * episode seen or not), a fresh seen-stamp per row and permutation.
 */
export function permutationValues(market: Market, spec: BaselineSpec, from: number, to: number): Float64Array {
  const n = spec.keys.length;
  const m = metricCount(market);
  const rows = spec.rows;
  const values = new Float64Array(rows.length * (to - from) * m);
  const tables = drawTables(market);
  const { epStart, lead } = tables;
  const episodes = epStart.length;
  const H = tables.horizons;
  const blocks = spec.symbols.map((symbol, b) => {
    const draws = tables.bySymbol.get(symbol);
    if (!draws) throw new Error(`random baseline: symbol ${symbol} is not in the market`);
    return { draws, count: spec.counts[b] };
  });
  const dir = spec.dir;
  const stream = new Uint32Array(n);
  for (let a = 0; a < n; a++) stream[a] = alertStream(spec.seed, spec.keys[a]);
  const blockOf = new Int32Array(n);
  for (let b = 0, a = 0; b < blocks.length; b++) for (let c = 0; c < blocks[b].count; c++) blockOf[a++] = b;
  // one slot past the episodes: the first episode of a draw that reaches none may be `episodes`
  const stamp = new Int32Array(episodes + 1);
  let round = 0;
  const info = new Int32Array(n);
  const drawn = new Int32Array(n);
  const ret = new Float64Array(n * H);
  for (let p = from; p < to; p++) {
    const salt = permutationSalt(p);
    let a = 0;
    for (let b = 0; b < blocks.length; b++) {
      const { draws, count } = blocks[b];
      const { len, ret: table, meta } = draws;
      for (let c = 0; c < count; c++, a++) {
        // drawIndex written out: the call made this kernel 10–30 % slower (a synthetic 6,000-alert spec, one thread)
        const j = ((placementBits(stream[a], salt) / 4294967296) * len) | 0;
        drawn[a] = j;
        info[a] = meta[j];
        const at = j * H;
        for (let k = 0; k < H; k++) ret[k * n + a] = table[at + k];
      }
    }

    for (let r = 0; r < rows.length; r++) {
      const { members, universe } = rows[r];
      const size = members.length;
      round++;
      let ta = 0;
      let fa = 0;
      let det = 0;
      for (let i = 0; i < size; i++) {
        const a = members[i];
        const x = info[a];
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
          const limit = blocks[blockOf[a]].draws.hours[drawn[a]] + lead;
          for (let e = first + 1; e < end && epStart[e] <= limit; e++) {
            if (stamp[e] !== round) {
              stamp[e] = round;
              det++;
            }
          }
        }
      }
      const E = universe.episodes;
      const weeks = universe.weeks;
      const out = valueOffset(r, p, from, to, m);
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
        for (let i = 0; i < size; i++) {
          const a = members[i];
          const v = ret[base + a];
          if (v !== v) continue;
          const d = dir[a];
          const dv = d * v;
          defined++;
          sumAbs += Math.abs(v);
          directional += d * d;
          sumDirectional += dv;
          hits += Number(dv > 0);
        }
        const at = out + 4 + k * 3;
        values[at] = defined > 0 ? sumAbs / defined : NaN;
        values[at + 1] = directional > 0 ? sumDirectional / directional : NaN;
        values[at + 2] = directional > 0 ? hits / directional : NaN;
        values[tails + 2 * k] = values[at + 1];
        values[tails + 2 * k + 1] = values[at + 2];
      }
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
