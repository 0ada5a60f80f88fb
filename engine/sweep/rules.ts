/**
 * The alert rules (engine/pipeline/rule-definitions.ts, the same functions the Pipeline calls per hour)
 * applied to feature columns: candidate hours per symbol or pair, before the cooldown filter, with their
 * severities and directions. Each rule names the configuration values it reads, so its candidates can be
 * cached by them.
 */
import { volRegimeRank, type VolatilityConfig } from '../detectors/volatility-regime.ts';
import { primaryRegime, regimeConfidence, SPOT_REGIMES, type RegimeConfig, type SpotRegime } from '../detectors/multi-timeframe-regime.ts';
import { cascadeSeverity, isCascade, relativeCascadeSeverity } from '../detectors/liquidation-cascade.ts';
import { isFundingReversal } from '../detectors/funding-anomaly.ts';
import { isCorrelationBreak } from '../detectors/correlation.ts';
import type { EventType } from '../pipeline/alerts.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import {
  cascadeAlert,
  correlationBreakAlert,
  fundingAnomalyAlert,
  fundingAnomalyDirection,
  fundingReversalAlert,
  fundingReversalDirection,
  INFO,
  NO_ALERT,
  REGIME_CODE_COUNT,
  regimeConfirmation,
  SEVERITIES,
  volEscalationAlert,
  volEscalationDirection,
} from '../pipeline/rule-definitions.ts';
import type { FeatureIndex, HeldBars } from './feature-index.ts';
import { regimeCode, regimeHours } from './regime-hours.ts';
import { BandPositions, countAtMost, countBelow, RecentMap, sortedOrder } from './threshold-index.ts';
import type { FeatureSet } from './features.ts';

export { SEVERITIES };

/** per symbol, the order in which Pipeline.step evaluates the rules (then the pairs' correlation rule) */
export const SYMBOL_RULES: readonly EventType[] = ['LIQUIDATION_CASCADE', 'FUNDING_ANOMALY', 'FUNDING_REVERSAL', 'VOLATILITY_REGIME_CHANGE', 'REGIME_CONFIRMED'];

/** the candidate hours of one rule for one symbol or pair, ascending, with the severity and direction each would carry */
export interface Candidates {
  hours: Int32Array;
  severity: Uint8Array;
  /** +1, −1, 0 (none) */
  direction: Int8Array;
}

class Builder {
  private hours = new Int32Array(256);
  private sev = new Uint8Array(256);
  private dir = new Int8Array(256);
  n = 0;
  push(h: number, s: number, d: number): void {
    if (this.n === this.hours.length) {
      const hours = new Int32Array(this.n * 2);
      hours.set(this.hours);
      this.hours = hours;
      const sev = new Uint8Array(this.n * 2);
      sev.set(this.sev);
      this.sev = sev;
      const dir = new Int8Array(this.n * 2);
      dir.set(this.dir);
      this.dir = dir;
    }
    this.hours[this.n] = h;
    this.dir[this.n] = d;
    this.sev[this.n++] = s;
  }
  /** views of this builder's arrays: valid until it is handed out again (builder()) */
  done(): Candidates {
    return { hours: this.hours.subarray(0, this.n), severity: this.sev.subarray(0, this.n), direction: this.dir.subarray(0, this.n) };
  }
}

/**
 * The rules' builders, emptied, one per rule and slot of an evaluation: each set of growing arrays serves every
 * configuration, and a rule's candidates are views of them (done()), valid until the evaluator starts its next
 * configuration (releaseCandidates: it copies what it keeps). Three arrays copied out per rule and slot were ≈ 45
 * allocations a configuration. Past POOLED builders without a release (a caller other than the evaluator), each
 * builder is a new one, so no view is ever overwritten.
 */
const pool: Builder[] = [];
let pooled = 0;
const POOLED = 64;

/** the candidates handed out so far may be overwritten from now on */
export function releaseCandidates(): void {
  pooled = 0;
}

