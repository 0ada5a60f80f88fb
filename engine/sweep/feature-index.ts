/**
 * The feature columns rearranged once per feature set for the rules: only the hours a rule can fire at, each
 * funding settlement as the run of hours it stands, and each regime timeframe as its held bars. Every
 * configuration then walks these short lists instead of every hour.
 */
import type { FeatureSet } from './features.ts';
import { correlationBreakDirection, laggingSide } from '../pipeline/rule-definitions.ts';
import { sortedOrder } from './threshold-index.ts';
import { toShared } from './shared.ts';

export interface FeatureIndex {
  symbols: {
    /** present hours with a complete liquidation window */
    liqHours: Int32Array;
    liqTotal: Float64Array;
    liqZ: Float64Array;
    liqDir: Int8Array;
    /** those hours in ascending order of their total and of their z (sortedOrder; a NaN z in none): a cascade needs a total or a z above a floor */
    liqByTotal: Int32Array;
    liqByZ: Int32Array;
    /** present hours with a volatility ratio */
    volHours: Int32Array;
    volRatio: Float64Array;
    volRet24: Float64Array;
    /** per settlement: the first hour it stands, how many hours it stands, its age (hours) in that first hour */
    settleStart: Int32Array;
    settleLength: Int32Array;
    settleAge: Float64Array;
    /** per settlement |z|, and the settlements in ascending order of it (sortedOrder; a NaN z in none) */
    settleAbsZ: Float64Array;
    settleByAbsZ: Int32Array;
    presentHours: Int32Array;
    /** per timeframe (REGIME_TIMEFRAMES order) */
    bars: HeldBars[];
    /** per present hour: its 1h bar, and its segment (a run where no higher-timeframe bar changes) */
    hourBar: Int32Array;
    hourSegment: Int32Array;
    /** per segment: the 4h, 1d and 1w bar it holds */
    segmentBars: [Int32Array, Int32Array, Int32Array];
    /**
     * per timeframe: the present hours (indices into presentHours) that read each bar, firstHour[b] <= k < endHour[b]
     * (empty, at the end, for a bar no present hour reads)
     */
    barHours: { firstHour: Int32Array; endHour: Int32Array }[];
  }[];
  /**
   * per pair hour with a correlation: its value, normal, and the direction of a break (the lagging symbol's 24 h
   * return sign); byCorr and byDrop: those positions by ascending correlation and correlation − normal (sortedOrder)
   */
  pairs: { hours: Int32Array; corr: Float64Array; normal: Float64Array; direction: Int8Array; byCorr: Int32Array; byDrop: Int32Array }[];
}

/** the bar values a regime threshold is compared with (regime-hours.ts) */
export type RegimeFeature = 'heat' | 'priceZ' | 'absPriceZ' | 'volumeZ';
const REGIME_FEATURES: readonly RegimeFeature[] = ['heat', 'priceZ', 'absPriceZ', 'volumeZ'];

/**
 * a timeframe's held bars: the hour each starts being held, and its z-scores and heat (NaN: no regime); per
 * regime feature, the bars in ascending order of its value (sortedOrder): sorted once per feature set and shared
 * by every worker, instead of by each worker that moves a threshold
 */
export interface HeldBars {
  start: Int32Array;
  priceZ: Float64Array;
  volumeZ: Float64Array;
  heat: Float64Array;
  order: Record<RegimeFeature, Int32Array>;
}

export function regimeFeatureValues(bars: Pick<HeldBars, 'heat' | 'priceZ' | 'volumeZ'>, feature: RegimeFeature): Float64Array {
  return feature === 'absPriceZ' ? absolute(bars.priceZ) : bars[feature];
}

// plain loops below, not TypedArray.from or .map with a callback: the index's columns are long and the features
// job builds it while every worker waits for it

function absolute(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.abs(values[i]);
  return out;
}

/** the column's entries at the given positions, into `out` */
function gathered<A extends Float64Array | Int8Array>(column: A, at: Int32Array, out: A): A {
  for (let k = 0; k < at.length; k++) out[k] = column[at[k]];
  return out;
}

