/**
 * A p-value for every configuration of a sweep, cheap enough to compute for all of them: the exact chance
 * that random placement reaches the configuration's precision.
 *
 * The scorer's random baseline (engine/score/baseline.ts) puts each alert on a uniformly random hour with a
 * candle of the same symbol, independently. Given how many of the configuration's alerts on symbol s could be
 * judged (true alert or false alarm, e_s), a random alert there is a true alert with probability
 * q_s = T_s / (T_s + F_s), T_s and F_s being the symbol's hours of each kind. So under that null the number of
 * true alerts is a sum of Binomial(e_s, q_s), and p = P(true alerts >= observed) is computed exactly (no
 * permutation floor: BH across thousands of configurations needs p-values far below 1/permutations).
 * Precision is the one scorer metric with such a closed form; the selected configuration still gets the
 * permutation baseline for every metric in its full scorecard.
 */
import { HOUR_MS } from '../pipeline/input.ts';
import { FALSE_ALARM, TRUE_ALERT, type Market } from '../score/market.ts';
import type { ScorableColumns } from './metrics.ts';

/** P(X = k), k = 0..n, X ~ Binomial(n, q), with the entries below double range left at 0 */
export function binomialPmf(n: number, q: number): Float64Array {
  return binomialInto(n, q, new Float64Array(n + 1), new Float64Array(n + 1));
}

/** binomialPmf written into pmf (n + 1 entries, overwritten), log as scratch: a sweep computes thousands */
function binomialInto(n: number, q: number, pmf: Float64Array, log: Float64Array): Float64Array {
  pmf.fill(0, 0, n + 1);
  if (q <= 0) pmf[0] = 1;
  else if (q >= 1) pmf[n] = 1;
  else {
    // log-space recurrence from k = 0, then normalised: no lgamma, no underflow at the mode
    const logOdds = Math.log(q / (1 - q));
    log[0] = n * Math.log1p(-q);
    let max = log[0];
    for (let k = 0; k < n; k++) {
      log[k + 1] = log[k] + Math.log((n - k) / (k + 1)) + logOdds;
      if (log[k + 1] > max) max = log[k + 1];
    }
    // exp underflows to exactly 0 below −745.2: those entries stay 0 without calling it (adding or dividing a 0
    // changes nothing, so the sum and every entry keep their bits)
    let sum = 0;
    for (let k = 0; k <= n; k++) {
      const x = log[k] - max;
      if (x > UNDERFLOW) sum += pmf[k] = Math.exp(x);
    }
    for (let k = 0; k <= n; k++) if (pmf[k] !== 0) pmf[k] /= sum;
  }
  return pmf;
}

/** the binomial's scratch, reused from call to call (grown as needed) */
let pmfScratch = new Float64Array(1024);
let logScratch = new Float64Array(1024);

/** sumTail's running distribution, in two buffers reused from call to call (grown as needed) */
const sumScratch = [new Float64Array(4096), new Float64Array(4096)];

/** Math.exp of anything below this is 0 */
const UNDERFLOW = -746;

/** entry m of the convolution of a and b: the products summed in ascending index of a (i from..to) */
function dot(a: Float64Array, b: Float64Array, m: number, from: number, to: number, acc: number): number {
  for (let i = from; i <= to; i++) acc += a[i] * b[m - i];
  return acc;
}

/**
 * the distribution of a sum of independent counts. Each entry is a dot product accumulated in the same order
 * (ascending index of a) as the textbook scatter loop, so every bit is the same, but eight neighbouring entries
 * are summed in one pass: eight independent additions per step instead of one chain, one load of a, and the
 * entries of b they read slide by one per step, so one new load of b per step instead of eight (kept in locals).
 * Entry m + r's range may start up to r later and end up to r later than entry m's: those few terms are added
 * before and after the shared run, so each entry still sums in ascending order.
 */
