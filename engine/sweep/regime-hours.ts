/**
 * The four-timeframe regime code of every present hour of one symbol, kept up to date from one regime config
 * to the next instead of reclassified from scratch.
 *
 * A bar's regime (spotRegimeIndex) compares its heat, price z, |price z| and volume z with thresholds. When a
 * threshold moves from a to b, only bars whose value lies between a and b can change class, so each
 * timeframe's bars come sorted by each feature (feature-index.ts) and just that band is reclassified with the detector's own
 * function. An hour's code is a sum of per-timeframe digits, so a changed bar adds its digit's difference to
 * the hours it covers. A band's bars are reclassified under the config before and after its one threshold moved
 * (the thresholds move one at a time), which gives each bar's old code too: no table of bar codes is kept, whose
 * reads at the bars' scattered indices missed the cache on nearly every bar (half the time of a band).
 *
 * The codes are always exactly what a full classification gives, whatever the order in which configurations
 * arrive (incremental-rules.test.ts compares them with a full classification on random sequences of configs).
 */
import { spotRegimeIndex, type RegimeConfig } from '../detectors/multi-timeframe-regime.ts';
import { NO_ALERT, REGIME_CODE_COUNT, regimeConfirmedAlert, regimeDirection } from '../pipeline/rule-definitions.ts';
import { regimeFeatureValues, type FeatureIndex, type HeldBars, type RegimeFeature } from './feature-index.ts';
import { countAtMost, countBelow } from './threshold-index.ts';
import { lowerBound } from '../sorted-search.ts';

type Feature = RegimeFeature;

/** which bar value each threshold of RegimeConfig is compared with */
const FIELD_FEATURE: Record<string, Feature> = {
  min_heat: 'heat',
  max_heat: 'heat',
  min_price_z: 'priceZ',
  max_price_z: 'priceZ',
  max_abs_price_z: 'absPriceZ',
  min_volume_z: 'volumeZ',
  max_volume_z: 'volumeZ',
};

interface Timeframe {
  bars: HeldBars;
  /** the hours (indices into presentHours) that read bar b: firstHour[b] <= k < endHour[b] (the index's barHours) */
  firstHour: Int32Array;
  endHour: Int32Array;
  /** this timeframe's digit weight in an hour's code */
  weight: number;
  /** |price z| per bar, made on first use (the other features' values are the bars' own columns) */
  absPriceZ: Float64Array | null;
  /** per feature, made on first use: the bars' values and hours in that feature's order (byOrder) */
  inOrder: Map<Feature, InOrder>;
}

function valuesOf(tf: Timeframe, feature: Feature): Float64Array {
  if (feature !== 'absPriceZ') return tf.bars[feature];
  return (tf.absPriceZ ??= regimeFeatureValues(tf.bars, feature));
}

/** a timeframe's bars in the order of one feature (byOrder), filled block by block as bands reach them */
interface InOrder {
  /** heat, price z, volume z per bar: three numbers each */
  values: Float64Array;
  /** firstHour, endHour per bar: two numbers each */
  hours: Int32Array;
  /** per block of 2^ORDER_BITS positions: 1 once filled */
  filled: Uint8Array;
}

/** an InOrder's blocks hold 2^ORDER_BITS positions each */
const ORDER_BITS = 10;

/**
 * the bars' values and hour ranges in the order of one feature: a band is then classified reading consecutive
 * memory, where reading the bars' columns at sorted positions missed the cache on nearly every bar. Only the blocks
 * a band reaches are filled (inOrderBlocks): a sweep's thresholds move within a part of each feature's range, and
 * the rest of the arrays is never written, so never touched (a page of new memory costs ≈ 13 µs to touch here)
 */
function byOrder(tf: Timeframe, feature: Feature): InOrder {
  let v = tf.inOrder.get(feature);
  if (v !== undefined) return v;
  const n = tf.bars.order[feature].length;
  v = { values: new Float64Array(3 * n), hours: new Int32Array(2 * n), filled: new Uint8Array((n >> ORDER_BITS) + 1) };
  tf.inOrder.set(feature, v);
  return v;
}

/** the blocks of positions from .. to - 1 filled */
function inOrderBlocks(tf: Timeframe, order: Int32Array, v: InOrder, from: number, to: number): void {
  for (let k = from >> ORDER_BITS; k <= (to - 1) >> ORDER_BITS; k++) {
    if (v.filled[k] === 1) continue;
    fillBlock(tf, order, v, k << ORDER_BITS, Math.min(order.length, (k + 1) << ORDER_BITS));
    v.filled[k] = 1;
  }
}

