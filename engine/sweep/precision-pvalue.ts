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
 *
 * Most of its time goes to convolving the binomials, in WebAssembly SIMD (simd-convolve.ts) with every bit of the
 * textbook loop; the last convolution computes only the entries the tail sum needs.
 */
import { HOUR_MS } from '../pipeline/input.ts';
import { FALSE_ALARM, TRUE_ALERT, type Market } from '../score/market.ts';
import type { ScorableColumns } from './metrics.ts';
import { asOperand, convolutionScratch, convolveRange } from './simd-convolve.ts';

/** P(X = k), k = 0..n, X ~ Binomial(n, q), with the entries below double range left at 0 */
export function binomialPmf(n: number, q: number): Float64Array {
  const pmf = new Float64Array(n + 1);
  binomialInto(n, q, pmf, new Float64Array(n + 1));
  return pmf;
}

/**
 * binomialPmf written into pmf (n + 1 entries, overwritten), log as scratch: a sweep computes thousands. With
 * trim > 0 the upper tail below trim · e⁻⁸ (and e⁻⁴⁰) of the max is left at 0 without being computed: support(·,
 * trim) cuts it anyway, and those entries come after the mode's 1 in the normalising sum, below half its last
 * bit (the lower tail comes first, so it is always computed). Past the mode the log-concave pmf only falls.
 * Returns the entries up to the last one computed.
 */
function binomialInto(n: number, q: number, pmf: Float64Array, log: Float64Array, trim = 0): Float64Array {
  pmf.fill(0, 0, n + 1);
  let end = n;
  if (q <= 0) pmf[0] = 1;
  else if (q >= 1) pmf[n] = 1;
  else {
    const negligible = trim > 0 ? Math.min(Math.log(trim) - 8, -40) : -Infinity;
    // log-space recurrence from k = 0, then normalised: no lgamma, no underflow at the mode
    const logOdds = Math.log(q / (1 - q));
    log[0] = n * Math.log1p(-q);
    let max = log[0];
    for (let k = 0; k < n; k++) {
      log[k + 1] = log[k] + Math.log((n - k) / (k + 1)) + logOdds;
      if (log[k + 1] > max) max = log[k + 1];
      else if (log[k + 1] < log[k] && log[k + 1] - max < negligible) {
        end = k;
        break;
      }
    }
    // exp underflows to exactly 0 below −745.2: those entries stay 0 without calling it (adding or dividing a 0
    // changes nothing, so the sum and every entry keep their bits)
    let sum = 0;
    for (let k = 0; k <= end; k++) {
      const x = log[k] - max;
      if (x > UNDERFLOW) sum += pmf[k] = Math.exp(x);
    }
    for (let k = 0; k <= end; k++) if (pmf[k] !== 0) pmf[k] /= sum;
  }
  return pmf.subarray(0, end + 1);
}

/** the binomial's log-space scratch, reused from call to call (grown as needed) */
let logScratch = new Float64Array(1024);

/** Math.exp of anything below this is 0 */
const UNDERFLOW = -746;