function convolve(a: Float64Array, b: Float64Array, into: Float64Array): Float64Array {
  const la = a.length;
  const lb = b.length;
  const len = la + lb - 1;
  // every entry below is assigned: the buffer's earlier contents never show
  const out = into.subarray(0, len);
  const first = (m: number) => (m - lb + 1 > 0 ? m - lb + 1 : 0);
  const last = (m: number) => (m < la - 1 ? m : la - 1);
  let m = 0;
  for (; m + 7 < len; m += 8) {
    const lo = first(m + 7);
    const hi = last(m);
    if (lo > hi) {
      for (let r = 0; r < 8; r++) out[m + r] = dot(a, b, m + r, first(m + r), last(m + r), 0);
      continue;
    }
    let acc0 = dot(a, b, m, first(m), lo - 1, 0);
    let acc1 = dot(a, b, m + 1, first(m + 1), lo - 1, 0);
    let acc2 = dot(a, b, m + 2, first(m + 2), lo - 1, 0);
    let acc3 = dot(a, b, m + 3, first(m + 3), lo - 1, 0);
    let acc4 = dot(a, b, m + 4, first(m + 4), lo - 1, 0);
    let acc5 = dot(a, b, m + 5, first(m + 5), lo - 1, 0);
    let acc6 = dot(a, b, m + 6, first(m + 6), lo - 1, 0);
    let acc7 = 0;
    // entry m + r reads b[m + r − i]: at i = lo that is b[j + r]; each step moves every read one entry down
    let j = m - lo;
    let b0 = b[j];
    let b1 = b[j + 1];
    let b2 = b[j + 2];
    let b3 = b[j + 3];
    let b4 = b[j + 4];
    let b5 = b[j + 5];
    let b6 = b[j + 6];
    let b7 = b[j + 7];
    for (let i = lo; i <= hi; i++) {
      const x = a[i];
      acc0 += x * b0;
      acc1 += x * b1;
      acc2 += x * b2;
      acc3 += x * b3;
      acc4 += x * b4;
      acc5 += x * b5;
      acc6 += x * b6;
      acc7 += x * b7;
      b7 = b6;
      b6 = b5;
      b5 = b4;
      b4 = b3;
      b3 = b2;
      b2 = b1;
      b1 = b0;
      j--;
      // past the last step j may be −1: never read past the start (a hole would make every read slower)
      b0 = j >= 0 ? b[j] : 0;
    }
    out[m] = acc0;
    out[m + 1] = dot(a, b, m + 1, hi + 1, last(m + 1), acc1);
    out[m + 2] = dot(a, b, m + 2, hi + 1, last(m + 2), acc2);
    out[m + 3] = dot(a, b, m + 3, hi + 1, last(m + 3), acc3);
    out[m + 4] = dot(a, b, m + 4, hi + 1, last(m + 4), acc4);
    out[m + 5] = dot(a, b, m + 5, hi + 1, last(m + 5), acc5);
    out[m + 6] = dot(a, b, m + 6, hi + 1, last(m + 6), acc6);
    out[m + 7] = dot(a, b, m + 7, hi + 1, last(m + 7), acc7);
  }
  for (; m < len; m++) out[m] = dot(a, b, m, first(m), last(m), 0);
  return out;
}

/** the index range holding every entry above max · trim (trim 0: every non-zero entry) */
function support(a: Float64Array, trim: number): [number, number] {
  let max = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  const floor = max * trim;
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi && !(a[lo] > floor)) lo++;
  while (hi > lo && !(a[hi] > floor)) hi--;
  return [lo, hi];
}

/**
 * P(sum ≥ k) from the distributions trimmed to their entries above max · trim, summed from the far tail. The
 * trimmed mass is below trim · (support width) per convolution: with trim 1e-40 that moves a p-value of 1e-25 in
 * its 12th digit, and it makes the convolutions of large binomials several times shorter (±14σ instead of ±38σ).
 */