function builder(): Builder {
  if (pooled >= POOLED) return new Builder();
  const b = (pool[pooled++] ??= new Builder());
  b.n = 0;
  return b;
}

const SPOT_CODE = Object.fromEntries(SPOT_REGIMES.map((r, i) => [r, i + 1])) as Record<SpotRegime, number>;
const CODES = REGIME_CODE_COUNT;
const COMBINATIONS = CODES ** 4;

/**
 * primary regime and confidence for every combination of the four timeframe regimes (0 = none), from the
 * detector's own functions, so the evaluator never re-implements the tie rule.
 */
const REGIME_LUT = (() => {
  const primary = new Uint8Array(COMBINATIONS);
  const confidence = new Float64Array(COMBINATIONS);
  const rs: (SpotRegime | null)[] = [null, null, null, null];
  for (let c = 0; c < COMBINATIONS; c++) {
    let x = c;
    for (let t = 0; t < 4; t++) {
      const code = x % CODES;
      x = (x - code) / CODES;
      rs[t] = code === 0 ? null : SPOT_REGIMES[code - 1];
    }
    const p = primaryRegime(rs);
    primary[c] = p === null ? 0 : SPOT_CODE[p];
    confidence[c] = regimeConfidence(rs, p);
  }
  return { primary, confidence };
})();

/** the detector's volatility classification as ranks (STABLE 0 … EXTREME 3) for a whole column */
export function volRanks(ratio: Float64Array, t: VolatilityConfig['thresholds'], out: Uint8Array): Uint8Array {
  for (let k = 0; k < ratio.length; k++) out[k] = volRegimeRank(ratio[k], t);
  return out;
}

/** every bar's regimeCode */
export function regimeCodes(b: Pick<HeldBars, 'priceZ' | 'volumeZ' | 'heat'>, rc: RegimeConfig, out: Uint8Array): Uint8Array {
  const { priceZ, volumeZ, heat } = b;
  for (let k = 0; k < priceZ.length; k++) out[k] = regimeCode(heat[k], priceZ[k], volumeZ[k], rc);
  return out;
}

/**
 * isCascade needs a total above the threshold (absolute mode) or a z at or above cascade_z (relative mode), so only
 * the top of that order can fire: the hours a sweep's thresholds let through, taken in hour order and each judged by
 * the detector's functions as on every hour
 */
function cascadeCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  const f = x.symbols[s];
  const c = cfg.cascade;
  const minSeverity = cfg.rules.cascade_min_severity;
  const relative = c.mode === 'relative';
  const out = builder();
  const w = fs.cascadeWindowHours;
  bands.reset(f.liqHours.length);
  if (relative) bands.mark(f.liqByZ, countBelow(f.liqZ, f.liqByZ, c.relative.cascade_z), f.liqByZ.length);
  else bands.mark(f.liqByTotal, countAtMost(f.liqTotal, f.liqByTotal, c.cascade_threshold_usd), f.liqByTotal.length);
  const above = bands.drain();
  for (let i = 0; i < above.length; i++) {
    const k = above[i];
    const total = f.liqTotal[k];
    const z = f.liqZ[k];
    // the detector's functions: in relative mode no z means no severity and no verdict
    if (relative && z !== z) continue;
    const severity = relative ? relativeCascadeSeverity(z, c) : cascadeSeverity(total / w, c);
    const sev = cascadeAlert(isCascade(total, z === z ? z : null, c) === true, severity, minSeverity);
    if (sev !== NO_ALERT) out.push(f.liqHours[k], sev, f.liqDir[k]);
  }
  return out.done();
}

/** the hours settlement k stands, not yet stale, with a candle: where a funding rule reads it */
function pushStanding(x: FeatureIndex, s: number, k: number, stale: number, fs: FeatureSet, sev: number, dir: number, out: Builder): void {
  const f = x.symbols[s];
  const start = f.settleStart[k];
  if (start < 0) return;
  // the age grows by one per hour of the run; standing means 0 <= age <= stale_after_hours
  const first = f.settleAge[k] < 0 ? start - f.settleAge[k] : start;
  const end = Math.min(start + f.settleLength[k], start + stale - f.settleAge[k] + 1);
  const present = fs.bySymbol[s].present;
  for (let i = first; i < end; i++) if (present[i] === 1) out.push(i, sev, dir);
}

