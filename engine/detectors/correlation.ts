import { z } from 'zod';
import { RollingWindow, type WindowStatus } from './rolling.ts';
import { BOUNDS, finiteNumber, fraction, intAtLeast, nonNegativeNumber, positiveInt, positiveNumber } from './schema.ts';

/** with more symbols than this, config.correlation.pairs must be given: all pairs grow as N² */
export const MAX_DEFAULT_ALL_PAIRS_SYMBOLS = 30;

export const CorrelationConfig = z
  .object({
    window_hours: intAtLeast(3, 168, BOUNDS.windowHours),
    /** the normal is the mean of the window correlation over the previous normal_hours hours */
    normal_hours: positiveInt(720, BOUNDS.baselineHours),
    min_coverage: fraction(0.9),
    /** break when current − normal ≤ −break_drop */
    break_drop: positiveNumber(0.3),
    /** or when current ≤ break_level */
    break_level: finiteNumber(-0.5),
    max_lag_hours: positiveInt(3, 48),
    /** a leader must beat the other direction's best |lagged correlation| by more than this */
    leader_margin: nonNegativeNumber(0.05),
    /**
     * "all": every pair (N(N−1)/2); "anchors": each anchor against every other symbol (O(N)). Unset means
     * "all" up to MAX_DEFAULT_ALL_PAIRS_SYMBOLS symbols; above that it must be set.
     */
    pairs: z.enum(['all', 'anchors'], { error: 'expected "all" or "anchors"' }).optional(),
    anchors: z
      .array(z.string({ error: 'expected a symbol name' }).min(1, { error: 'expected a symbol name' }), { error: 'expected a list of symbol names' })
      .min(1, { error: 'expected at least one anchor symbol' })
      .default(['BTCUSDT', 'ETHUSDT']),
  })
  .strict();
export type CorrelationConfig = z.output<typeof CorrelationConfig>;

export interface PairCorrelation {
  a: string;
  b: string;
  /** lower-case `a_b`, used in feature column names */
  key: string;
  status: WindowStatus;
  /** Pearson correlation of hourly log returns over window_hours */
  corr: number | null;
  normal: number | null;
  normal_coverage: number;
  delta: number | null;
  broken: boolean | null;
  /** the symbol whose past returns better predict the other's */
  leader: string | null;
  lag_hours: number | null;
  /** signed lagged correlation of the leader at lag_hours */
  lead_strength: number | null;
}

export interface CorrelationOutput {
  ts: number;
  pairs: readonly PairCorrelation[];
}

/** Uses whichever of the two conditions is computable: without a normal only the level test applies. */
export function isCorrelationBreak(current: number, normal: number | null, cfg: Pick<CorrelationConfig, 'break_drop' | 'break_level'>): boolean {
  if (current <= cfg.break_level) return true;
  return normal !== null && current - normal <= -cfg.break_drop;
}

/**
 * best lagged |corr| in each direction → which side leads: 1 = a leads b, -1 = b leads a, 0 = neither beats
 * the other by more than margin (or neither is known).
 */
export function leadDirection(bestAB: number, bestBA: number, margin: number): 1 | -1 | 0 {
  const ab = bestAB === bestAB ? bestAB : -Infinity;
  const ba = bestBA === bestBA ? bestBA : -Infinity;
  if (ab === -Infinity && ba === -Infinity) return 0;
  if (ab > ba + margin) return 1;
  if (ba > ab + margin) return -1;
  return 0;
}

