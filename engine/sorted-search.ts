/** Binary searches over ascending typed arrays (time columns, sorted threshold bands, alert hours). */

/** first index whose value is >= x among entries [from, n) (n if none) */
export function lowerBound(sorted: Float64Array | Int32Array, x: number, n = sorted.length, from = 0): number {
  let lo = from;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** first index whose value is > x */
export function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
