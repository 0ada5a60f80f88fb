/**
 * Incremental window statistics shared by every detector.
 *
 * GAP RULE (the same in backtest replay and live):
 * - Windows are measured in clock hours (or in closed bars for the multi-timeframe detector). The replay
 *   calls step() for every clock hour; a missing hour (candle null) still advances every window by one slot
 *   and enters it as a missing value (NaN here). A missing hour is missing for every hourly series of that
 *   symbol, liquidations included, because an exchange outage hour cannot be trusted to be complete.
 * - A log return at hour t needs the closes of t and t-1, so the first hour after a gap has no return.
 * - Short windows over raw inputs (24 h volatility, 4 h liquidation sums, 168 h correlations and the
 *   volatility clustering window, regime z-score windows) need complete data: one missing value anywhere
 *   in the window makes the output null with status 'gap_in_window'.
 * - Long baselines (720 h volatility baseline, 720 h correlation normal, 720 h liquidation velocity
 *   baseline, 30-day funding statistics) average over the valid values in the window and are emitted only
 *   when coverage (valid / window size; for funding, settled interval hours / window hours) reaches
 *   min_coverage (default 0.9); the coverage is reported. Below that the status is 'low_coverage'.
 * - A 4h / 1d / 1w bar with any missing hour is incomplete and enters the regime z-score windows as a missing
 *   bar (and its return, and the next bar's return, are missing), like a missing hour in an hourly window.
 * - No window ever bridges a gap by joining the values on either side of it as if they were adjacent.
 * - Outputs for a missing hour are "no data" (null fields, status 'no_data'), never zeros. An hour without
 *   liquidation coverage (liquidation null) is missing liquidation data, never zero liquidations.
 * - Funding settlements are events, not an hourly series: a settlement that arrives in an hour whose candle
 *   is missing is still recorded; funding statistics are keyed by settlement time, not by slot.
 * - Before a window has been filled once the status is 'warming_up' rather than 'gap_in_window'.
 *
 * Running sums drift under floating point add/subtract, so every window recomputes its sums exactly once
 * per `capacity` pushes (amortised O(1)). Sums are kept relative to a shift (the window mean at the last
 * recompute) so that variance does not suffer cancellation on large-valued series such as volumes.
 */

export type WindowStatus = 'ok' | 'no_data' | 'warming_up' | 'gap_in_window' | 'low_coverage';

/** Ring buffer of numbers where NaN means missing, with running sum and sum of squares over valid values. */
export class RollingWindow {
  readonly capacity: number;
  private readonly buf: Float64Array;
  private head = 0;
  private filled = 0;
  private valid = 0;
  /** pushes since the first valid value, saturating: tells warming up apart from a gap */
  private started = 0;
  private shift = 0;
  private s = 0;
  private ss = 0;
  private sinceRecompute = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.buf = new Float64Array(capacity).fill(NaN);
  }

  /** Appends x (NaN or ±Infinity = missing); returns the value that fell out (NaN if none or missing). */
  push(x: number): number {
    const cap = this.capacity;
    const out = this.buf[this.head];
    if (this.filled === cap && out === out) {
      const d = out - this.shift;
      this.s -= d;
      this.ss -= d * d;
      this.valid--;
    }
    if (Number.isFinite(x)) {
      if (this.valid === 0) {
        this.shift = x;
        this.s = 0;
        this.ss = 0;
      }
      const d = x - this.shift;
      this.s += d;
      this.ss += d * d;
      this.valid++;
      this.buf[this.head] = x;
      if (this.started === 0) this.started = 1;
      else if (this.started <= cap) this.started++;
    } else {
      this.buf[this.head] = NaN;
      if (this.started !== 0 && this.started <= cap) this.started++;
    }
    this.head = this.head + 1 === cap ? 0 : this.head + 1;
    if (this.filled < cap) this.filled++;
    if (++this.sinceRecompute >= cap) this.recompute();
    return this.filled === cap ? out : NaN;
  }

  /** k-th most recent value, k = 0 the latest; NaN when missing or not yet pushed. */
  at(k: number): number {
    if (k < 0 || k >= this.filled) return NaN;
    let i = this.head - 1 - k;
    if (i < 0) i += this.capacity;
    return this.buf[i];
  }

  get length(): number {
    return this.filled;
  }
  get full(): boolean {
    return this.filled === this.capacity;
  }
  get validCount(): number {
    return this.valid;
  }
  get missingCount(): number {
    return this.filled - this.valid;
  }
  /** filled with no missing value */
  get complete(): boolean {
    return this.valid === this.capacity;
  }
  /** valid values / capacity (slots not yet pushed count as missing) */
  get coverage(): number {
    return this.valid / this.capacity;
  }
  /** status of a short window that needs complete data */
  get completeStatus(): WindowStatus {
    return completeStatus(this.valid, this.started, this.capacity);
  }

  sum(): number {
    return this.valid * this.shift + this.s;
  }
  mean(): number {
    return this.valid === 0 ? NaN : this.shift + this.s / this.valid;
  }
  /** sample variance (n - 1) of the valid values; NaN below two values */
  variance(): number {
    const n = this.valid;
    if (n < 2) return NaN;
    const v = (this.ss - (this.s * this.s) / n) / (n - 1);
    return v > 0 ? v : 0;
  }
  std(): number {
    return Math.sqrt(this.variance());
  }

  private recompute(): void {
    this.sinceRecompute = 0;
    const buf = this.buf;
    let n = 0;
    let raw = 0;
    for (let i = 0; i < this.filled; i++) {
      const v = buf[i];
      if (v === v) {
        raw += v;
        n++;
      }
    }
    this.valid = n;
    this.shift = n === 0 ? 0 : raw / n;
    let s = 0;
    let ss = 0;
    for (let i = 0; i < this.filled; i++) {
      const v = buf[i];
      if (v === v) {
        const d = v - this.shift;
        s += d;
        ss += d * d;
      }
    }
    this.s = s;
    this.ss = ss;
  }
}