function fillBlock(tf: Timeframe, order: Int32Array, v: InOrder, from: number, to: number): void {
  const { heat, priceZ, volumeZ } = tf.bars;
  const { firstHour, endHour } = tf;
  const { values, hours } = v;
  for (let i = from; i < to; i++) {
    const b = order[i];
    values[3 * i] = heat[b];
    values[3 * i + 1] = priceZ[b];
    values[3 * i + 2] = volumeZ[b];
    hours[2 * i] = firstHour[b];
    hours[2 * i + 1] = endHour[b];
  }
}

/** a bar's code: the detector's regime (spotRegimeIndex) as SPOT_REGIMES index + 1, 0 where it has no price z (no regime) */
export function regimeCode(heat: number, priceZ: number, volumeZ: number, rc: RegimeConfig): number {
  return priceZ !== priceZ ? 0 : spotRegimeIndex(heat, priceZ, volumeZ, rc) + 1;
}

/**
 * the bar's code under `after` minus its code under `before` (configs that differ in one threshold, or a whole config
 * and `before` null: no code yet)
 */
function codeChange(heat: number, priceZ: number, volumeZ: number, before: RegimeConfig | null, after: RegimeConfig): number {
  return regimeCode(heat, priceZ, volumeZ, after) - (before === null ? 0 : regimeCode(heat, priceZ, volumeZ, before));
}

/** a band this large is cheaper to classify whole */
const FULL_FRACTION = 0.35;

export class RegimeHours {
  /** per present hour: the 1h code + CODES · 4h + CODES² · 1d + CODES³ · 1w */
  readonly hourCode: Uint16Array;
  private readonly tf: Timeframe[];
  /** the config the codes follow: a copy of the last update's (configCopy), null before the first */
  private rc: RegimeConfig | null = null;
  /**
   * a bit per present hour whose code may have changed since the alerts were last derived (a bitmap rather than a
   * list of ranges: its runs come out in order, nothing to sort); allDirty: every hour
   */
  private readonly dirty: Int32Array;
  private allDirty = true;
  /** the alerts' state: the LUT it was derived with, each hour's confirmed regime (0: none), the alerts ascending */
  private confirms: Uint8Array | null = null;
  private conf: Uint8Array;
  private readonly presentHours: Int32Array;
  private alerts: AlertList;
  /** the other buffer: the next list is written there, then the two swap */
  private spare: AlertList;
  /** deriveRanges' changed spans, [start, end) pairs: at most one per dirty run, so half the hours and one more */
  private readonly spans: Int32Array;

  constructor(x: FeatureIndex, s: number) {
    const f = x.symbols[s];
    const n = f.presentHours.length;
    this.hourCode = new Uint16Array(n);
    this.tf = f.bars.map((bars, t) => {
      const { firstHour, endHour } = f.barHours[t];
      return { bars, firstHour, endHour, weight: REGIME_CODE_COUNT ** t, absPriceZ: null, inOrder: new Map() };
    });
    this.conf = new Uint8Array(n);
    this.dirty = new Int32Array((n >> 5) + 1);
    this.presentHours = f.presentHours;
    this.alerts = alertList(n);
    this.spare = alertList(n);
    this.spans = new Int32Array(n + 2);
  }

  /** the hour codes for this regime config */
  update(rc: RegimeConfig): Uint16Array {
    const move = movesOf(this.rc, rc);
    if (move.changed === null) this.classifyAll((this.rc = move.steps[0]));
    else this.rc = this.classifyBands(move.changed, move.steps);
    return this.hourCode;
  }

  /**
   * each timeframe's bars in the bands of the thresholds that moved, or the whole timeframe when the bands reach past
   * FULL_FRACTION of it; returns the config after every move. A method of its own: update()'s first call classifies
   * everything, and update compiled then was thrown away here on the next call, which took this path for the first
   * time (--trace-deopt)
   */
  private classifyBands(changed: readonly ChangedThreshold[], steps: readonly RegimeConfig[]): RegimeConfig {
    const prev = steps[0];
    if (changed.length === 0) return prev;
    const last = steps[changed.length];
    const from = new Int32Array(changed.length);
    const to = new Int32Array(changed.length);
    for (const tf of this.tf) {
      let work = 0;
      for (let c = 0; c < changed.length; c++) {
        const { feature, lo, hi } = changed[c];
        const order = tf.bars.order[feature];
        const values = valuesOf(tf, feature);
        from[c] = countBelow(values, order, lo);
        to[c] = countAtMost(values, order, hi);
        work += to[c] - from[c];
      }
      if (work > tf.firstHour.length * FULL_FRACTION) this.classifyTimeframe(tf, prev, last);
      else for (let c = 0; c < changed.length; c++) this.classifyBand(tf, tf.bars.order[changed[c].feature], byOrder(tf, changed[c].feature), from[c], to[c], steps[c], steps[c + 1]);
    }
    return last;
  }

