/**
 * Values sorted once so that "which entries pass a threshold" costs the size of the answer, not of the
 * column: the rules then confirm each entry with the detector's own predicate, so a band only has to be a
 * superset of the entries whose verdict can differ.
 */

/** which 32-bit half of a Float64Array entry holds the sign and exponent (1 on little-endian machines) */
const HIGH_WORD = new Uint32Array(new Float64Array([-0]).buffer)[1] === 0x80000000 ? 1 : 0;

/** a radix sort's digits: 64 bits in six passes of at most 11 */
const DIGIT_BITS = 11;
const DIGITS = 1 << DIGIT_BITS;

/**
 * the positions of a column's non-NaN values in ascending order of value, equal values (−0 and +0 among them) in
 * position order; a NaN compares false with any threshold, so it is in no band. An LSD radix sort of the values'
 * bits made to order as unsigned integers: several times cheaper than the engine's sort of the values followed by a
 * binary search per position, and a comparator sort of the positions costs ten times as much again
 */
export function sortedOrder(values: Float64Array): Int32Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  const bits = new Float64Array(n);
  let at = new Int32Array(n);
  n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    // + 0 turns −0 into +0: the two are equal, and their bits must be too
    bits[n] = v + 0;
    at[n++] = i;
  }
  const words = new Uint32Array(bits.buffer);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + HIGH_WORD];
    const l = words[2 * i + 1 - HIGH_WORD];
    // negatives: every bit flipped (a larger magnitude is smaller); the rest: above every negative
    const negative = h >>> 31 === 1;
    hi[i] = negative ? ~h : h | 0x80000000;
    lo[i] = negative ? ~l : l;
  }
  let hi2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  let at2 = new Int32Array(n);
  const count = new Int32Array(DIGITS);
  for (const [word, shift] of RADIX_PASSES) {
    const keys = word === 0 ? lo : hi;
    if (!scatterByDigit(keys, shift, count, [hi, lo, at], [hi2, lo2, at2])) continue;
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
    [at, at2] = [at2, at];
  }
  return at;
}

/** (0: low word, 1: high word; the digit's shift) from the least significant digit up */
const RADIX_PASSES: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, DIGIT_BITS],
  [0, 2 * DIGIT_BITS],
  [1, 0],
  [1, DIGIT_BITS],
  [1, 2 * DIGIT_BITS],
];

/**
 * one stable counting-sort pass by the digit of `keys` at `shift`, moving every column of `from` into `to`; false
 * (nothing moved) when every key has the same digit, as the high digits of a column of similar values often do
 */
function scatterByDigit(keys: Uint32Array, shift: number, count: Int32Array, from: readonly [Uint32Array, Uint32Array, Int32Array], to: readonly [Uint32Array, Uint32Array, Int32Array]): boolean {
  const n = keys.length;
  count.fill(0);
  for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & (DIGITS - 1)]++;
  if (n === 0 || count[(keys[0] >>> shift) & (DIGITS - 1)] === n) return false;
  let sum = 0;
  for (let d = 0; d < DIGITS; d++) {
    const c = count[d];
    count[d] = sum;
    sum += c;
  }
  const [hi, lo, at] = from;
  const [hiTo, loTo, atTo] = to;
  for (let i = 0; i < n; i++) {
    const j = count[(keys[i] >>> shift) & (DIGITS - 1)]++;
    hiTo[j] = hi[i];
    loTo[j] = lo[i];
    atTo[j] = at[i];
  }
  return true;
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