/** why this symbol list and correlation config give no usable pair list (null when they do) */
export function correlationPairsProblem(symbols: readonly string[], cfg: Pick<CorrelationConfig, 'pairs' | 'anchors'>): { key: 'pairs' | 'anchors'; message: string } | null {
  if (cfg.pairs === undefined && symbols.length > MAX_DEFAULT_ALL_PAIRS_SYMBOLS) {
    const n = symbols.length;
    return {
      key: 'pairs',
      message: `${n} symbols: set "all" (${((n * (n - 1)) / 2).toLocaleString('en-US')} pairs) or "anchors" (each of correlation.anchors against every other symbol); the default "all" stops at ${MAX_DEFAULT_ALL_PAIRS_SYMBOLS} symbols`,
    };
  }
  if (cfg.pairs === 'anchors' && symbols.length > 1 && !cfg.anchors.some((a) => symbols.includes(a))) {
    return { key: 'anchors', message: `none of ${cfg.anchors.join(', ')} is among the configured symbols` };
  }
  return null;
}

/**
 * The pairs the detector follows, as [a, b] symbol indices with a < b, in the order of the all-pairs list
 * (so a pair's key and column names are the same in either mode). Throws when correlationPairsProblem does.
 */
export function correlationPairs(symbols: readonly string[], cfg: Pick<CorrelationConfig, 'pairs' | 'anchors'>): [number, number][] {
  const problem = correlationPairsProblem(symbols, cfg);
  if (problem !== null) throw new RangeError(`correlation.${problem.key}: ${problem.message}`);
  const anchor = symbols.map((s) => cfg.pairs === 'anchors' && cfg.anchors.includes(s));
  const out: [number, number][] = [];
  for (let i = 0; i < symbols.length; i++) {
    for (let j = i + 1; j < symbols.length; j++) {
      if (cfg.pairs !== 'anchors' || anchor[i] || anchor[j]) out.push([i, j]);
    }
  }
  return out;
}

/** twice the unit roundoff */
const EPS = 2 ** -52;
/** a pair's running product sums are rebuilt when their rounding could move a correlation by this much */
const CORR_ACCURACY = 1e-11;
/** a symbol's shift is reset when its window mean is further than this many stds from it */
const MAX_SHIFT_STDS = 2;

/**
 * Rolling Pearson correlations of all followed pairs, at lags 0..max_lag in both directions, with the state
 * of every pair in a few contiguous typed arrays updated in one loop per hour (structure of arrays): at 100
 * symbols the 4,950 pairs' windows would otherwise be separate ring buffers that fall out of cache.
 *
 * Each symbol's returns are kept as deviations from a per-symbol shift c (0 until the window's mean drifts
 * more than MAX_SHIFT_STDS stds from it), so a pair's covariance is Σ(x−cx)(y−cy) − n·(x̄−cx)(ȳ−cy) without
 * the cancellation raw product sums suffer when returns trend (mean ≫ std). A product leaving the window is
 * recomputed from the deviations ring, bit-identical to the one that entered, so only the sums' own rounding
 * drifts. That rounding is bounded per pair (Cauchy–Schwarz on the symbols' running sums of squared
 * deviations); when the bound could move a correlation by CORR_ACCURACY — after the data changed scale, or
 * every few thousand hours — the pair's sums are rebuilt exactly in O(window), and a shift reset rebuilds the
 * pairs of that symbol. So results are within 1e-9 of a two-pass Pearson at amortised O(1) per pair-hour.
 */
export class CorrelationDetector {
  readonly cfg: CorrelationConfig;
  readonly symbols: readonly string[];
  /** [a, b] symbol indices per followed pair */
  readonly pairIndices: readonly (readonly [number, number])[];
  private readonly n: number;
  private readonly w: number;
  private readonly lags: number;
  /** sums per pair: lag 0, then a leads by 1..L, then b leads by 1..L */
  private readonly sumsPerPair: number;
  private readonly ringLen: number;
  private t = 0;