  /**
   * a bar's code moved by `change` (codeChange): its hours' codes (first .. end, the bar's firstHour and endHour)
   * follow by the difference of its digit. Returns whether the code changed.
   */
  private setCode(tf: Timeframe, change: number, first: number, end: number): boolean {
    if (change === 0) return false;
    const delta = change * tf.weight;
    const hc = this.hourCode;
    for (let k = first; k < end; k++) hc[k] += delta;
    return true;
  }

  /**
   * bars order[from .. to), their values and hours read in that order (byOrder); the hours of those that change are
   * marked dirty (needless but harmless after a whole timeframe in the same update: every hour is derived again then).
   * Marking here rather than in setCode under `!allDirty`: setCode's first calls, all under a whole classification,
   * never marked, and the code compiled then was thrown away at the first band (--trace-deopt)
   */
  private classifyBand(tf: Timeframe, order: Int32Array, inOrder: InOrder, from: number, to: number, before: RegimeConfig, after: RegimeConfig): void {
    if (to <= from) return;
    inOrderBlocks(tf, order, inOrder, from, to);
    const { values, hours } = inOrder;
    const dirty = this.dirty;
    for (let i = from; i < to; i++) {
      if (this.setCode(tf, codeChange(values[3 * i], values[3 * i + 1], values[3 * i + 2], before, after), hours[2 * i], hours[2 * i + 1])) markHours(dirty, hours[2 * i], hours[2 * i + 1]);
    }
  }

  /** every bar of the timeframe from its code under `before` (null: none yet) to its code under `after` */
  private classifyTimeframe(tf: Timeframe, before: RegimeConfig | null, after: RegimeConfig): void {
    // most bars may change: the alerts are derived afresh rather than range by range
    this.allDirty = true;
    const { heat, priceZ, volumeZ } = tf.bars;
    for (let b = 0; b < heat.length; b++) this.setCode(tf, codeChange(heat[b], priceZ[b], volumeZ[b], before, after), tf.firstHour[b], tf.endHour[b]);
  }

  private classifyAll(rc: RegimeConfig): void {
    this.allDirty = true;
    this.hourCode.fill(0);
    for (const tf of this.tf) this.classifyTimeframe(tf, null, rc);
  }

  /**
   * The present hours where a REGIME_CONFIRMED alert fires: the hour confirms a regime (confirms[code] > 0) other
   * than the last one confirmed before it, and regimeConfirmedAlert says so. Kept up to date from the hour ranges
   * whose code changed: an hour's verdict reads only its own confirmed regime and the last one before it, so only
   * the changed ranges and the first confirming hour after each are derived again. The list is valid until the
   * next call.
   */
  confirmedAlerts(confirms: Uint8Array): Readonly<AlertList> {
    if (this.confirms !== confirms || this.allDirty) this.deriveAll(confirms);
    else this.deriveRanges(confirms);
    this.confirms = confirms;
    this.dirty.fill(0);
    this.allDirty = false;
    return this.alerts;
  }

  private deriveAll(confirms: Uint8Array): void {
    confirmedPerHour(this.hourCode, confirms, this.conf);
    this.alerts.n = this.deriveSpan(0, this.hourCode.length, this.alerts, 0);
  }

  /** appends the alerts of present hours [from, end) to `out` from its entry n; returns the new count */
  private deriveSpan(from: number, end: number, out: AlertList, n: number): number {
    const { conf, presentHours } = this;
    const { at, hour, direction } = out;
    let last = lastConfirmedBefore(conf, from);
    for (let k = from; k < end; k++) {
      const p = conf[k];
      if (p === 0 || p === last) continue;
      if (regimeConfirmedAlert(last, p) !== NO_ALERT) {
        at[n] = k;
        hour[n] = presentHours[k];
        direction[n++] = regimeDirection(p);
      }
      last = p;
    }
    return n;
  }

