export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function median(xs: ArrayLike<number>): number | null {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs);
  const m = s.length >> 1;
  // the middle entries by selection, not a whole sort (a scorecard takes a median per breakdown row and horizon);
  // a zero in the middle (−0 and +0 are tied for it, where the sort puts −0 first) or a NaN anywhere: the sort
  if (hasNaN(s)) return sortedMedian(s);
  selectRank(s, m);
  const hi = s[m];
  const lo = s.length % 2 ? hi : maxOf(s, m);
  return hi === 0 || lo === 0 ? sortedMedian(s) : s.length % 2 ? hi : (lo + hi) / 2;
}

/**
 * the median of a sorted typed copy: the numeric order of Float64Array's sort, −0 before +0 where a comparator kept
 * input order (the reference median() agrees with)
 */
function sortedMedian(values: Float64Array): number {
  const s = values.sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function hasNaN(s: Float64Array): boolean {
  for (let i = 0; i < s.length; i++) if (s[i] !== s[i]) return true;
  return false;
}

/** the largest of s[0 .. end) */
function maxOf(s: Float64Array, end: number): number {
  let x = s[0];
  for (let i = 1; i < end; i++) if (s[i] > x) x = s[i];
  return x;
}

/**
 * Reorders s (no NaN) so that s[k] holds the value of rank k, everything before it is <= it and everything after it
 * >= it (Hoare's selection, the pivot a median of three): linear time on average
 */
function selectRank(s: Float64Array, k: number): void {
  let lo = 0;
  let hi = s.length - 1;
  while (lo < hi) {
    const a = s[lo];
    const b = s[(lo + hi) >>> 1];
    const c = s[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (s[i] < pivot) i++;
      while (s[j] > pivot) j--;
      if (i <= j) {
        const t = s[i];
        s[i++] = s[j];
        s[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

export function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

/**
 * JSON-ready copy: NaN and ±Infinity become null (JSON has neither), and fractional numbers keep 6 significant
 * digits — log returns of 1e-4 keep their precision, while last-bit noise does not make equal runs look different.
 */
export function toPlain<T>(value: T): T {
  return plain(value) as T;
}

function plain(v: unknown): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    return Number.isInteger(v) ? v : Number(v.toPrecision(6));
  }
  if (Array.isArray(v)) return v.map(plain);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, plain);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = plain(x);
    return o;
  }
  return v;
}