  // per symbol
  private readonly windows: RollingWindow[];
  private readonly prevClose: Float64Array;
  private readonly shift: Float64Array;
  /** raw returns and their deviations from the symbol's shift, slot-major: [slot * n + symbol] */
  private readonly ret: Float64Array;
  private readonly dev: Float64Array;
  /** per lag k (hours ago) and symbol, [k * n + s]: window mean − shift, and 1/(std·√(n−1)); NaN when incomplete or flat */
  private readonly lagDm: Float64Array;
  private readonly lagIv: Float64Array;
  /** the lag-0 window is complete and flat */
  private readonly flat: Uint8Array;
  /** Σ dev² of every value that entered (at the shift of the time), and the largest lagIv and |lagDm| over the lags */
  private readonly sumSq: Float64Array;
  private readonly maxIv: Float64Array;
  private readonly maxDm: Float64Array;
  /** pair indices per symbol, for rebuilding after a shift reset */
  private readonly pairsOf: Int32Array[];

  // per pair
  private readonly pa: Int32Array;
  private readonly pb: Int32Array;
  private readonly sums: Float64Array;
  /** at the last rebuild: the largest Σ|product| over the pair's windows, and each side's sumSq minus the deviations still to be paired */
  private readonly abs0: Float64Array;
  private readonly sqA0: Float64Array;
  private readonly sqB0: Float64Array;
  /** hours since the pair's last rebuild */
  private readonly since: Float64Array;
  private readonly stale: Uint8Array;
  /** lag-0 products valid in the window, and pushes since the first valid one (saturating), for the status */
  private readonly valid0: Int32Array;
  private readonly started0: Int32Array;
  /** the normal's ring of lag-0 correlations, slot-major [slot * pairs + pair], with running sums */
  private readonly normalRing: Float64Array;
  private readonly normalSum: Float64Array;
  private readonly normalCount: Int32Array;

  /** ring row offsets of hour t − k (index k) and t − w − k (index L + 1 + k) */
  private readonly rows: Int32Array;
  private readonly names: { a: string; b: string; key: string }[];

  constructor(symbols: readonly string[], cfg: CorrelationConfig) {
    this.cfg = cfg;
    this.symbols = symbols;
    const idx = correlationPairs(symbols, cfg);
    this.pairIndices = idx;
    const n = (this.n = symbols.length);
    const w = (this.w = cfg.window_hours);
    const L = (this.lags = cfg.max_lag_hours);
    this.sumsPerPair = 2 * L + 1;
    this.ringLen = w + L + 1;
    const p = idx.length;

    this.windows = symbols.map(() => new RollingWindow(w));
    this.prevClose = new Float64Array(n).fill(NaN);
    this.shift = new Float64Array(n);
    this.ret = new Float64Array(this.ringLen * n).fill(NaN);
    this.dev = new Float64Array(this.ringLen * n).fill(NaN);
    this.lagDm = new Float64Array((L + 1) * n).fill(NaN);
    this.lagIv = new Float64Array((L + 1) * n).fill(NaN);
    this.flat = new Uint8Array(n);
    this.sumSq = new Float64Array(n);
    this.maxIv = new Float64Array(n);
    this.maxDm = new Float64Array(n);
    const lists: number[][] = symbols.map(() => []);
    this.pa = new Int32Array(p);
    this.pb = new Int32Array(p);
    for (let j = 0; j < p; j++) {
      this.pa[j] = idx[j][0];
      this.pb[j] = idx[j][1];
      lists[idx[j][0]].push(j);
      lists[idx[j][1]].push(j);
    }
    this.pairsOf = lists.map((l) => Int32Array.from(l));
    this.sums = new Float64Array(p * this.sumsPerPair);
    this.abs0 = new Float64Array(p);
    this.sqA0 = new Float64Array(p);
    this.sqB0 = new Float64Array(p);
    this.since = new Float64Array(p);
    this.stale = new Uint8Array(p);
    this.valid0 = new Int32Array(p);
    this.started0 = new Int32Array(p);
    this.normalRing = new Float64Array(cfg.normal_hours * p).fill(NaN);
    this.normalSum = new Float64Array(p);
    this.normalCount = new Int32Array(p);
    this.rows = new Int32Array(2 * (L + 1));
    this.names = idx.map(([a, b]) => ({ a: symbols[a], b: symbols[b], key: pairKey(symbols[a], symbols[b]) }));
  }