/** every settlement's standing hours (pushStanding), concatenated: settlement k's are hours[offset[k] .. offset[k + 1]) */
interface StandingRuns {
  hours: Int32Array;
  offset: Int32Array;
}

const standingRuns = new WeakMap<FeatureIndex, RecentMap<number, StandingRuns>[]>();

/** per stale_after_hours, computed once: a funding rule then copies the runs of the settlements that fire */
function standingOf(x: FeatureIndex, s: number, stale: number, fs: FeatureSet): StandingRuns {
  let perSymbol = standingRuns.get(x);
  if (!perSymbol) standingRuns.set(x, (perSymbol = []));
  return (perSymbol[s] ??= new RecentMap(4)).get(stale, () => {
    const out = builder();
    const offset = new Int32Array(x.symbols[s].settleStart.length + 1);
    pushStandingRuns(x, s, stale, fs, out, offset);
    // kept across configurations: a copy, not a view of a builder
    return { hours: out.done().hours.slice(), offset };
  });
}

/**
 * every settlement's standing hours into out, each one's end into offset. A function that ends at its loop: inside
 * standingOf's callback the loop was compiled on stack and the code after it, not yet run, threw that code away
 * (--trace-deopt)
 */
function pushStandingRuns(x: FeatureIndex, s: number, stale: number, fs: FeatureSet, out: Builder, offset: Int32Array): void {
  for (let k = 0; k + 1 < offset.length; k++) {
    pushStanding(x, s, k, stale, fs, 0, 0, out);
    offset[k + 1] = out.n;
  }
}

/**
 * the settlements a funding rule fires at, ascending, each with its severity and direction: the rules' scratch,
 * valid until the next rule's call (the candidates made from it are new arrays)
 */
interface Firing {
  n: number;
  at: Int32Array;
  severity: Int8Array;
  direction: Int8Array;
}

/**
 * Replaced whole when it grows, never a field at a time: each field assigned anew changed what V8 had recorded of the
 * object's shape, and every compiled rule that read it was thrown away (`fire`, `fundingReversals`,
 * `fundingAnomalies`, `volatilityCandidates`: 15 of a sweep's 35 invalidations, --trace-deopt)
 */
let firing: Firing = { n: 0, at: new Int32Array(0), severity: new Int8Array(0), direction: new Int8Array(0) };

/** the scratch emptied, with room for every settlement */
function noneFiring(settlements: number): Firing {
  if (firing.at.length < settlements) firing = { n: 0, at: new Int32Array(settlements), severity: new Int8Array(settlements), direction: new Int8Array(settlements) };
  firing.n = 0;
  return firing;
}

function fire(f: Firing, k: number, severity: number, direction: number): void {
  f.at[f.n] = k;
  f.severity[f.n] = severity;
  f.direction[f.n++] = direction;
}

/** the standing hours of the firing settlements, each run with its settlement's severity and direction */
function standingCandidates(runs: StandingRuns, f: Firing): Candidates {
  const { hours, offset } = runs;
  let total = 0;
  for (let i = 0; i < f.n; i++) total += offset[f.at[i] + 1] - offset[f.at[i]];
  const out: Candidates = { hours: new Int32Array(total), severity: new Uint8Array(total), direction: new Int8Array(total) };
  let n = 0;
  for (let i = 0; i < f.n; i++) {
    const a = offset[f.at[i]];
    const b = offset[f.at[i] + 1];
    out.hours.set(hours.subarray(a, b), n);
    out.severity.fill(f.severity[i], n, n + b - a);
    out.direction.fill(f.direction[i], n, n + b - a);
    n += b - a;
  }
  return out;
}

