import * as z from 'zod';
import { RollingWindow, type WindowStatus } from './rolling.ts';
import { BOUNDS, finiteNumber, fraction, intAtLeast, nonNegativeNumber, positiveInt, positiveNumber } from './schema.ts';
import { thousands } from '../thousands.ts';
import { CORR_ACCURACY, EPS, F_ABS0, F_NCOUNT, F_NSUM, F_SINCE, F_SQA0, F_SQB0, F_STALE, F_STARTED0, F_VALID0, pairKernel, ST_FLAT, ST_GAP, ST_NO_DATA, ST_OK, ST_WARMING_UP, sumAB, sumBA, type PairKernel } from './pair-kernel.ts';

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

/**
 * One hour of the correlation detector. The values live in the detector's columns (PairColumns), which the next
 * step overwrites: read `pairs` or `columns` during the step that returned this output (pairs, once read, are
 * plain objects and stay valid). At 100 symbols an object per pair per hour was most of the replay's garbage.
 */
export interface CorrelationOutput {
  ts: number;
  /** every followed pair, in pairIndices order; built on first read */
  readonly pairs: readonly PairCorrelation[];
  /** the same values column by column; throws once the detector has stepped on */
  readonly columns: PairColumns;
  /** the detector has not stepped on: columns can be read */
  readonly current: boolean;
  /** some pair of this symbol has a missing hour in its window (from the pairs once read, else the columns) */
  gapFor(symbol: string): boolean;
}

/** pair status codes in PairColumns.status */
const STATUS_NAMES: readonly WindowStatus[] = ['ok', 'no_data', 'warming_up', 'gap_in_window', 'flat_window'];

type ColumnName = 'pa' | 'pb' | 'status' | 'corr' | 'normal' | 'coverage' | 'broken' | 'leader' | 'lag' | 'strength';

/** What every followed pair says at one hour, as typed columns indexed by pair (NaN or −1 where the object says null). */
export class PairColumns {
  readonly size: number;
  /** symbol indices of each pair's a and b */
  readonly pa: Int32Array;
  readonly pb: Int32Array;
  readonly names: readonly { readonly a: string; readonly b: string; readonly key: string; readonly label: string }[];
  readonly status: Uint8Array;
  readonly corr: Float64Array;
  readonly normal: Float64Array;
  readonly coverage: Float64Array;
  /** 1 broken, 0 not, −1 unknown */
  readonly broken: Int8Array;
  /** 1 a leads, −1 b leads, 0 neither */
  readonly leader: Int8Array;
  readonly lag: Uint8Array;
  readonly strength: Float64Array;
  /** pairs with broken = 1 this hour: most hours have none, and the rules skip the scan */
  brokenCount = 0;
  /** bumped by every step that rewrites the columns */
  hour = 0;
  /** symbol → index, and per symbol whether one of its pairs has a gap in its window (as of hour gapsHour) */
  private readonly symbolIndex: Map<string, number>;
  private readonly gaps: Uint8Array;
  private gapsHour = -1;

  /** `columns`: arrays to use (the detector's kernel memory, pa and pb filled in), instead of new ones */
  constructor(symbols: readonly string[], idx: readonly (readonly [number, number])[], columns?: Pick<PairKernel, ColumnName>) {
    const p = (this.size = idx.length);
    this.names = idx.map(([a, b]) => ({ a: symbols[a], b: symbols[b], key: pairKey(symbols[a], symbols[b]), label: `${symbols[a]}/${symbols[b]}` }));
    this.symbolIndex = new Map(symbols.map((s, i) => [s, i]));
    this.gaps = new Uint8Array(symbols.length);
    const c = columns ?? {
      pa: Int32Array.from(idx, (x) => x[0]),
      pb: Int32Array.from(idx, (x) => x[1]),
      status: new Uint8Array(p),
      corr: new Float64Array(p),
      normal: new Float64Array(p),
      coverage: new Float64Array(p),
      broken: new Int8Array(p),
      leader: new Int8Array(p),
      lag: new Uint8Array(p),
      strength: new Float64Array(p),
    };
    this.pa = c.pa;
    this.pb = c.pb;
    this.status = c.status;
    this.corr = c.corr;
    this.normal = c.normal;
    this.coverage = c.coverage;
    this.broken = c.broken;
    this.leader = c.leader;
    this.lag = c.lag;
    this.strength = c.strength;
  }