  /** closes[i] is the close of symbols[i] for hour ts, NaN when missing */
  step(ts: number, closes: ArrayLike<number>): CorrelationOutput {
    const t = this.t++;
    const { n, w, lags: L, ringLen: R, dev, rows, lagDm, lagIv } = this;
    const slot = t % R;
    for (let k = 0; k <= L; k++) {
      const s0 = slot - k;
      rows[k] = (s0 < 0 ? s0 + R : s0) * n;
      const s1 = slot - w - k;
      rows[L + 1 + k] = (s1 < 0 ? s1 + R : s1) * n;
    }
    const row = rows[0];
    // the lag history moves one hour back
    lagDm.copyWithin(n, 0, L * n);
    lagIv.copyWithin(n, 0, L * n);
    const invNm1 = 1 / Math.sqrt(w - 1);
    for (let s = 0; s < n; s++) {
      const c = closes[s] > 0 ? closes[s] : NaN;
      const r = Math.log(c / this.prevClose[s]);
      this.prevClose[s] = c;
      const x = r === r && r !== Infinity && r !== -Infinity ? r : NaN;
      this.ret[row + s] = x;
      const win = this.windows[s];
      win.push(x);
      let dm = NaN;
      let iv = NaN;
      this.flat[s] = 0;
      if (win.complete) {
        const mean = win.mean();
        const v = win.variance();
        if (v > 0) {
          iv = invNm1 / Math.sqrt(v);
          if (Math.abs(mean - this.shift[s]) > MAX_SHIFT_STDS * Math.sqrt(v)) this.reshift(s, mean);
        } else this.flat[s] = 1;
        dm = mean - this.shift[s];
      }
      const d = x - this.shift[s];
      dev[row + s] = d;
      if (d === d) this.sumSq[s] += d * d;
      lagDm[s] = dm;
      lagIv[s] = iv;
      let mi = 0;
      let md = 0;
      for (let k = 0; k <= L; k++) {
        const a = lagIv[k * n + s];
        const b = Math.abs(lagDm[k * n + s]);
        if (a > mi) mi = a;
        if (b > md) md = b;
      }
      this.maxIv[s] = mi;
      this.maxDm[s] = md;
    }
    return { ts, pairs: this.updatePairs(t) };
  }

  /** moves symbol s's shift to c: its deviations are recomputed and its pairs' sums rebuilt */
  private reshift(s: number, c: number): void {
    const n = this.n;
    const old = this.shift[s];
    this.shift[s] = c;
    for (let k = 0; k < this.ringLen; k++) this.dev[k * n + s] = this.ret[k * n + s] - c;
    // the lag history holds mean − old shift
    for (let k = 0; k <= this.lags; k++) this.lagDm[k * n + s] += old - c;
    for (const j of this.pairsOf[s]) this.stale[j] = 1;
  }

  /** exact sums of pair j's products over the windows ending now (the ring already holds hour t) */
  /** exact O(window) rebuilds of a pair's sums so far (for tests and the bench) */
  rebuilds = 0;