/**
 * Where a transition-only cooldown can fire: the candidates whose previous hour is not a candidate (the rest are
 * suppressed as transitions without touching the cooldown state, evaluate.ts), in order. A funding settlement
 * stands for hours on end, so these are a tenth or less of its candidates.
 */
export function runHeads(c: Candidates): Candidates {
  const { hours } = c;
  let n = 0;
  for (let k = 0; k < hours.length; k++) if (k === 0 || hours[k - 1] !== hours[k] - 1) n++;
  const out: Candidates = { hours: new Int32Array(n), severity: new Uint8Array(n), direction: new Int8Array(n) };
  n = 0;
  for (let k = 0; k < hours.length; k++) {
    if (k > 0 && hours[k - 1] === hours[k] - 1) continue;
    out.hours[n] = hours[k];
    out.severity[n] = c.severity[k];
    out.direction[n++] = c.direction[k];
  }
  return out;
}

/** per settlement: the heads of its own standing hours (runHeads within it), and its last standing hour (-1: none) */
interface StandingHeads {
  heads: Int32Array;
  offset: Int32Array;
  last: Int32Array;
}

const standingHeads = new WeakMap<StandingRuns, StandingHeads>();

function headsOf(runs: StandingRuns): StandingHeads {
  let h = standingHeads.get(runs);
  if (h) return h;
  const n = runs.offset.length - 1;
  const headOffset = new Int32Array(n + 1);
  const last = new Int32Array(n).fill(-1);
  h = { heads: Int32Array.from(collectHeads(runs, headOffset, last)), offset: headOffset, last };
  standingHeads.set(runs, h);
  return h;
}

/**
 * each settlement's run heads, in order (their ends into headOffset, each settlement's last hour into last). A
 * function that ends at its loop: inside headsOf the loop was compiled on stack and the object made after it, not yet
 * made then, threw that code away (5 times a sweep, --trace-deopt)
 */
function collectHeads(runs: StandingRuns, headOffset: Int32Array, last: Int32Array): number[] {
  const { hours, offset } = runs;
  const heads: number[] = [];
  for (let k = 0; k + 1 < offset.length; k++) {
    for (let i = offset[k]; i < offset[k + 1]; i++) if (i === offset[k] || hours[i - 1] !== hours[i] - 1) heads.push(hours[i]);
    headOffset[k + 1] = heads.length;
    if (offset[k + 1] > offset[k]) last[k] = hours[offset[k + 1] - 1];
  }
  return heads;
}

/**
 * runHeads(standingCandidates(runs, f)) without the candidates: the firing settlements in order, each one's own
 * heads, its first one dropped when it continues the previous firing settlement's last hour
 */
function standingRunHeads(runs: StandingRuns, f: Firing): Candidates {
  const { heads, offset, last } = headsOf(runs);
  const out = builder();
  let prevLast = -2;
  for (let i = 0; i < f.n; i++) {
    const k = f.at[i];
    if (last[k] < 0) continue;
    for (let j = offset[k]; j < offset[k + 1]; j++) {
      if (j === offset[k] && heads[j] === prevLast + 1) continue;
      out.push(heads[j], f.severity[i], f.direction[i]);
    }
    prevLast = last[k];
  }
  return out.done();
}

/**
 * the settlements whose z is a funding anomaly (a NaN z is none): |z| >= the threshold, so a suffix of the |z| order,
 * taken in settlement order (the tenth or so of the column that a sweep's thresholds let fire, instead of all of it)
 */
export function fundingAnomalies(x: FeatureIndex, fs: FeatureSet, s: number, cfg: PipelineConfig): Readonly<Firing> {
  const z = fs.bySymbol[s].settleZ;
  const absZ = cfg.rules.funding_abs_z;
  const f = noneFiring(z.length);
  const { settleAbsZ, settleByAbsZ } = x.symbols[s];
  bands.reset(z.length);
  bands.mark(settleByAbsZ, countBelow(settleAbsZ, settleByAbsZ, absZ), settleByAbsZ.length);
  const candidates = bands.drain();
  for (let i = 0; i < candidates.length; i++) {
    const k = candidates[i];
    // the Pipeline's own verdict on each
    const severity = fundingAnomalyAlert(z[k], absZ);
    if (severity !== NO_ALERT) fire(f, k, severity, fundingAnomalyDirection(z[k]));
  }
  return f;
}

function fundingAnomalyCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  return standingCandidates(standingOf(x, s, cfg.funding.stale_after_hours, fs), fundingAnomalies(x, fs, s, cfg));
}

function fundingAnomalyHeads(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  return standingRunHeads(standingOf(x, s, cfg.funding.stale_after_hours, fs), fundingAnomalies(x, fs, s, cfg));
}

const isExtreme = (z: number, anomalyZ: number) => (z === z && Math.abs(z) >= anomalyZ ? 1 : 0);

/** the reversals: a sign flip of the 8 h rate right after one of the last N settlements was extreme */
function fundingReversals(fs: FeatureSet, s: number, cfg: PipelineConfig): Firing {
  const { settleZ: z, settleR8: r8 } = fs.bySymbol[s];
  const lookback = cfg.funding.reversal_lookback_settlements;
  const anomalyZ = cfg.funding.anomaly_z;
  const f = noneFiring(z.length);
  let extremes = 0;
  for (let k = 0; k < z.length; k++) {
    const severity = fundingReversalAlert(k > 0 && isFundingReversal(r8[k - 1], r8[k], extremes > 0));
    if (severity !== NO_ALERT) fire(f, k, severity, fundingReversalDirection(r8[k]));
    extremes += isExtreme(z[k], anomalyZ);
    if (k - lookback >= 0) extremes -= isExtreme(z[k - lookback], anomalyZ);
  }
  return f;
}

function fundingReversalCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  return standingCandidates(standingOf(x, s, cfg.funding.stale_after_hours, fs), fundingReversals(fs, s, cfg));
}

function fundingReversalHeads(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  return standingRunHeads(standingOf(x, s, cfg.funding.stale_after_hours, fs), fundingReversals(fs, s, cfg));
}

/**
 * the positions k in volHours whose ratio is >= a floor and not <= the previous hour's, and for each the highest
 * upper threshold at which it can still escalate: Infinity where the previous ratio is below the floor, else its own
 * ratio
 */
interface Rises {
  at: Int32Array;
  reach: Float64Array;
  /** the rises by ascending reach (sortedOrder): those reaching a threshold are its top */
  byReach: Int32Array;
  /**
   * per rise, what its verdict reads: the ratios before and at it, its hour and its direction. Side by side in rise
   * order, where reading them from the hourly columns at the rises' scattered positions missed the cache each time
   */
  before: Float64Array;
  ratio: Float64Array;
  hour: Int32Array;
  direction: Int8Array;
}

/** per feature index and symbol: the volatility rises above a floor, by that floor */
const volRises = new WeakMap<FeatureIndex, RecentMap<number, Rises>[]>();

/** the rules' caches by a configuration's values (standing runs by staleness, rises by floor) for this index, dropped */
export function forgetRuleValues(x: FeatureIndex): void {
  standingRuns.delete(x);
  volRises.delete(x);
}

/**
 * the hours k where the ratio r rises at or above floor into at, each one's reach into reach (Infinity when it comes
 * from below the floor); returns how many. Typed arrays written by index and a function that ends at its loop: the
 * arrays pushed to inside the callback changed their element kinds between calls, and the loop compiled on stack
 * failed on the other kind (--trace-deopt)
 */
function risesAbove(r: Float64Array, floor: number, at: Int32Array, reach: Float64Array): number {
  let n = 0;
  for (let k = 1; k < r.length; k++) {
    if (!(r[k] >= floor) || r[k] <= r[k - 1]) continue;
    at[n] = k;
    reach[n++] = r[k - 1] < floor ? Infinity : r[k];
  }
  return n;
}

