/**
 * Numbers read straight from the bytes of a CSV field, for the import's hot loop: no string per field (and
 * splitFields finds a line's fields the same way). Only the plain forms are handled here (`-?digits[.digits]`, at
 * most 15 significant digits); anything else returns NaN and the caller re-reads the line the slow, string-based
 * way, which also produces the precise error. Within the handled forms the result equals Number(text) exactly: the
 * digits form an integer m < 2^53 and 10^k (k ≤ 22) is exact, so m / 10^k is one correctly rounded division
 * (Clinger's fast path).
 */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** `-?\d+(\.\d*)?` with ≤ 15 significant digits, else NaN */
export function decimalAt(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let neg = false;
  if (i < end && buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  const first = i;
  for (; i < end; i++) {
    const c = buf[i];
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      if (m !== 0) digits++;
      if (frac >= 0) frac++;
    } else if (c === 0x2e && frac < 0 && i > first) {
      frac = 0;
    } else {
      return NaN;
    }
  }
  if (i === first || digits > 15 || frac > 22) return NaN;
  const v = frac > 0 ? m / POW10[frac] : m;
  return neg ? -v : v;
}

/** `-?\d+` within the safe-integer range, else NaN */
export function integerAt(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let neg = false;
  if (i < end && buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  if (i === end || end - i > 16) return NaN;
  let m = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 0x30 || c > 0x39) return NaN;
    m = m * 10 + (c - 0x30);
  }
  // below 2^53 every partial sum was exact; at or above it the value may have rounded, so it is refused
  if (m > Number.MAX_SAFE_INTEGER) return NaN;
  return neg ? -m : m;
}

/** The line's fields as [start, end) byte offsets; false unless it has exactly `count` fields. */
export function splitFields(buf: Uint8Array, start: number, end: number, count: number, starts: Int32Array, ends: Int32Array): boolean {
  let k = 0;
  starts[0] = start;
  for (let i = start; i < end; i++) {
    if (buf[i] !== 0x2c) continue;
    if (k === count - 1) return false;
    ends[k++] = i;
    starts[k] = i + 1;
  }
  if (k !== count - 1) return false;
  ends[k] = end;
  return true;
}
