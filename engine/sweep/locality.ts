/**
 * The order in which a window of configurations is handed to the workers: each next one the nearest to the
 * last. The evaluator's caches are incremental (regime-hours.ts reclassifies only the bars between the old
 * and the new threshold), so neighbours in parameter space cost a fraction of random jumps. Results do not
 * depend on the order: every configuration is evaluated exactly, and the results are stored by config id.
 */
import type { Params } from './expand.ts';
import { keyKind } from './keys.ts';

/** configurations looked at together: enough for short hops, few enough to keep memory flat (a parsed config is a few KB) */
export const LOCALITY_WINDOW = 1024;

/**
 * the keys whose changes are cheap when small: the regime thresholds (regime-hours.ts reclassifies the band
 * between two values and derives the alerts of the hours that changed). Every other threshold's candidates are
 * derived afresh, near or far, so ordering by them would only lengthen the hops that matter.
 */
function incremental(key: string): boolean {
  return (key.startsWith('regime.') && keyKind(key) === 'threshold') || key === REDERIVE_ALL;
}

/** a change of this one derives every hour's regime alerts again: weighted so the path changes it rarely */
const REDERIVE_ALL = 'rules.regime_min_confidence';
const REDERIVE_WEIGHT = 20;

/**
 * per item, in one flat array each: the params' numbers scaled by the window's range of each key (`dims` a row), and
 * the other values as ids equal where their JSON is equal (`others` a row). Flat typed rows keep nearestPath's loop
 * on one kind of array: with an array of rows, whose kinds differed from one window to the next, V8 threw its
 * compiled code away and compiled it again in every sweep (--trace-deopt)
 */
function coordinates(items: readonly Params[]): { num: Float64Array; dims: number; other: Int32Array; others: number } {
  const all = [...new Set(items.flatMap((p) => Object.keys(p)))].sort();
  const keys = all.some(incremental) ? all.filter(incremental) : all;
  const numeric = keys.filter((k) => items.every((p) => typeof p[k] === 'number'));
  const others = keys.filter((k) => !numeric.includes(k));
  const range = numeric.map((k) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of items) {
      const v = p[k] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return (hi > lo ? hi - lo : 1) / (k === REDERIVE_ALL ? REDERIVE_WEIGHT : 1);
  });
  const dims = numeric.length;
  const num = new Float64Array(items.length * dims);
  const other = new Int32Array(items.length * others.length);
  const ids = others.map(() => new Map<string, number>());
  items.forEach((p, j) => {
    for (let i = 0; i < dims; i++) num[j * dims + i] = (p[numeric[i]] as number) / range[i];
    for (let i = 0; i < others.length; i++) {
      const text = JSON.stringify(p[others[i]]);
      let id = ids[i].get(text);
      if (id === undefined) ids[i].set(text, (id = ids[i].size));
      other[j * others.length + i] = id;
    }
  });
  return { num, dims, other, others: others.length };
}

/**
 * the items grouped by the values of their feature keys (keys.ts), groups in the order of their first item, each
 * group a greedy nearest-neighbour path: the configurations of one feature set go out together, so the sweep's
 * few kept feature sets and the workers' rule caches for them are not swapped at every hop. With `from` (the last
 * configuration handed out before these), a path starts at its item nearest to it rather than at its first item:
 * the worker that evaluated it then moves on by one hop, not by a jump across the whole range.
 */
export function localityOrder<T>(items: readonly T[], paramsOf: (item: T) => Params, from?: Params): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = featureValues(paramsOf(item));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(item);
  }
  const fromKey = from === undefined ? null : featureValues(from);
  return [...groups].flatMap(([key, g]) => nearestPath(g, paramsOf, key === fromKey ? from : undefined));
}

function featureValues(p: Params): string {
  return JSON.stringify(Object.keys(p).filter((k) => keyKind(k) === 'feature').sort().map((k) => [k, p[k]]));
}

/**
 * a greedy nearest-neighbour path through the items (L1 over the scaled numbers, 1 per differing other value),
 * starting at the first, or with `from` at the item nearest to it
 */
function nearestPath<T>(items: readonly T[], paramsOf: (item: T) => Params, from?: Params): T[] {
  const n = items.length;
  if (n <= 2 && from === undefined) return [...items];
  // the anchor, when there is one, is point 0 of the coordinates: the path leaves from it and it is not handed out
  const at = from === undefined ? 0 : 1;
  const { num, dims, other, others } = coordinates(from === undefined ? items.map(paramsOf) : [from, ...items.map(paramsOf)]);
  const order = greedyPath(num, dims, other, others, n + at, at === 0);
  return Array.from(order, (j) => items[j - at]);
}

/**
 * the points' indices along the greedy path from point 0 (itself included when `withStart`), each next the nearest
 * not yet taken, ties to the lower index. Typed arrays in, typed array out: this loop, which is the whole cost, sees
 * the same kinds of values in every sweep and keeps its compiled code
 */
function greedyPath(num: Float64Array, dims: number, other: Int32Array, others: number, points: number, withStart: boolean): Int32Array {
  const done = new Uint8Array(points);
  const order = new Int32Array(withStart ? points : points - 1);
  let taken = 0;
  let last = 0;
  done[0] = 1;
  if (withStart) order[taken++] = 0;
  while (taken < order.length) {
    let best = -1;
    let bestD = Infinity;
    const a = last * dims;
    const ao = last * others;
    for (let j = 0; j < points; j++) {
      if (done[j]) continue;
      const b = j * dims;
      let d = 0;
      for (let i = 0; i < dims; i++) d += Math.abs(num[a + i] - num[b + i]);
      const bo = j * others;
      for (let i = 0; i < others; i++) if (other[ao + i] !== other[bo + i]) d += 1;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    done[best] = 1;
    order[taken++] = best;
    last = best;
  }
  return order;
}