/** risesAbove's output, reused call to call (grown as needed): only the rises found are copied out */
let riseScratch = { at: new Int32Array(0), reach: new Float64Array(0) };

/**
 * An escalation needs rank >= EXPLOSIVE, so a ratio >= min(explosive, extreme), and a rank above the previous one,
 * so a higher ratio (the rank is monotone in it): no other hour can alert. From below that floor it always
 * escalates; from above it, only to EXTREME from EXPLOSIVE, so at a ratio >= max(explosive, extreme): the band
 * is a few hundred hours of the thousands above the floor.
 */
function rises(x: FeatureIndex, s: number, floor: number): Rises {
  let perSymbol = volRises.get(x);
  if (!perSymbol) volRises.set(x, (perSymbol = []));
  return (perSymbol[s] ??= new RecentMap(4)).get(floor, () => {
    const r = x.symbols[s].volRatio;
    if (riseScratch.at.length < r.length) riseScratch = { at: new Int32Array(r.length), reach: new Float64Array(r.length) };
    const n = risesAbove(r, floor, riseScratch.at, riseScratch.reach);
    const at = riseScratch.at.slice(0, n);
    const reaches = riseScratch.reach.slice(0, n);
    const f = x.symbols[s];
    return {
      at,
      reach: reaches,
      byReach: sortedOrder(reaches),
      before: Float64Array.from(at, (k) => r[k - 1]),
      ratio: Float64Array.from(at, (k) => r[k]),
      hour: Int32Array.from(at, (k) => f.volHours[k]),
      direction: Int8Array.from(at, (k) => volEscalationDirection(f.volRet24[k])),
    };
  });
}

function volatilityCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig): Candidates {
  const t = cfg.volatility.thresholds;
  const upper = Math.max(t.explosive, t.extreme);
  const { at, reach, byReach, before, ratio, hour, direction } = rises(x, s, Math.min(t.explosive, t.extreme));
  // the rises that reach the upper threshold (a sixth or so of them), in hour order
  bands.reset(at.length);
  bands.mark(byReach, countBelow(reach, byReach, upper), byReach.length);
  const reaching = bands.drain();
  const out = builder();
  for (let i = 0; i < reaching.length; i++) {
    const j = reaching[i];
    // the detector's classification and the Pipeline's escalation rule, as on every hour
    const sev = volEscalationAlert(volRegimeRank(before[j], t), volRegimeRank(ratio[j], t));
    if (sev !== NO_ALERT) out.push(hour[j], sev, direction[j]);
  }
  return out.done();
}

/** INFO for every alert of a list, shared by all: grown as needed, never written elsewhere */
let infoSeverities = new Uint8Array(0);

function allInfo(n: number): Uint8Array {
  if (infoSeverities.length < n) infoSeverities = new Uint8Array(2 * n).fill(INFO);
  return infoSeverities.subarray(0, n);
}

/** views of the symbol's regime state, valid until its next configuration (the evaluator copies what it caches) */
function regimeCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig): Candidates {
  // the hour codes follow the regime config incrementally (regime-hours.ts): only a threshold's band is
  // reclassified, and only the hours whose code changed have their alerts derived again
  const state = regimeHours(x, s);
  state.update(cfg.regime);
  const { n, hour, direction } = state.confirmedAlerts(confirmingRegimes(cfg.rules.regime_min_confidence));
  return { hours: hour.subarray(0, n), severity: allInfo(n), direction: direction.subarray(0, n) };
}

/** per minimum confidence (a sweep tries a few) */
const confirming = new RecentMap<number, Uint8Array>(16);

/** per four-timeframe code: the regime it confirms at this minimum confidence (regimeConfirmation), 0 for none */
export function confirmingRegimes(minConfidence: number): Uint8Array {
  return confirming.get(minConfidence, () => Uint8Array.from(REGIME_LUT.primary, (p, c) => regimeConfirmation(0, p, REGIME_LUT.confidence[c], minConfidence)));
}