/** the distribution of a sum of independent counts, written to into's first entries */
function convolve(a: Float64Array, b: Float64Array, into: Float64Array): Float64Array {
  const out = into.subarray(0, a.length + b.length - 1);
  convolveRange(a, b, out, 0, out.length - 1);
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

/** how many entries convolvedTail computes at a time, walking down from the top (whole kernel blocks) */
const CHUNK = 72;

/**
 * the sum of the entries from index `from` up of a ∗ b trimmed like support(·, trim), added from the top down: the
 * bits of computing the whole convolution, trimming it and summing its tail, from fewer entries. A convolution of
 * binomials is log-concave, hence unimodal, so
 * - the max is known once the walk down from the top has passed below half of the largest entry so far;
 * - the trimmed upper end is then the highest entry computed above max · trim;
 * - below the mode the entries only shrink: the first one at or below max · trim is where the lower trim starts,
 *   and once one adds nothing to the running sum, no lower one can.
 * The sweep's counts are mostly below the mean: this skips the far lower tail, a quarter of the entries' products.
 */
function convolvedTail(a: Float64Array, b: Float64Array, from: number, trim: number, out: Float64Array): number {
  const top = a.length + b.length - 2;
  // entries done..top are computed
  let done = top + 1;
  const computeNextChunk = () => {
    const lo = done > CHUNK ? done - CHUNK : 0;
    convolveRange(a, b, out, lo, done - 1);
    done = lo;
  };
  let max = 0;
  let argmax = top;
  do {
    const end = done;
    computeNextChunk();
    for (let m = end - 1; m >= done; m--) {
      if (out[m] > max) {
        max = out[m];
        argmax = m;
      }
    }
  } while (done > 0 && !(out[done] < max / 2));
  const floor = max * trim;
  let hi = top;
  while (hi > argmax && !(out[hi] > floor)) hi--;
  let tail = 0;
  for (let m = hi; m >= from && m >= 0; m--) {
    if (m < done) computeNextChunk();
    if (m < argmax && !(out[m] > floor)) break;
    const sum = tail + out[m];
    if (sum === tail && m < argmax) break;
    tail = sum;
  }
  return tail;
}

/**
 * P(sum ≥ k) from the distributions trimmed to their entries above max · trim, summed from the far tail. The
 * trimmed mass is below trim · (support width) per convolution: with trim 1e-40 that moves a p-value of 1e-25 in
 * its 12th digit, and it makes the convolutions of large binomials several times shorter (±14σ instead of ±38σ).
 */
function sumTail(parts: readonly { n: number; q: number }[], k: number, trim: number): number {
  const last = parts.findLastIndex((p) => p.n > 0);
  // the convolutions alternate between two buffers, each reading the other's last result; every distribution
  // is shorter than the sum of the binomials' lengths
  let longest = 0;
  let total = 0;
  for (const { n } of parts) {
    if (n > longest) longest = n;
    if (n > 0) total += n + 1;
  }
  if (logScratch.length < longest + 1) logScratch = new Float64Array(2 * (longest + 1));
  // indexed rather than destructured: the destructuring's array iteration failed on the scratch array's map in
  // compiled code (twice a sweep, --trace-deopt), in a function whose compilation is among the costliest. The
  // convolutions alternate between scratch[2] and scratch[3]
  const scratch = convolutionScratch([1, longest + 1, total, total]);
  const one = scratch[0];
  const binomial = scratch[1];
  one[0] = 1;
  let pmf = one;
  let offset = 0;
  let turn = 0;
  for (let p = 0; p <= last; p++) {
    const { n, q } = parts[p];
    if (n <= 0) continue;
    const [lo, hi] = support(binomialInto(n, q, binomial.subarray(0, n + 1), logScratch, trim), trim);
    const b = asOperand(binomial, lo, hi);
    offset += lo;
    if (p === last) return Math.min(1, convolvedTail(pmf, b, k - offset, trim, scratch[2 + turn]));
    pmf = convolve(pmf, b, scratch[2 + turn]);
    turn ^= 1;
    const [plo, phi] = support(pmf, trim);
    pmf = pmf.subarray(plo, phi + 1);
    offset += plo;
  }
  // nothing to count: the sum is 0, below any k > 0
  return 0;
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

/**
 * the true alerts and false alarms among the hours `present` into out[0] and out[1], counted there. A function with
 * nothing after its loop: called a few times a thread, it runs the loop's code compiled on stack on each call, and
 * code after the loop, not yet run when that was compiled, threw it away every time (inside the constructor's
 * callback: 12 times a sweep, --trace-deopt)
 */
function countTruths(hourly: Float64Array, stride: number, present: Int32Array, out: Int32Array): void {
  out[0] = 0;
  out[1] = 0;
  for (let k = 0; k < present.length; k++) {
    const truth = hourly[present[k] * stride];
    out[0] += +(truth === TRUE_ALERT);
    out[1] += +(truth === FALSE_ALARM);
  }
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
    const tf = new Int32Array(2);
    symbols.forEach((s, i) => {
      const r = market.grid.bySymbol.get(s);
      if (!r) return;
      countTruths(market.hourly, market.stride, r.present, tf);
      this.rate[i] = tf[0] + tf[1] > 0 ? tf[0] / (tf[0] + tf[1]) : 0;
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