  private rebuild(j: number): void {
    this.rebuilds++;
    const { n, w, lags: L, dev, sums, sumsPerPair, ringLen: R } = this;
    const a = this.pa[j];
    const b = this.pb[j];
    const base = j * sumsPerPair;
    const slot = (this.t - 1) % R;
    const at = (k: number) => {
      const s = slot - k;
      return (s < 0 ? s + R : s) * n;
    };
    let maxAbs = 0;
    for (let k = 0; k <= L; k++) {
      let s1 = 0;
      let abs1 = 0;
      let s2 = 0;
      let abs2 = 0;
      for (let i = 0; i < w; i++) {
        const ri = at(i);
        const rk = at(i + k);
        const q = dev[rk + a] * dev[ri + b];
        if (q === q) {
          s1 += q;
          abs1 += Math.abs(q);
        }
        const q2 = dev[rk + b] * dev[ri + a];
        if (q2 === q2) {
          s2 += q2;
          abs2 += Math.abs(q2);
        }
      }
      sums[base + k] = s1;
      if (k > 0) sums[base + L + k] = s2;
      maxAbs = Math.max(maxAbs, abs1, k > 0 ? abs2 : 0);
    }
    // deviations of the last L hours will still be paired with future ones: count them as if new
    let extraA = 0;
    let extraB = 0;
    for (let k = 0; k < L; k++) {
      const da = dev[at(k) + a];
      const db = dev[at(k) + b];
      if (da === da) extraA += da * da;
      if (db === db) extraB += db * db;
    }
    this.abs0[j] = maxAbs;
    this.sqA0[j] = this.sumSq[a] - extraA;
    this.sqB0[j] = this.sumSq[b] - extraB;
    this.since[j] = 0;
    this.stale[j] = 0;
  }

