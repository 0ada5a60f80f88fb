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
 * - A window whose values are constant (sample std ≤ FLAT_RELATIVE_STD × |mean|, see running-moments.ts)
 *   has variance exactly 0 and gives no z-score: status 'flat_window', never a z built on rounding residue.
 *
 * Mean, variance and sums come from RunningMoments: within 1e-10 (relative) of a two-pass computation over
 * the window's valid values, at amortised O(1) per push.
 */

import { RunningMoments } from './running-moments.ts';

export { FLAT_RELATIVE_STD } from './running-moments.ts';

export type WindowStatus = 'ok' | 'no_data' | 'warming_up' | 'gap_in_window' | 'low_coverage' | 'flat_window';

/** Ring buffer of numbers where NaN means missing, with the running moments of the valid values. */
export class RollingWindow {
  readonly capacity: number;
  private readonly buf: Float64Array;
  private head = 0;
  private filled = 0;
  /** pushes since the first valid value, saturating: tells warming up apart from a gap */
  private started = 0;
  private readonly moments: RunningMoments;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.buf = new Float64Array(capacity).fill(NaN);
    this.moments = new RunningMoments((visit) => {
      for (let i = 0; i < this.filled; i++) visit(this.buf[i]);
    });
  }

  /** Appends x (NaN or ±Infinity = missing); returns the value that fell out (NaN if none or missing). */
  push(x: number): number {
    const cap = this.capacity;
    const out = this.buf[this.head];
    if (this.filled === cap && out === out) this.moments.remove(out);
    if (Number.isFinite(x)) {
      this.buf[this.head] = x;
      this.moments.add(x);
      if (this.started === 0) this.started = 1;
      else if (this.started <= cap) this.started++;
    } else {
      this.buf[this.head] = NaN;
      if (this.started !== 0 && this.started <= cap) this.started++;
    }
    this.head = this.head + 1 === cap ? 0 : this.head + 1;
    if (this.filled < cap) this.filled++;
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
    return this.moments.count;
  }
  get missingCount(): number {
    return this.filled - this.moments.count;
  }
  /** filled with no missing value */
  get complete(): boolean {
    return this.moments.count === this.capacity;
  }
  /** valid values / capacity (slots not yet pushed count as missing) */
  get coverage(): number {
    return this.moments.count / this.capacity;
  }
  /** status of a short window that needs complete data */
  get completeStatus(): WindowStatus {
    return completeStatus(this.moments.count, this.started, this.capacity);
  }
  /** two or more valid values, all equal up to FLAT_RELATIVE_STD: variance 0, no z-score */
  get flat(): boolean {
    return this.moments.flat;
  }
  /** exact O(n) rebuilds of the running sums so far */
  get rebuilds(): number {
    return this.moments.rebuilds;
  }

  sum(): number {
    return this.moments.sum();
  }
  mean(): number {
    return this.moments.mean();
  }
  /** sample variance (n - 1) of the valid values; 0 when flat; NaN below two values */
  variance(): number {
    return this.moments.variance();
  }
  std(): number {
    return Math.sqrt(this.moments.variance());
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
  private w = 0;
  private readonly moments = new RunningMoments((visit) => {
    for (let i = this.start; i < this.start + this.size; i++) visit(this.values[i]);
  });

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
      this.moments.remove(v);
      this.w -= this.weights[this.start];
      this.removeSorted(v);
      this.start++;
      this.size--;
    }
    if (this.size === 0) {
      this.start = 0;
      this.w = 0;
    }
  }

  /** Appends a value; times must not decrease. Non-finite values are ignored. */
  push(time: number, value: number, weight: number): void {
    if (!Number.isFinite(value)) return;
    if (this.start + this.size === this.times.length) this.compact();
    if (this.size === 0) this.w = 0;
    const i = this.start + this.size;
    this.times[i] = time;
    this.values[i] = value;
    this.weights[i] = weight;
    this.w += weight;
    this.insertSorted(value);
    this.size++;
    this.moments.add(value);
  }

  mean(): number {
    return this.moments.mean();
  }
  /** sample variance (n - 1); 0 when flat; NaN below two values */
  variance(): number {
    return this.moments.variance();
  }
  std(): number {
    return Math.sqrt(this.moments.variance());
  }
  /** two or more values, all equal up to FLAT_RELATIVE_STD: variance 0, no z-score */
  get flat(): boolean {
    return this.moments.flat;
  }
  get rebuilds(): number {
    return this.moments.rebuilds;
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