function gatheredFloats(column: Float64Array, at: Int32Array): Float64Array {
  return gathered(column, at, new Float64Array(at.length));
}

/** the first `hours` hours where the symbol is present (`present` null: every hour) and `column`, if given, is not NaN */
function hoursWhere(hours: number, present: Uint8Array | null, column: Float64Array | null): Int32Array {
  const out = new Int32Array(hours);
  let n = 0;
  for (let i = 0; i < hours; i++) {
    if (present !== null && present[i] !== 1) continue;
    if (column !== null && column[i] !== column[i]) continue;
    out[n++] = i;
  }
  return out.slice(0, n);
}

function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/** run-length form of one timeframe column: a weekly bar is classified once, not 168 times */
function heldBars(fs: FeatureSet, s: number, t: number): HeldBars {
  const f = fs.bySymbol[s];
  const pz = f.priceZ[t];
  const vz = f.volumeZ[t];
  const heat = f.heat[t];
  const starts: number[] = [];
  for (let i = 0; i < fs.hours; i++) {
    if (i === 0 || !same(pz[i], pz[i - 1]) || !same(vz[i], vz[i - 1]) || !same(heat[i], heat[i - 1])) starts.push(i);
  }
  const start = Int32Array.from(starts);
  const values = { priceZ: gatheredFloats(pz, start), volumeZ: gatheredFloats(vz, start), heat: gatheredFloats(heat, start) };
  const order = Object.fromEntries(REGIME_FEATURES.map((f) => [f, sortedOrder(regimeFeatureValues(values, f))])) as Record<RegimeFeature, Int32Array>;
  return { start, ...values, order };
}

/** which bar of each timeframe every present hour reads, so a configuration never searches for it */
function regimeLayout(bars: HeldBars[], presentHours: Int32Array) {
  const hourBar = new Int32Array(presentHours.length);
  const hourSegment = new Int32Array(presentHours.length);
  const seg: [number[], number[], number[]] = [[], [], []];
  const p = [0, 0, 0, 0];
  let last = [-1, -1, -1];
  for (let k = 0; k < presentHours.length; k++) {
    const i = presentHours[k];
    for (let t = 0; t < 4; t++) while (p[t] + 1 < bars[t].start.length && bars[t].start[p[t] + 1] <= i) p[t]++;
    hourBar[k] = p[0];
    if (p[1] !== last[0] || p[2] !== last[1] || p[3] !== last[2]) {
      last = [p[1], p[2], p[3]];
      for (let t = 0; t < 3; t++) seg[t].push(p[t + 1]);
    }
    hourSegment[k] = seg[0].length - 1;
  }
  const segmentBars = seg.map((x) => Int32Array.from(x)) as [Int32Array, Int32Array, Int32Array];
  return { hourBar, hourSegment, segmentBars, barHours: bars.map((b, t) => barHourRanges(b.start.length, t === 0 ? hourBar : null, segmentBars[t - 1] ?? null, hourSegment)) };
}

/** which present hours read each bar of a timeframe: its 1h bar (hourBar) or its segment's bar (segmentBar) */
function barHourRanges(bars: number, hourBar: Int32Array | null, segmentBar: Int32Array | null, hourSegment: Int32Array): { firstHour: Int32Array; endHour: Int32Array } {
  const n = hourSegment.length;
  const firstHour = new Int32Array(bars).fill(n);
  const endHour = new Int32Array(bars).fill(n);
  for (let k = n - 1; k >= 0; k--) {
    const b = hourBar !== null ? hourBar[k] : segmentBar![hourSegment[k]];
    if (endHour[b] === n && firstHour[b] === n) endHour[b] = k + 1;
    firstHour[b] = k;
  }
  // a bar no present hour reads: an empty range
  for (let b = 0; b < bars; b++) if (firstHour[b] === n) endHour[b] = n;
  return { firstHour, endHour };
}