function sumTail(parts: readonly { n: number; q: number }[], k: number, trim: number): number {
  let pmf: Float64Array = Float64Array.of(1);
  let offset = 0;
  let turn = 0;
  for (const { n, q } of parts) {
    if (n <= 0) continue;
    if (pmfScratch.length < n + 1) {
      pmfScratch = new Float64Array(2 * (n + 1));
      logScratch = new Float64Array(2 * (n + 1));
    }
    const b = binomialInto(n, q, pmfScratch.subarray(0, n + 1), logScratch);
    const [lo, hi] = support(b, trim);
    // the convolutions alternate between two buffers: each reads the other's last result
    const len = pmf.length + hi - lo;
    if (sumScratch[turn].length < len) sumScratch[turn] = new Float64Array(2 * len);
    pmf = convolve(pmf, b.subarray(lo, hi + 1), sumScratch[turn]);
    turn ^= 1;
    offset += lo;
    const [plo, phi] = support(pmf, trim);
    pmf = pmf.subarray(plo, phi + 1);
    offset += plo;
  }
  let tail = 0;
  for (let j = pmf.length - 1; j >= 0 && j + offset >= k; j--) tail += pmf[j];
  return Math.min(1, tail);
}

const TRIM = 1e-40;
/** below this the trimmed tail may have lost its terms: computed again from the untrimmed distributions */
const EXACT_BELOW = 1e-25;

/** P(sum of Binomial(n_i, q_i) >= k), summed from the far tail so a tiny p keeps its digits */
export function binomialSumTail(parts: readonly { n: number; q: number }[], k: number): number {
  if (k <= 0) return 1;
  const fast = sumTail(parts, k, TRIM);
  return fast >= EXACT_BELOW ? fast : sumTail(parts, k, 0);
}

/** one period's precision test, its per-symbol base rates counted once */
export class PrecisionTest {
  private readonly ranges: ({ firstTs: number; offset: number; length: number } | undefined)[];
  /** per symbol index: the chance a random hour with a candle is a true alert, among those that can be judged */
  private readonly rate: Float64Array;
  private readonly judged: Int32Array;
  private readonly hits: Int32Array;

  constructor(
    private readonly market: Market,
    symbols: readonly string[],
    private readonly from: number,
    private readonly to: number,
  ) {
    this.ranges = symbols.map((s) => market.grid.bySymbol.get(s));
    this.rate = new Float64Array(symbols.length);
    this.judged = new Int32Array(symbols.length);
    this.hits = new Int32Array(symbols.length);
    symbols.forEach((s, i) => {
      const r = market.grid.bySymbol.get(s);
      if (!r) return;
      let t = 0;
      let f = 0;
      for (const g of r.present) {
        const truth = market.hourly[g * market.stride];
        if (truth === TRUE_ALERT) t++;
        else if (truth === FALSE_ALARM) f++;
      }
      this.rate[i] = t + f > 0 ? t / (t + f) : 0;
    });
  }

  /**
   * 1 when no alert of the period can be judged: such a configuration was still tried, and counting it with
   * p = 1 keeps "across all configurations tried" true without letting it look like evidence
   */
  pValue(alerts: ScorableColumns): number {
    const { market } = this;
    this.judged.fill(0);
    this.hits.fill(0);
    for (let k = 0; k < alerts.n; k++) {
      const ts = alerts.ts[k];
      const s = alerts.symbol[k];
      if (ts < this.from || ts >= this.to || s < 0) continue;
      const r = this.ranges[s];
      if (!r) continue;
      const i = (ts - r.firstTs) / HOUR_MS;
      if (i < 0 || i >= r.length) continue;
      const g = r.offset + i;
      const c = market.grid.close[g];
      if (c !== c) continue;
      const truth = market.hourly[g * market.stride];
      if (truth === TRUE_ALERT) {
        this.judged[s]++;
        this.hits[s]++;
      } else if (truth === FALSE_ALARM) this.judged[s]++;
    }
    return this.fromCounts(this.judged, this.hits);
  }

  /**
   * the same from per-symbol counts of judged alerts and true alerts among them, counted elsewhere over the same
   * period and market (PeriodScorer.score counts them while it places the alerts)
   */
  fromCounts(judgedBySymbol: Int32Array, hitsBySymbol: Int32Array): number {
    let judged = 0;
    let hits = 0;
    const parts: { n: number; q: number }[] = [];
    for (let s = 0; s < this.rate.length; s++) {
      judged += judgedBySymbol[s];
      hits += hitsBySymbol[s];
      parts.push({ n: judgedBySymbol[s], q: this.rate[s] });
    }
    return judged === 0 ? 1 : binomialSumTail(parts, hits);
  }
}
