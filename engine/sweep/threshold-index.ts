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
  // each loop in a function with nothing after it: a loop compiled on stack in the first call failed at the code
  // after it, never run when it was compiled, on every later call (≈ 30 times in a cold sweep, --trace-deopt)
  let keys = radixKeys(countNumbers(values));
  const bits = new Float64Array(keys.at.length);
  numbersOf(values, bits, keys.at);
  wordKeys(new Uint32Array(bits.buffer), keys);
  let spare = radixKeys(keys.at.length);
  const start = new Int32Array(DIGITS);
  // the least significant digit first: three of the low word, three of the high
  for (let pass = 0; pass < 6; pass++) {
    const digits = pass < 3 ? keys.lo : keys.hi;
    const shift = (pass % 3) * DIGIT_BITS;
    if (!digitStarts(digits, shift, start)) continue;
    scatter(keys, spare, digits, shift, start);
    [keys, spare] = [spare, keys];
  }
  return keys.at;
}

function countNumbers(values: Float64Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += +(values[i] === values[i]);
  return n;
}

/** the non-NaN values into bits and their positions into at */
function numbersOf(values: Float64Array, bits: Float64Array, at: Int32Array): void {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    // + 0 turns −0 into +0: the two are equal, and their bits must be too
    bits[n] = v + 0;
    at[n++] = i;
  }
}

/** the values' bits as keys that order as unsigned integers (hi, then lo) */
function wordKeys(words: Uint32Array, keys: RadixKeys): void {
  for (let i = 0; i < keys.at.length; i++) {
    const h = words[2 * i + HIGH_WORD];
    const l = words[2 * i + 1 - HIGH_WORD];
    // negatives: every bit flipped (a larger magnitude is smaller); the rest: above every negative
    const negative = h >>> 31 === 1;
    keys.hi[i] = negative ? ~h : h | 0x80000000;
    keys.lo[i] = negative ? ~l : l;
  }
}

/** the sort keys (high and low 32 bits) and each one's position */
interface RadixKeys {
  hi: Uint32Array;
  lo: Uint32Array;
  at: Int32Array;
}

function radixKeys(n: number): RadixKeys {
  return { hi: new Uint32Array(n), lo: new Uint32Array(n), at: new Int32Array(n) };
}

const digitOf = (word: number, shift: number) => (word >>> shift) & (DIGITS - 1);

/**
 * where each digit's keys start in a stable counting sort by the digit at `shift`; false when every key has the
 * same digit (nothing would move), as the high digits of a column of similar values often do
 */
function digitStarts(digits: Uint32Array, shift: number, start: Int32Array): boolean {
  const n = digits.length;
  countDigits(digits, shift, start);
  if (n === 0 || start[digitOf(digits[0], shift)] === n) return false;
  let sum = 0;
  for (let d = 0; d < DIGITS; d++) {
    const c = start[d];
    start[d] = sum;
    sum += c;
  }
  return true;
}

/**
 * each digit's count into start. Its own function with nothing after the loop: in digitStarts, the loop's code
 * compiled on stack failed at the comparison after it (never run when it was compiled) on every later call
 */
function countDigits(digits: Uint32Array, shift: number, start: Int32Array): void {
  start.fill(0);
  for (let i = 0; i < digits.length; i++) start[digitOf(digits[i], shift)]++;
}

/** every key from `from` to its place in `to` by its digit (`digits` is one of from's words) */
function scatter(from: RadixKeys, to: RadixKeys, digits: Uint32Array, shift: number, start: Int32Array): void {
  const { hi, lo, at } = from;
  const { hi: hiTo, lo: loTo, at: atTo } = to;
  for (let i = 0; i < digits.length; i++) {
    const j = start[digitOf(digits[i], shift)]++;
    hiTo[j] = hi[i];
    loTo[j] = lo[i];
    atTo[j] = at[i];
  }
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

/**
 * Ascending positions of a union of bands (each a run of an order: the positions of values in a range), without a
 * sort: each band's positions are marked in a bitmap, whose set bits come out in position order. `mark` each band,
 * then `drain` once; the bitmap is clear again after.
 */
export class BandPositions {
  private bits = new Int32Array(0);
  private out = new Int32Array(0);
  private words = 0;

  /** starts a union over positions 0 … size − 1 */
  reset(size: number): void {
    this.words = (size >> 5) + 1;
    if (this.bits.length < this.words) this.bits = new Int32Array(this.words);
    if (this.out.length < size) this.out = new Int32Array(size);
  }

  mark(order: Int32Array, from: number, to: number): void {
    const bits = this.bits;
    for (let i = from; i < to; i++) bits[order[i] >> 5] |= 1 << (order[i] & 31);
  }

  /** the marked positions, ascending, in a view valid until the next reset: clears the marks */
  drain(): Int32Array {
    const { bits, out, words } = this;
    let n = 0;
    for (let w = 0; w < words; w++) {
      let b = bits[w];
      if (b === 0) continue;
      bits[w] = 0;
      while (b !== 0) {
        const lowest = b & -b;
        b ^= lowest;
        out[n++] = 32 * w + 31 - Math.clz32(lowest);
      }
    }
    return out.subarray(0, n);
  }
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