  private deriveRanges(confirms: Uint8Array): void {
    const m = changedSpans(this.hourCode, confirms, this.conf, this.dirty, this.spans);
    if (m === 0) return;
    const changed = this.spans;
    // the new list: the old alerts outside the changed spans copied in runs, each span's alerts derived again
    const old = this.alerts;
    const next = this.spare;
    let n = 0;
    let j = 0;
    for (let c = 0; c < m; c += 2) {
      const a = changed[c];
      const e = changed[c + 1];
      const before = lowerBound(old.at, a, old.n, j);
      copyAlerts(old, j, before, next, n);
      n += before - j;
      j = lowerBound(old.at, e, old.n, before);
      n = this.deriveSpan(a, e, next, n);
    }
    copyAlerts(old, j, old.n, next, n);
    next.n = n + old.n - j;
    this.spare = old;
    this.alerts = next;
  }
}

/**
 * The runs of dirty hours, in order, whose confirmed regime really changed (conf brought up to date on the way), each
 * extended past the first confirming hour after it, which reads the run's last confirmed regime and may flip too;
 * overlapping spans merged. Into spans as [start, end) pairs; returns the number of entries used. Plain functions
 * over typed arrays: as a closure, the run's bounds lived in a context and every access was a memory round trip.
 */
function changedSpans(hourCode: Uint16Array, confirms: Uint8Array, conf: Uint8Array, dirty: Int32Array, spans: Int32Array): number {
  let m = 0;
  let from = -1;
  let to = -1;
  for (let w = 0; w < dirty.length; w++) {
    let bits = dirty[w];
    while (bits !== 0) {
      // the lowest run of set bits in the word: [start, end)
      const lowest = bits & -bits;
      const start = 31 - Math.clz32(lowest);
      const clearAbove = ~bits & -lowest;
      const end = clearAbove === 0 ? 32 : 31 - Math.clz32(clearAbove & -clearAbove);
      bits = end === 32 ? 0 : bits & ~((1 << end) - 1);
      const a = 32 * w + start;
      // a run that goes on from the previous word's last bit
      if (a === to) to = 32 * w + end;
      else {
        if (from >= 0) m = changedSpan(hourCode, confirms, conf, from, to, spans, m);
        from = a;
        to = 32 * w + end;
      }
    }
  }
  return from >= 0 ? changedSpan(hourCode, confirms, conf, from, to, spans, m) : m;
}

/** changedSpans for the dirty run [from, to): appends its span, or widens the last one it overlaps; returns the new count */
function changedSpan(hourCode: Uint16Array, confirms: Uint8Array, conf: Uint8Array, from: number, to: number, spans: Int32Array, m: number): number {
  const hours = hourCode.length;
  let any = 0;
  for (let k = from; k < to; k++) {
    const p = confirms[hourCode[k]];
    any |= p ^ conf[k];
    conf[k] = p;
  }
  if (any === 0) return m;
  let end = to;
  while (end < hours && conf[end] === 0) end++;
  end = Math.min(hours, end + 1);
  if (m > 0 && spans[m - 1] >= from) {
    if (end > spans[m - 1]) spans[m - 1] = end;
    return m;
  }
  spans[m] = from;
  spans[m + 1] = end;
  return m + 2;
}

/**
 * the confirmed regime of the last hour before `from` that has one (0: none). Its own function: deriveAll's first
 * call starts at hour 0 and never ran this scan, so deriveSpan compiled then was thrown away at it on the first
 * changed span (--trace-deopt)
 */
function lastConfirmedBefore(conf: Uint8Array, from: number): number {
  for (let k = from - 1; k >= 0; k--) if (conf[k] !== 0) return conf[k];
  return 0;
}

/**
 * each hour's confirmed regime (0: none). Its own function: deriveAll's first call would otherwise be compiled on
 * stack inside this loop, before the rest of it had run, and that code thrown away at once on each later call
 */
function confirmedPerHour(hourCode: Uint16Array, confirms: Uint8Array, conf: Uint8Array): void {
  for (let k = 0; k < hourCode.length; k++) conf[k] = confirms[hourCode[k]];
}

/** alert hours ascending: each one's present-hour index, its hour, its direction (regimeDirection) */
export interface AlertList {
  n: number;
  at: Int32Array;
  hour: Int32Array;
  direction: Int8Array;
}

function alertList(capacity: number): AlertList {
  return { n: 0, at: new Int32Array(capacity), hour: new Int32Array(capacity), direction: new Int8Array(capacity) };
}

/**
 * entries [from, end) of one list to another's entry `to`: most of the list outlives a change, in runs between the
 * changed spans; a long run as block copies, a short one by hand (a block copy's views cost more than it)
 */
