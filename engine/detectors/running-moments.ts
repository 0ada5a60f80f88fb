/**
 * Running count, mean and variance of a sliding multiset of numbers (values enter and leave), as accurate as
 * a two-pass computation over the current values.
 *
 * Sums are kept relative to a shift c (the mean at the last exact rebuild), so x − c is exact for values near
 * c and the variance does not cancel on large-valued series. Every add/remove also grows a rounding-error
 * bound of the sums (first-order, with the unit roundoff counted twice). When a statistic is read and the
 * bound exceeds ACCURACY of the quantity — typically because the variance collapsed (a spike left the window,
 * or the window became constant) or the mean drifted far from c — the sums are rebuilt exactly from the
 * values in O(n). So results are within ACCURACY (relative) of a two-pass computation at amortised O(1) cost:
 * a rebuild is needed only after the data changed scale, not after a fixed number of pushes.
 *
 * A window is FLAT when its sample std is at most FLAT_RELATIVE_STD × |mean| (a constant window, std 0,
 * included): variance() is then exactly 0, so no consumer divides by rounding residue. 1e-10 is about a
 * million ulps of the values (doubles carry 1.1e-16 relative), far above representation noise and far
 * below any real variation of prices, volumes, returns or funding rates (funding is quoted to 1e-8 on rates
 * of ~1e-4, i.e. 1e-4 relative).
 */

export const FLAT_RELATIVE_STD = 1e-10;
/** relative error budget of the running sums before an exact rebuild (10× inside the promised 1e-9) */
export const ACCURACY = 1e-10;
/** twice the unit roundoff: a conservative bound on one rounding, relative to the result */
const EPS = 2 ** -52;

export class RunningMoments {
  private n = 0;
  private c = 0;
  private s = 0;
  private ss = 0;
  private errS = 0;
  private errSS = 0;
  /** sums changed since the accuracy was last checked */
  private dirty = false;
  /** exact rebuilds so far (for tests and the bench) */
  rebuilds = 0;

  constructor(
    /** rebuild source: calls visit(x) for every value currently held (NaN is skipped) */
    private readonly forEachValue: (visit: (x: number) => void) => void,
  ) {}

  get count(): number {
    return this.n;
  }

  add(x: number): void {
    if (this.n === 0) this.reset(x);
    const d = x - this.c;
    this.s += d;
    this.ss += d * d;
    this.n++;
    this.errS += EPS * (Math.abs(this.s) + Math.abs(d));
    this.errSS += EPS * (Math.abs(this.ss) + 2 * d * d);
    this.dirty = true;
  }

  /** x must be a value previously added and still held */
  remove(x: number): void {
    if (--this.n === 0) {
      this.reset(0);
      return;
    }
    // d is bit-identical to the d added for x (same c), so only the subtraction itself rounds
    const d = x - this.c;
    this.s -= d;
    this.ss -= d * d;
    this.errS += EPS * Math.abs(this.s);
    this.errSS += EPS * Math.abs(this.ss);
    this.dirty = true;
  }

  clear(): void {
    this.n = 0;
    this.reset(0);
  }

  mean(): number {
    if (this.n === 0) return NaN;
    this.ensureAccurate();
    return this.c + this.s / this.n;
  }

  sum(): number {
    if (this.n === 0) return 0;
    this.ensureAccurate();
    return this.n * this.c + this.s;
  }

  /** sample variance (n − 1); exactly 0 for a flat window; NaN below two values */
  variance(): number {
    const n = this.n;
    if (n < 2) return NaN;
    this.ensureAccurate();
    const m2 = this.ss - (this.s * this.s) / n;
    const m = this.c + this.s / n;
    return m2 <= flatM2(m, n) ? 0 : m2 / (n - 1);
  }

  /** at least two values and a sample std of at most FLAT_RELATIVE_STD × |mean| */
  get flat(): boolean {
    return this.n >= 2 && this.variance() === 0;
  }

  private reset(c: number): void {
    this.c = c;
    this.s = this.ss = this.errS = this.errSS = 0;
    this.dirty = false;
  }

  private ensureAccurate(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const n = this.n;
    const s = this.s;
    const ss = Math.abs(this.ss);
    const m2 = this.ss - (s * s) / n;
    const m = this.c + s / n;
    const errM2 = this.errSS + (2 * Math.abs(s) * this.errS + this.errS * this.errS) / n + 2 * EPS * (ss + (s * s) / n);
    const errMean = this.errS / n + (EPS * Math.abs(s)) / n;
    const floor = flatM2(m, n);
    // a window that is flat even with the whole error added needs no accuracy beyond "flat"
    const surelyFlat = m2 + errM2 <= 0.25 * floor;
    const m2Ok = surelyFlat || errM2 <= ACCURACY * m2;
    const std = n > 1 && m2 > 0 ? Math.sqrt(m2 / (n - 1)) : 0;
    const meanOk = errMean <= ACCURACY * Math.max(std, FLAT_RELATIVE_STD * Math.abs(m));
    if (!(m2Ok && meanOk)) this.rebuild();
  }

  /** two-pass over the held values: a first value as provisional shift, then the mean as the shift */
  private rebuild(): void {
    this.rebuilds++;
    let first = NaN;
    let n = 0;
    let t = 0;
    this.forEachValue((x) => {
      if (x !== x) return;
      if (n === 0) first = x;
      t += x - first;
      n++;
    });
    const c = n === 0 ? 0 : first + t / n;
    let s = 0;
    let ss = 0;
    let abs = 0;
    this.forEachValue((x) => {
      if (x !== x) return;
      const d = x - c;
      s += d;
      ss += d * d;
      abs += Math.abs(d);
    });
    this.n = n;
    this.c = c;
    this.s = s;
    this.ss = ss;
    // recursive summation of n terms: error ≤ n·u·Σ|term| (plus the rounding of each d)
    this.errS = (n + 1) * EPS * abs;
    this.errSS = (n + 2) * EPS * ss;
    this.dirty = false;
  }
}

/** n·(sample variance at the flat boundary), in the units of the sum of squared deviations */
function flatM2(mean: number, n: number): number {
  const t = FLAT_RELATIVE_STD * mean;
  return t * t * (n - 1);
}
