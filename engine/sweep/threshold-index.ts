/**
 * Values sorted once so that "which entries pass a threshold" costs the size of the answer, not of the
 * column: the rules then confirm each entry with the detector's own predicate, so a band only has to be a
 * superset of the entries whose verdict can differ.
 */

import { lowerBound } from '../sorted-search.ts';

/** a column's non-NaN values ascending, with their positions (a NaN compares false with any threshold) */
export interface SortedColumn {
  value: Float64Array;
  at: Int32Array;
}

export function sortColumn(values: Float64Array): SortedColumn {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  const value = new Float64Array(n);
  n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) value[n++] = values[i];
  // the engine's numeric sort of the values, then each position finds its place by binary search (equal
  // values in position order): a comparator sort of the positions costs ten times as much
  value.sort();
  const at = new Int32Array(n);
  const taken = new Int32Array(n);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    const r = lowerBound(value, v);
    at[r + taken[r]++] = i;
  }
  return { value, at };
}

/**
 * the positions of a column's non-NaN values in ascending order of value, equal values in position order
 * (sortColumn's `at`): kept instead of the sorted values where the values are at hand anyway, a third of the memory
 */
export function sortedOrder(values: Float64Array): Int32Array {
  return sortColumn(values).at;
}

/** how many of the ordered positions have a value <= x (upperBound over values[order[i]]) */
export function countAtMost(values: Float64Array, order: Int32Array, x: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[order[mid]] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** how many of the ordered positions have a value < x (lowerBound over values[order[i]]) */
export function countBelow(values: Float64Array, order: Int32Array, x: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[order[mid]] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** a small most-recently-used map: a sweep revisits a few threshold values, never grows without bound */
export class RecentMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly size: number) {}
  get(key: K, make: () => V): V {
    let v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
      return v;
    }
    v = make();
    this.map.set(key, v);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
    return v;
  }
}