/** how many of the ordered positions have corr − normal <= x (the subtraction as the order was sorted by) */
function dropsAtMost(corr: Float64Array, normal: Float64Array, order: Int32Array, x: number): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = order[mid];
    if (corr[k] - normal[k] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** the rules' band unions (correlation's two bands, volatility's one), reused call to call */
const bands = new BandPositions();

function correlationCandidates(x: FeatureIndex, j: number, cfg: PipelineConfig): Candidates {
  const p = x.pairs[j];
  // a break is corr <= break_level or a drop <= −break_drop: both bands (the index's orders, feature-index.ts), their
  // positions in order, each confirmed by the detector's test
  bands.reset(p.hours.length);
  bands.mark(p.byCorr, 0, countAtMost(p.corr, p.byCorr, cfg.correlation.break_level));
  bands.mark(p.byDrop, 0, dropsAtMost(p.corr, p.normal, p.byDrop, -cfg.correlation.break_drop));
  const positions = bands.drain();
  const out = builder();
  for (let i = 0; i < positions.length; i++) {
    const k = positions[i];
    const normal = p.normal[k];
    const sev = correlationBreakAlert(isCorrelationBreak(p.corr[k], normal === normal ? normal : null, cfg.correlation));
    if (sev !== NO_ALERT) out.push(p.hours[k], sev, p.direction[k]);
  }
  return out.done();
}

/** a slot's candidates: new arrays, or views of the rule's own state valid until its next call for that slot */
type RuleFn = (x: FeatureIndex, slot: number, cfg: PipelineConfig, fs: FeatureSet) => Candidates;

export interface Rule {
  type: EventType;
  /** the configuration values the candidates depend on: the cache key */
  inputs: (cfg: PipelineConfig) => unknown;
  candidates: RuleFn;
  /** runHeads of the candidates, where that is cheaper to get than all of them first (a transition-only cooldown reads only these) */
  heads?: RuleFn;
}

export const RULES: Record<EventType, Rule> = {
  LIQUIDATION_CASCADE: {
    type: 'LIQUIDATION_CASCADE',
    // only the mode's own values (cascadeCandidates, isCascade): a sweep over the other mode's threshold reuses the candidates
    inputs: (c) =>
      c.cascade.mode === 'relative'
        ? ['relative', c.cascade.relative.severity_z, c.cascade.relative.cascade_z, c.cascade.relative.min_total_usd, c.rules.cascade_min_severity]
        : ['absolute', c.cascade.cascade_threshold_usd, c.cascade.severity_velocity_usd_h, c.rules.cascade_min_severity],
    candidates: cascadeCandidates,
  },
  FUNDING_ANOMALY: {
    type: 'FUNDING_ANOMALY',
    inputs: (c) => [c.funding.stale_after_hours, c.rules.funding_abs_z],
    candidates: fundingAnomalyCandidates,
    heads: fundingAnomalyHeads,
  },
  FUNDING_REVERSAL: {
    type: 'FUNDING_REVERSAL',
    inputs: (c) => [c.funding.stale_after_hours, c.funding.anomaly_z, c.funding.reversal_lookback_settlements],
    candidates: fundingReversalCandidates,
    heads: fundingReversalHeads,
  },
  VOLATILITY_REGIME_CHANGE: {
    type: 'VOLATILITY_REGIME_CHANGE',
    inputs: (c) => c.volatility.thresholds,
    candidates: volatilityCandidates,
  },
  REGIME_CONFIRMED: {
    type: 'REGIME_CONFIRMED',
    inputs: (c) => [c.regime.ignition, c.regime.capitulation, c.regime.churn, c.regime.cooling, c.regime.warming, c.regime.chop, c.rules.regime_min_confidence],
    candidates: regimeCandidates,
  },
  CORRELATION_BREAK: {
    type: 'CORRELATION_BREAK',
    inputs: (c) => [c.correlation.break_drop, c.correlation.break_level],
    candidates: correlationCandidates,
  },
};