  /** some pair of this symbol has a missing hour in its window (status gap_in_window) this hour */
  gapFor(symbol: string): boolean {
    if (this.gapsHour !== this.hour) {
      // once per hour for every symbol, rather than every pair scanned for each symbol's row
      this.gaps.fill(0);
      for (let j = 0; j < this.size; j++) {
        if (this.status[j] !== ST_GAP) continue;
        this.gaps[this.pa[j]] = 1;
        this.gaps[this.pb[j]] = 1;
      }
      this.gapsHour = this.hour;
    }
    const s = this.symbolIndex.get(symbol);
    return s !== undefined && this.gaps[s] === 1;
  }

  /** the leader's symbol of pair j, null when neither leads */
  leaderOf(j: number): string | null {
    const dir = this.leader[j];
    return dir === 1 ? this.names[j].a : dir === -1 ? this.names[j].b : null;
  }

  /** pair j as the object the feature rows and alerts read */
  pair(j: number): PairCorrelation {
    const nm = this.names[j];
    const corr = this.corr[j];
    const normal = this.normal[j];
    const corrOk = corr === corr;
    const dir = this.leader[j];
    return {
      a: nm.a,
      b: nm.b,
      key: nm.key,
      status: STATUS_NAMES[this.status[j]],
      corr: corrOk ? corr : null,
      normal: normal === normal ? normal : null,
      normal_coverage: this.coverage[j],
      delta: corrOk && normal === normal ? corr - normal : null,
      broken: this.broken[j] < 0 ? null : this.broken[j] === 1,
      leader: dir === 1 ? nm.a : dir === -1 ? nm.b : null,
      lag_hours: dir === 0 ? null : this.lag[j],
      lead_strength: dir === 0 ? null : this.strength[j],
    };
  }

  /** columns holding the given pair objects (hand-made outputs, tests) */
  static fromPairs(symbols: readonly string[], pairs: readonly PairCorrelation[]): PairColumns {
    const at = (s: string) => {
      const i = symbols.indexOf(s);
      if (i < 0) throw new RangeError(`PairColumns.fromPairs: ${s} is not among the symbols`);
      return i;
    };
    const cols = new PairColumns(symbols, pairs.map((p) => [at(p.a), at(p.b)] as const));
    pairs.forEach((p, j) => {
      cols.status[j] = STATUS_NAMES.indexOf(p.status);
      cols.corr[j] = p.corr ?? NaN;
      cols.normal[j] = p.normal ?? NaN;
      cols.coverage[j] = p.normal_coverage;
      cols.broken[j] = p.broken === null ? -1 : p.broken ? 1 : 0;
      if (p.broken === true) cols.brokenCount++;
      cols.leader[j] = p.leader === null ? 0 : p.leader === p.a ? 1 : -1;
      cols.lag[j] = p.lag_hours ?? 0;
      cols.strength[j] = p.lead_strength ?? NaN;
    });
    return cols;
  }
}

class CorrelationHour implements CorrelationOutput {
  readonly ts: number;
  private readonly cols: PairColumns;
  private readonly hour: number;
  private built: PairCorrelation[] | null = null;

  constructor(ts: number, cols: PairColumns) {
    this.ts = ts;
    this.cols = cols;
    this.hour = cols.hour;
  }

  get current(): boolean {
    return this.cols.hour === this.hour;
  }

