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

/** per item: the params' numbers scaled by the window's range of each key; other values compared for equality */
function coordinates(items: readonly Params[]): { num: Float64Array[]; other: unknown[][] } {
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
  return {
    num: items.map((p) => Float64Array.from(numeric, (k, i) => (p[k] as number) / range[i])),
    other: items.map((p) => others.map((k) => JSON.stringify(p[k]))),
  };
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
  const { num, other } = coordinates(from === undefined ? items.map(paramsOf) : [from, ...items.map(paramsOf)]);
  const done = new Uint8Array(n + at);
  const out: T[] = [];
  let last = 0;
  done[0] = 1;
  if (at === 0) out.push(items[0]);
  for (let step = out.length; step < n; step++) {
    let best = -1;
    let bestD = Infinity;
    const a = num[last];
    const ao = other[last];
    for (let j = 0; j < n + at; j++) {
      if (done[j]) continue;
      const b = num[j];
      let d = 0;
      for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
      const bo = other[j];
      for (let i = 0; i < ao.length; i++) if (ao[i] !== bo[i]) d += 1;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    done[best] = 1;
    out.push(items[best - at]);
    last = best;
  }
  return out;
}