/** per hour: the direction of the pair's break, the lagging symbol's 24 h return sign */
function breakDirections(fs: FeatureSet, p: FeatureSet['pairs'][number], hours: Int32Array): Int8Array {
  const out = new Int8Array(hours.length);
  for (let k = 0; k < hours.length; k++) {
    const i = hours[k];
    const lagging = laggingSide(p.leader[i]) === 'a' ? p.a : p.b;
    out[k] = correlationBreakDirection(fs.bySymbol[lagging].ret24[i]);
  }
  return out;
}

/**
 * the feature set's index (the shared one the features job attached, features.ts, else built here) as a new object:
 * the rules keep their state per index object, so each evaluator has its own
 */
export function buildIndex(fs: FeatureSet): FeatureIndex {
  return { ...(fs.index ?? buildSharedIndex(fs)) };
}

/**
 * The set as a sweep holds and caches it (the features job, jobs.ts): its index built once, in shared memory, and
 * the hourly regime columns dropped. The index holds those as held bars, and nothing reads them after it is built;
 * they were 21 of the 60 MB that every sweep over a cached feature set read into fresh memory before its first
 * configuration (≈ 3 ms a megabyte on this machine, nearly all of it page faults).
 */
export function withSharedIndex(fs: FeatureSet): FeatureSet {
  const index = toShared(buildSharedIndex(fs));
  return { ...fs, index, bySymbol: fs.bySymbol.map((f) => ({ ...f, priceZ: [], volumeZ: [], heat: [] })) };
}

/** what the features job builds once and attaches to the set (withSharedIndex) */
export function buildSharedIndex(fs: FeatureSet): FeatureIndex {
  const symbols = fs.bySymbol.map((f, s) => {
    const liqHours = hoursWhere(fs.hours, f.present, f.liqTotal);
    const volHours = hoursWhere(fs.hours, f.present, f.volRatio);
    const n = f.settleZ.length;
    const settleStart = new Int32Array(n).fill(-1);
    const settleLength = new Int32Array(n);
    const settleAge = new Float64Array(n);
    for (let i = 0; i < fs.hours; i++) {
      const k = f.fundIdx[i];
      if (k < 0) continue;
      if (settleStart[k] < 0) {
        settleStart[k] = i;
        settleAge[k] = f.fundSince[i];
      }
      settleLength[k]++;
    }
    const settleAbsZ = absolute(f.settleZ);
    const presentHours = hoursWhere(fs.hours, f.present, null);
    const bars = [0, 1, 2, 3].map((t) => heldBars(fs, s, t));
    const liqTotal = gatheredFloats(f.liqTotal, liqHours);
    const liqZ = gatheredFloats(f.liqZ, liqHours);
    return {
      ...regimeLayout(bars, presentHours),
      presentHours,
      bars,
      liqHours,
      liqTotal,
      liqByTotal: sortedOrder(liqTotal),
      liqZ,
      liqByZ: sortedOrder(liqZ),
      liqDir: gathered(f.liqDir, liqHours, new Int8Array(liqHours.length)),
      volHours,
      volRatio: gatheredFloats(f.volRatio, volHours),
      volRet24: gatheredFloats(f.ret24, volHours),
      settleStart,
      settleLength,
      settleAge,
      settleAbsZ,
      settleByAbsZ: sortedOrder(settleAbsZ),
    };
  });
  const pairs = fs.pairs.map((p) => {
    const hours = hoursWhere(fs.hours, null, p.corr);
    const corr = gatheredFloats(p.corr, hours);
    const normal = gatheredFloats(p.normal, hours);
    // current − normal exactly as isCorrelationBreak computes it; NaN where there is no normal (never a drop)
    const drop = new Float64Array(hours.length);
    for (let k = 0; k < hours.length; k++) drop[k] = corr[k] - normal[k];
    return { hours, corr, normal, direction: breakDirections(fs, p, hours), byCorr: sortedOrder(corr), byDrop: sortedOrder(drop) };
  });
  return { symbols, pairs };
}