/**
 * Values keyed by time (e.g. funding settlements) kept while time > now - span. Carries a weight per value
 * (for funding: the interval hours each settlement covers) so coverage stays meaningful when the number of
 * values per span changes. Also keeps the values sorted so a percentile costs O(log n).
 */
export class TimeKeyedWindow {
  readonly spanMs: number;
  private times = new Float64Array(64);
  private values = new Float64Array(64);
  private weights = new Float64Array(64);
  private start = 0;
  private size = 0;
  private sorted = new Float64Array(64);
  private shift = 0;
  private s = 0;
  private ss = 0;
  private w = 0;
  private sinceRecompute = 0;

  constructor(spanMs: number) {
    if (!(spanMs > 0)) throw new RangeError(`time window span must be positive, got ${spanMs}`);
    this.spanMs = spanMs;
  }

  get length(): number {
    return this.size;
  }
  get weightSum(): number {
    return this.w;
  }

  /** Drops values with time <= now - span. */
  evictBefore(now: number): void {
    const limit = now - this.spanMs;
    while (this.size > 0 && this.times[this.start] <= limit) {
      const v = this.values[this.start];
      const d = v - this.shift;
      this.s -= d;
      this.ss -= d * d;
      this.w -= this.weights[this.start];
      this.removeSorted(v);
      this.start++;
      this.size--;
    }
    if (this.size === 0) {
      this.start = 0;
      this.s = this.ss = this.w = 0;
    }
  }

  /** Appends a value; times must not decrease. Non-finite values are ignored. */
  push(time: number, value: number, weight: number): void {
    if (!Number.isFinite(value)) return;
    if (this.start + this.size === this.times.length) this.compact();
    if (this.size === 0) {
      this.shift = value;
      this.s = this.ss = this.w = 0;
    }
    const i = this.start + this.size;
    this.times[i] = time;
    this.values[i] = value;
    this.weights[i] = weight;
    const d = value - this.shift;
    this.s += d;
    this.ss += d * d;
    this.w += weight;
    this.insertSorted(value);
    this.size++;
    if (++this.sinceRecompute >= 256) this.recompute();
  }

  mean(): number {
    return this.size === 0 ? NaN : this.shift + this.s / this.size;
  }
  variance(): number {
    const n = this.size;
    if (n < 2) return NaN;
    const v = (this.ss - (this.s * this.s) / n) / (n - 1);
    return v > 0 ? v : 0;
  }
  std(): number {
    return Math.sqrt(this.variance());
  }
  /** Mid-rank percentile of x among the values, in [0, 1]: (count below + half the ties) / n. */
  percentileOf(x: number): number {
    const n = this.size;
    if (n === 0) return NaN;
    const lo = lowerBound(this.sorted, n, x);
    let hi = lo;
    while (hi < n && this.sorted[hi] === x) hi++;
    return (lo + (hi - lo) / 2) / n;
  }

  private insertSorted(v: number): void {
    const n = this.size;
    if (n === this.sorted.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.sorted);
      this.sorted = grown;
    }
    const i = upperBound(this.sorted, n, v);
    this.sorted.copyWithin(i + 1, i, n);
    this.sorted[i] = v;
  }

  private removeSorted(v: number): void {
    const n = this.size;
    const i = lowerBound(this.sorted, n, v);
    this.sorted.copyWithin(i, i + 1, n);
  }

  /** Moves the live values to the front of the arrays, doubling them when more than half full. */
  private compact(): void {
    const from = this.start;
    const to = this.start + this.size;
    const grow = this.size * 2 > this.times.length;
    const move = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      if (!grow) return a.copyWithin(0, from, to);
      const b = new Float64Array(a.length * 2);
      b.set(a.subarray(from, to));
      return b;
    };
    this.times = move(this.times);
    this.values = move(this.values);
    this.weights = move(this.weights);
    this.start = 0;
  }

  private recompute(): void {
    this.sinceRecompute = 0;
    const n = this.size;
    let raw = 0;
    let w = 0;
    for (let i = this.start; i < this.start + n; i++) {
      raw += this.values[i];
      w += this.weights[i];
    }
    this.shift = n === 0 ? 0 : raw / n;
    let s = 0;
    let ss = 0;
    for (let i = this.start; i < this.start + n; i++) {
      const d = this.values[i] - this.shift;
      s += d;
      ss += d * d;
    }
    this.s = s;
    this.ss = ss;
    this.w = w;
  }
}

/**
 * Complete-data status from valid values in the window and pushes since the first valid one: nothing valid
 * yet is no data, an unbroken run shorter than the window is warming up, anything else missing is a gap.
 */
function completeStatus(valid: number, started: number, capacity: number): WindowStatus {
  if (valid === capacity) return 'ok';
  if (started === 0) return 'no_data';
  return started < capacity && valid === started ? 'warming_up' : 'gap_in_window';
}

function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** (x - mean) / std of a window, NaN when the window cannot give a finite z. */
export function zScore(x: number, mean: number, std: number): number {
  return std > 0 && Number.isFinite(x) ? (x - mean) / std : NaN;
}

/** NaN → null, for output fields */
export function orNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