  private updatePairs(t: number): PairCorrelation[] {
    const { n, w, lags: L, dev, rows, sums, sumsPerPair, lagDm, lagIv, cfg, sumSq, maxIv, maxDm } = this;
    const P = this.pa.length;
    const out: PairCorrelation[] = new Array(P);
    const leaving = t >= w;
    const nh = cfg.normal_hours;
    const normalRow = (t % nh) * P;
    const minCoverage = cfg.min_coverage;
    const rowNow = rows[0];
    const rowOut = rows[L + 1];
    const margin = cfg.leader_margin;
    for (let j = 0; j < P; j++) {
      const a = this.pa[j];
      const b = this.pb[j];
      const base = j * sumsPerPair;
      const xa = dev[rowNow + a];
      const xb = dev[rowNow + b];
      const ya = dev[rowOut + a];
      const yb = dev[rowOut + b];
      // lag-0 status bookkeeping (valid products in the window, pushes since the first valid one)
      const ok0 = xa === xa && xb === xb;
      let v0 = this.valid0[j] + (ok0 ? 1 : 0);
      if (leaving && ya === ya && yb === yb) v0--;
      this.valid0[j] = v0;
      let st = this.started0[j];
      if (st === 0) st = ok0 ? 1 : 0;
      else if (st <= w) st++;
      this.started0[j] = st;

      if (this.stale[j] === 1) this.rebuild(j);
      else {
        const since = ++this.since[j];
        for (let k = 0; k <= L; k++) {
          const q = dev[rows[k] + a] * xb;
          if (q === q) sums[base + k] += q;
          if (leaving) {
            const r = dev[rows[L + 1 + k] + a] * yb;
            if (r === r) sums[base + k] -= r;
          }
          if (k === 0) continue;
          const q2 = dev[rows[k] + b] * xa;
          if (q2 === q2) sums[base + L + k] += q2;
          if (leaving) {
            const r2 = dev[rows[L + 1 + k] + b] * ya;
            if (r2 === r2) sums[base + L + k] -= r2;
          }
        }
        // rounding bound of the sums in units of a correlation: Σ|product| added since the rebuild is at most
        // √(Σa²·Σb²) (Cauchy–Schwarz), and scale·√(Σa²·Σb²) ≤ (Σa²·iva² + Σb²·ivb²)/2
        const ia = maxIv[a];
        const ib = maxIv[b];
        if (ia > 0 && ib > 0) {
          const qa = (sumSq[a] - this.sqA0[j] + 8 * EPS * sumSq[a]) * ia * ia;
          const qb = (sumSq[b] - this.sqB0[j] + 8 * EPS * sumSq[b]) * ib * ib;
          const err = EPS * ((2 * since + w + 2) * (this.abs0[j] * ia * ib + 0.5 * (qa + qb)) + w * maxDm[a] * ia * maxDm[b] * ib);
          if (err > CORR_ACCURACY) this.rebuild(j);
        }
      }

      // correlations: lag 0, then the best |corr| per direction
      const dA0 = lagDm[a];
      const iA0 = lagIv[a];
      const dB0 = lagDm[b];
      const iB0 = lagIv[b];
      let corr = (sums[base] - w * dA0 * dB0) * iA0 * iB0;
      corr = corr > 1 ? 1 : corr < -1 ? -1 : corr;
      let bestAB = -1;
      let lagAB = 0;
      let corrAB = NaN;
      let bestBA = -1;
      let lagBA = 0;
      let corrBA = NaN;
      for (let k = 1; k <= L; k++) {
        const h = k * n;
        let cab = (sums[base + k] - w * lagDm[h + a] * dB0) * lagIv[h + a] * iB0;
        cab = cab > 1 ? 1 : cab < -1 ? -1 : cab;
        let cba = (sums[base + L + k] - w * lagDm[h + b] * dA0) * lagIv[h + b] * iA0;
        cba = cba > 1 ? 1 : cba < -1 ? -1 : cba;
        const aab = Math.abs(cab);
        const aba = Math.abs(cba);
        if (aab > bestAB) {
          bestAB = aab;
          lagAB = k;
          corrAB = cab;
        }
        if (aba > bestBA) {
          bestBA = aba;
          lagBA = k;
          corrBA = cba;
        }
      }

      // the normal: mean of the previous normal_hours lag-0 correlations, read before this hour enters
      const count = this.normalCount[j];
      const coverage = count / nh;
      const normal = coverage >= minCoverage && count > 0 ? this.normalSum[j] / count : null;
      const ni = normalRow + j;
      const old = this.normalRing[ni];
      if (old === old) {
        this.normalSum[j] -= old;
        this.normalCount[j]--;
      }
      if (corr === corr) {
        this.normalSum[j] += corr;
        this.normalCount[j]++;
      }
      this.normalRing[ni] = corr;

      const status = completeStatus(v0, st, w);
      const corrOk = corr === corr;
      const dir = leadDirection(bestAB < 0 ? NaN : bestAB, bestBA < 0 ? NaN : bestBA, margin);
      const nm = this.names[j];
      out[j] = {
        a: nm.a,
        b: nm.b,
        key: nm.key,
        status: status === 'ok' && !corrOk ? (this.flat[a] === 1 || this.flat[b] === 1 ? 'flat_window' : 'no_data') : status,
        corr: corrOk ? corr : null,
        normal,
        normal_coverage: coverage,
        delta: corrOk && normal !== null ? corr - normal : null,
        broken: corrOk ? isCorrelationBreak(corr, normal, cfg) : null,
        leader: dir === 1 ? nm.a : dir === -1 ? nm.b : null,
        lag_hours: dir === 1 ? lagAB : dir === -1 ? lagBA : null,
        lead_strength: dir === 1 ? corrAB : dir === -1 ? corrBA : null,
      };
    }
    // the running sums of the normal are rebuilt once per normal length, so their drift stays bounded
    if (normalRow === (nh - 1) * P) this.rebuildNormals();
    return out;
  }

  private rebuildNormals(): void {
    const P = this.pa.length;
    const nh = this.cfg.normal_hours;
    this.normalSum.fill(0);
    this.normalCount.fill(0);
    for (let k = 0; k < nh; k++) {
      const row = k * P;
      for (let j = 0; j < P; j++) {
        const v = this.normalRing[row + j];
        if (v === v) {
          this.normalSum[j] += v;
          this.normalCount[j]++;
        }
      }
    }
  }
}

/** as RollingWindow.completeStatus: nothing valid yet is no data, an unbroken short run is warming up */
function completeStatus(valid: number, started: number, capacity: number): WindowStatus {
  if (valid === capacity) return 'ok';
  if (started === 0) return 'no_data';
  return started < capacity && valid === started ? 'warming_up' : 'gap_in_window';
}

export function pairKey(a: string, b: string): string {
  return `${a.toLowerCase()}_${b.toLowerCase()}`;
}