  get columns(): PairColumns {
    if (!this.current) {
      throw new Error(`correlations of ${new Date(this.ts).toISOString()} read after the detector stepped on: read them during the step`);
    }
    return this.cols;
  }

  gapFor(symbol: string): boolean {
    if (this.built === null) return this.columns.gapFor(symbol);
    return this.built.some((p) => p.status === 'gap_in_window' && (p.a === symbol || p.b === symbol));
  }

  get pairs(): readonly PairCorrelation[] {
    if (this.built === null) {
      const cols = this.columns;
      const out: PairCorrelation[] = new Array(cols.size);
      for (let j = 0; j < cols.size; j++) out[j] = cols.pair(j);
      this.built = out;
    }
    return this.built;
  }
}

/** an output over fixed columns (hand-made outputs, tests) */
export function correlationOutputOf(ts: number, symbols: readonly string[], pairs: readonly PairCorrelation[]): CorrelationOutput {
  return new CorrelationHour(ts, PairColumns.fromPairs(symbols, pairs));
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
      message: `${n} symbols: set "all" (${thousands((n * (n - 1)) / 2)} pairs) or "anchors" (each of correlation.anchors against every other symbol); the default "all" stops at ${MAX_DEFAULT_ALL_PAIRS_SYMBOLS} symbols`,
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
 *
 * The hour's loop over the pairs runs in WebAssembly (pair-kernel.ts), over state kept in the kernel's memory;
 * pairLoop is the same loop in JavaScript, which the kernel is tested against bit for bit.
 */
export class CorrelationDetector {
  readonly cfg: CorrelationConfig;
  readonly symbols: readonly string[];
  /** [a, b] symbol indices per followed pair */
  readonly pairIndices: readonly (readonly [number, number])[];
  private readonly n: number;
  private readonly w: number;
  private readonly lags: number;
  /** sums per pair: lag 0, then per lag k = 1..L the pair (a leads by k, b leads by k): sumAB and sumBA */
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
  /**
   * Everything a pair carries from hour to hour in one block of `stride` numbers, [pair * stride + field]: its
   * 2L + 1 product sums, then the fields F_* below. One block read per pair instead of a dozen arrays, each a
   * separate stream through the cache.
   */
  private readonly state: Float64Array;
  private readonly stride: number;
  /** the normal's ring of lag-0 correlations, slot-major [slot * pairs + pair] */
  private readonly normalRing: Float64Array;

  /** ring row offsets of hour t − k (index k) and t − w − k (index L + 1 + k) */
  private readonly rows: Int32Array;
  /** this hour's output columns, rewritten by every step */
  private readonly out: PairColumns;
  /** per symbol s and lag k, [s * (L + 1) + k]: deviation entering, deviation leaving, window mean − shift, scale */
  private readonly cur: Float64Array;
  private readonly old: Float64Array;
  private readonly dmv: Float64Array;
  private readonly ivv: Float64Array;
  /** the pair loop in WebAssembly (pair-kernel.ts); false only to compare it with the JavaScript loop in tests */
  private readonly kernel: PairKernel;
  private readonly useKernel: boolean;

  constructor(symbols: readonly string[], cfg: CorrelationConfig, options: { kernel?: boolean } = {}) {
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
    // the state the pair loop reads and writes lives in the kernel's memory, whichever loop runs
    const k = pairKernel(n, idx, L, { window: w, margin: cfg.leader_margin, minCoverage: cfg.min_coverage, normalHours: cfg.normal_hours, breakLevel: cfg.break_level, breakDrop: cfg.break_drop });
    this.useKernel = options.kernel ?? true;
    this.kernel = k;
    this.flat = k.flat;
    this.sumSq = k.sumSq;
    this.maxIv = k.maxIv;
    this.maxDm = k.maxDm;
    this.out = new PairColumns(symbols, idx, k);
    this.pa = k.pa;
    this.pb = k.pb;
    const lists: number[][] = symbols.map(() => []);
    for (let j = 0; j < p; j++) {
      lists[idx[j][0]].push(j);
      lists[idx[j][1]].push(j);
    }
    this.pairsOf = lists.map((l) => Int32Array.from(l));
    this.stride = k.stride;
    this.state = k.state;
    this.normalRing = k.normalRing.fill(NaN);
    this.rows = new Int32Array(2 * (L + 1));
    this.cur = k.cur;
    this.old = k.old;
    this.dmv = k.dmv;
    this.ivv = k.ivv;
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
    this.out.hour++;
    this.updatePairs(t);
    return new CorrelationHour(ts, this.out);
  }

  /** moves symbol s's shift to c: its deviations are recomputed and its pairs' sums rebuilt */
  private reshift(s: number, c: number): void {
    const n = this.n;
    const old = this.shift[s];
    this.shift[s] = c;
    for (let k = 0; k < this.ringLen; k++) this.dev[k * n + s] = this.ret[k * n + s] - c;
    // the lag history holds mean − old shift
    for (let k = 0; k <= this.lags; k++) this.lagDm[k * n + s] += old - c;
    const f = this.sumsPerPair + F_STALE;
    for (const j of this.pairsOf[s]) this.state[j * this.stride + f] = 1;
  }

  /** exact O(window) rebuilds of a pair's sums so far (for tests and the bench) */
  rebuilds = 0;

  /** exact sums of pair j's products over the windows ending now (the ring already holds hour t) */
  private rebuild(j: number): void {
    this.rebuilds++;
    const { n, w, lags: L, dev, state: sums, sumsPerPair, ringLen: R } = this;
    const a = this.pa[j];
    const b = this.pb[j];
    const base = j * this.stride;
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
      sums[base + (k === 0 ? 0 : sumAB(k))] = s1;
      if (k > 0) sums[base + sumBA(k)] = s2;
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
    const f = base + sumsPerPair;
    sums[f + F_ABS0] = maxAbs;
    sums[f + F_SQA0] = this.sumSq[a] - extraA;
    sums[f + F_SQB0] = this.sumSq[b] - extraB;
    sums[f + F_SINCE] = 0;
    sums[f + F_STALE] = 0;
  }

  private updatePairs(t: number): void {
    const { n, w, lags: L, dev, rows, lagDm, lagIv, cfg, pa } = this;
    const P = pa.length;
    const leaving = t >= w;
    const nh = cfg.normal_hours;
    const normalRow = (t % nh) * P;
    // this hour's values per symbol, symbol-major so a pair reads two short runs: deviations entering at lag k,
    // leaving at lag k, and the lag-k window mean and scale
    const K = L + 1;
    const { cur, old, dmv, ivv } = this;
    for (let s = 0; s < n; s++) {
      for (let k = 0; k <= L; k++) {
        cur[s * K + k] = dev[rows[k] + s];
        old[s * K + k] = dev[rows[K + k] + s];
        dmv[s * K + k] = lagDm[k * n + s];
        ivv[s * K + k] = lagIv[k * n + s];
      }
    }
    if (this.useKernel) {
      const kernel = this.kernel;
      kernel.brokenCount = 0;
      // the kernel stops at each pair whose sums need a rebuild, which then goes on from where it stopped
      let from = 0;
      let resume = false;
      for (;;) {
        const j = kernel.run(from, resume, leaving, normalRow);
        if (j < 0) break;
        this.rebuild(j);
        from = j;
        resume = true;
      }
      this.out.brokenCount = kernel.brokenCount;
    } else this.pairLoop(leaving, normalRow);
    // the running sums of the normal are rebuilt once per normal length, so their drift stays bounded (by the hour,
    // not by normalRow: with no pair followed every row is 0, and an empty rebuild of normal_hours rows each hour
    // was most of a one-symbol replay's time)
    if (t % nh === nh - 1) this.rebuildNormals();
  }

  /** the kernel's loop (pair-kernel.ts) in plain JavaScript: what it is checked against, so written for reading, not speed */
  private pairLoop(leaving: boolean, normalRow: number): void {
    const { w, lags: L, state: sums, sumsPerPair, stride, cfg, sumSq, maxIv, maxDm, out, flat, pa, pb, normalRing } = this;
    const { status: outStatus, corr: outCorr, normal: outNormal, coverage: outCoverage, broken: outBroken, leader: outLeader, lag: outLag, strength: outStrength } = out;
    const P = pa.length;
    const nh = cfg.normal_hours;
    const minCoverage = cfg.min_coverage;
    const margin = cfg.leader_margin;
    const K = L + 1;
    const { cur, old, dmv, ivv } = this;
    let brokenCount = 0;
    for (let j = 0; j < P; j++) {
      const a = pa[j];
      const b = pb[j];
      const base = j * stride;
      const f = base + sumsPerPair;
      const ak = a * K;
      const bk = b * K;
      const xa = cur[ak];
      const xb = cur[bk];
      const ya = old[ak];
      const yb = old[bk];
      // lag-0 status bookkeeping (valid products in the window, pushes since the first valid one)
      const ok0 = xa === xa && xb === xb;
      let v0 = sums[f + F_VALID0] + (ok0 ? 1 : 0);
      if (leaving && ya === ya && yb === yb) v0--;
      sums[f + F_VALID0] = v0;
      let st = sums[f + F_STARTED0];
      if (st === 0) st = ok0 ? 1 : 0;
      else if (st <= w) st++;
      sums[f + F_STARTED0] = st;

      if (sums[f + F_STALE] === 1) this.rebuild(j);
      else {
        const sn = sums[f + F_SINCE] + 1;
        sums[f + F_SINCE] = sn;
        const q0 = cur[ak] * xb;
        if (q0 === q0) sums[base] += q0;
        if (leaving) {
          const r0 = old[ak] * yb;
          if (r0 === r0) sums[base] -= r0;
        }
        for (let k = 1; k <= L; k++) {
          const q = cur[ak + k] * xb;
          if (q === q) sums[base + sumAB(k)] += q;
          const q2 = cur[bk + k] * xa;
          if (q2 === q2) sums[base + sumBA(k)] += q2;
          if (leaving) {
            const r = old[ak + k] * yb;
            if (r === r) sums[base + sumAB(k)] -= r;
            const r2 = old[bk + k] * ya;
            if (r2 === r2) sums[base + sumBA(k)] -= r2;
          }
        }
        // rounding bound of the sums in units of a correlation: Σ|product| added since the rebuild is at most
        // √(Σa²·Σb²) (Cauchy–Schwarz), and scale·√(Σa²·Σb²) ≤ (Σa²·iva² + Σb²·ivb²)/2
        const ia = maxIv[a];
        const ib = maxIv[b];
        if (ia > 0 && ib > 0) {
          const qa = (sumSq[a] - sums[f + F_SQA0] + 8 * EPS * sumSq[a]) * ia * ia;
          const qb = (sumSq[b] - sums[f + F_SQB0] + 8 * EPS * sumSq[b]) * ib * ib;
          const err = EPS * ((2 * sn + w + 2) * (sums[f + F_ABS0] * ia * ib + 0.5 * (qa + qb)) + w * maxDm[a] * ia * maxDm[b] * ib);
          if (err > CORR_ACCURACY) this.rebuild(j);
        }
      }

      // correlations: lag 0, then the best |corr| per direction
      const dA0 = dmv[ak];
      const iA0 = ivv[ak];
      const dB0 = dmv[bk];
      const iB0 = ivv[bk];
      let corr = (sums[base] - w * dA0 * dB0) * iA0 * iB0;
      corr = corr > 1 ? 1 : corr < -1 ? -1 : corr;
      // the first lag of the largest |corr| per direction (a NaN never wins)
      let bestAB = -1;
      let lagAB = 0;
      let corrAB = NaN;
      let bestBA = -1;
      let lagBA = 0;
      let corrBA = NaN;
      for (let k = 1; k <= L; k++) {
        let cab = (sums[base + sumAB(k)] - w * dmv[ak + k] * dB0) * ivv[ak + k] * iB0;
        cab = cab > 1 ? 1 : cab < -1 ? -1 : cab;
        let cba = (sums[base + sumBA(k)] - w * dmv[bk + k] * dA0) * ivv[bk + k] * iA0;
        cba = cba > 1 ? 1 : cba < -1 ? -1 : cba;
        if (Math.abs(cab) > bestAB) {
          bestAB = Math.abs(cab);
          lagAB = k;
          corrAB = cab;
        }
        if (Math.abs(cba) > bestBA) {
          bestBA = Math.abs(cba);
          lagBA = k;
          corrBA = cba;
        }
      }

      // the normal: mean of the previous normal_hours lag-0 correlations, read before this hour enters
      const count = sums[f + F_NCOUNT];
      const coverage = count / nh;
      // NaN, not null, when unknown: a number | null local would box every value (and isCorrelationBreak reads NaN as null)
      const normal = coverage >= minCoverage && count > 0 ? sums[f + F_NSUM] / count : NaN;
      const ni = normalRow + j;
      const leavingCorr = normalRing[ni];
      if (leavingCorr === leavingCorr) {
        sums[f + F_NSUM] -= leavingCorr;
        sums[f + F_NCOUNT]--;
      }
      const corrOk = corr === corr;
      if (corrOk) {
        sums[f + F_NSUM] += corr;
        sums[f + F_NCOUNT]++;
      }
      normalRing[ni] = corr;

      let status = completeStatus(v0, st, w);
      if (status === ST_OK && !corrOk) status = flat[a] === 1 || flat[b] === 1 ? ST_FLAT : ST_NO_DATA;
      outStatus[j] = status;
      outCorr[j] = corr;
      outNormal[j] = normal;
      outCoverage[j] = coverage;
      const broken = corrOk ? (isCorrelationBreak(corr, normal, cfg) ? 1 : 0) : -1;
      outBroken[j] = broken;
      if (broken === 1) brokenCount++;
      const dir = leadDirection(bestAB < 0 ? NaN : bestAB, bestBA < 0 ? NaN : bestBA, margin);
      outLeader[j] = dir;
      outLag[j] = dir === 1 ? lagAB : dir === -1 ? lagBA : 0;
      outStrength[j] = dir === 1 ? corrAB : dir === -1 ? corrBA : NaN;
    }
    out.brokenCount = brokenCount;
  }

  private rebuildNormals(): void {
    const { state, normalRing, stride } = this;
    const P = this.pa.length;
    const nh = this.cfg.normal_hours;
    const f = this.sumsPerPair;
    for (let j = 0; j < P; j++) {
      state[j * stride + f + F_NSUM] = 0;
      state[j * stride + f + F_NCOUNT] = 0;
    }
    for (let k = 0; k < nh; k++) {
      const row = k * P;
      for (let j = 0; j < P; j++) {
        const v = normalRing[row + j];
        if (v === v) {
          state[j * stride + f + F_NSUM] += v;
          state[j * stride + f + F_NCOUNT]++;
        }
      }
    }
  }
}

/** as RollingWindow.completeStatus, as a status code: nothing valid yet is no data, an unbroken short run is warming up */
function completeStatus(valid: number, started: number, capacity: number): number {
  if (valid === capacity) return ST_OK;
  if (started === 0) return ST_NO_DATA;
  return started < capacity && valid === started ? ST_WARMING_UP : ST_GAP;
}

export function pairKey(a: string, b: string): string {
  return `${a.toLowerCase()}_${b.toLowerCase()}`;
}