function copyAlerts(src: AlertList, from: number, end: number, dst: AlertList, to: number): void {
  if (end - from > SHORT_RUN) {
    dst.at.set(src.at.subarray(from, end), to);
    dst.hour.set(src.hour.subarray(from, end), to);
    dst.direction.set(src.direction.subarray(from, end), to);
    return;
  }
  for (let i = from; i < end; i++) {
    dst.at[to] = src.at[i];
    dst.hour[to] = src.hour[i];
    dst.direction[to++] = src.direction[i];
  }
}

const SHORT_RUN = 64;


/** sets the bits of hours [from, end) */
function markHours(bits: Int32Array, from: number, end: number): void {
  for (let k = from; k < end; ) {
    const bit = k & 31;
    const n = Math.min(32 - bit, end - k);
    // n ones from `bit` up (n = 32: the whole word)
    bits[k >> 5] |= n === 32 ? -1 : ((1 << n) - 1) << bit;
    k += n;
  }
}

/** a threshold that moved: the band of the feature's values between its two values, and where it lies in the config */
interface ChangedThreshold {
  feature: Feature;
  lo: number;
  hi: number;
  group: string;
  field: string;
  value: number;
}

/**
 * From one regime config to the next: the thresholds that moved (null: classify everything) and the configs on the
 * way, steps[c + 1] being steps[c] with threshold c moved (a band's bars change code only between those two; with
 * changed null, steps[0] is a copy of the next config). Every symbol of a configuration makes the same move from the
 * same config (the steps it kept last time), so the last move is kept for the next symbol: the copies were ≈ 36 µs
 * a configuration, made once per symbol. A pure function of the two configs, which nothing mutates.
 */
interface Move {
  from: RegimeConfig | null;
  to: RegimeConfig;
  changed: ChangedThreshold[] | null;
  steps: RegimeConfig[];
}

let lastMove: Move | null = null;

function movesOf(from: RegimeConfig | null, to: RegimeConfig): Move {
  if (lastMove !== null && lastMove.from === from && lastMove.to === to) return lastMove;
  const changed = from === null ? null : changedThresholds(from, to);
  const steps = changed === null ? [configCopy(to)] : [from!];
  if (changed !== null) for (const c of changed) steps.push(configCopy(steps[steps.length - 1], c));
  return (lastMove = { from, to, changed, steps });
}

/**
 * a copy of the config, or of its groups and values with one threshold moved: the copies are built alike, key by key,
 * so every config the classification reads has the same shape
 */
function configCopy(rc: RegimeConfig, moved?: ChangedThreshold): RegimeConfig {
  const src = rc as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const g of Object.keys(src)) {
    const x = src[g];
    if (typeof x !== 'object' || x === null) {
      out[g] = x;
      continue;
    }
    const group: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) group[k] = moved !== undefined && g === moved.group && k === moved.field ? moved.value : v;
    out[g] = group;
  }
  return out as unknown as RegimeConfig;
}

/**
 * the thresholds that differ as value bands, or null when something else differs (a key this module does
 * not know, a group added or removed): then everything is classified again
 */
function changedThresholds(a: RegimeConfig, b: RegimeConfig): ChangedThreshold[] | null {
  const out: ChangedThreshold[] = [];
  const ga = a as unknown as Record<string, unknown>;
  const gb = b as unknown as Record<string, unknown>;
  const groups = Object.keys(gb);
  if (groups.length !== Object.keys(ga).length) return null;
  for (const g of groups) {
    const x = ga[g];
    const y = gb[g];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return null;
    const fx = x as Record<string, unknown>;
    const fy = y as Record<string, unknown>;
    const fields = Object.keys(fy);
    if (fields.length !== Object.keys(fx).length) return null;
    for (const k of fields) {
      const u = fx[k];
      const v = fy[k];
      if (u === v) continue;
      const feature = FIELD_FEATURE[k];
      if (feature === undefined || typeof u !== 'number' || typeof v !== 'number' || u !== u || v !== v) return null;
      out.push({ feature, lo: Math.min(u, v), hi: Math.max(u, v), group: g, field: k, value: v });
    }
  }
  return out;
}

const states = new WeakMap<FeatureIndex, RegimeHours[]>();

/** the symbol's incremental regime state for this feature index */
export function regimeHours(x: FeatureIndex, s: number): RegimeHours {
  let list = states.get(x);
  if (!list) states.set(x, (list = []));
  return (list[s] ??= new RegimeHours(x, s));
}
