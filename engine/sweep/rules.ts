/**
 * The Pipeline's alert rules (engine/pipeline/alerts.ts) as functions from feature columns and a
 * configuration to candidate hours per symbol or pair, before the cooldown filter. Each rule names the
 * configuration values it reads, so its candidates can be cached by them.
 */
import type { VolatilityConfig } from '../detectors/volatility-regime.ts';
import { primaryRegime, regimeConfidence, SPOT_REGIMES, type RegimeConfig, type SpotRegime } from '../detectors/multi-timeframe-regime.ts';
import { severityFromBounds } from '../detectors/liquidation-cascade.ts';
import { isFundingReversal } from '../detectors/funding-anomaly.ts';
import type { AlertSeverity, EventType } from '../pipeline/alerts.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import type { FeatureIndex, HeldBars } from './feature-index.ts';
import type { FeatureSet } from './features.ts';

export const SEVERITIES: readonly AlertSeverity[] = ['INFO', 'WARNING', 'CRITICAL'];
const INFO = 0;
const WARNING = 1;
const CRITICAL = 2;

/** per symbol, the order in which Pipeline.step evaluates the rules (then the pairs' correlation rule) */
export const SYMBOL_RULES: readonly EventType[] = ['LIQUIDATION_CASCADE', 'FUNDING_ANOMALY', 'FUNDING_REVERSAL', 'VOLATILITY_REGIME_CHANGE', 'REGIME_CONFIRMED'];

/** the candidate hours of one rule for one symbol or pair, ascending, with the severity each would carry */
export interface Candidates {
  hours: Int32Array;
  severity: Uint8Array;
}

class Builder {
  private hours = new Int32Array(256);
  private sev = new Uint8Array(256);
  n = 0;
  push(h: number, s: number): void {
    if (this.n === this.hours.length) {
      const hours = new Int32Array(this.n * 2);
      hours.set(this.hours);
      this.hours = hours;
      const sev = new Uint8Array(this.n * 2);
      sev.set(this.sev);
      this.sev = sev;
    }
    this.hours[this.n] = h;
    this.sev[this.n++] = s;
  }
  done(): Candidates {
    return { hours: this.hours.slice(0, this.n), severity: this.sev.slice(0, this.n) };
  }
}

const SPOT_CODE = Object.fromEntries(SPOT_REGIMES.map((r, i) => [r, i + 1])) as Record<SpotRegime, number>;

/**
 * primary regime and confidence for every combination of the four timeframe regimes (0 = none), from the
 * detector's own functions: 5^4 entries, so the evaluator never re-implements the tie rule.
 */
const REGIME_LUT = (() => {
  const primary = new Uint8Array(625);
  const confidence = new Float64Array(625);
  const rs: (SpotRegime | null)[] = [null, null, null, null];
  for (let c = 0; c < 625; c++) {
    let x = c;
    for (let t = 0; t < 4; t++) {
      const code = x % 5;
      x = (x - code) / 5;
      rs[t] = code === 0 ? null : SPOT_REGIMES[code - 1];
    }
    const p = primaryRegime(rs);
    primary[c] = p === null ? 0 : SPOT_CODE[p];
    confidence[c] = regimeConfidence(rs, p);
  }
  return { primary, confidence };
})();

/**
 * classifyVolRegime as ranks (STABLE 0 … EXTREME 3) and classifySpotRegime as codes (SPOT_REGIMES index + 1,
 * 0 where there is no regime), for whole columns: the same comparisons, without a string per hour and with
 * the thresholds in locals. evaluate.test.ts checks both against the detector functions, boundaries included.
 */
export function volRanks(ratio: Float64Array, t: VolatilityConfig['thresholds'], out: Uint8Array): Uint8Array {
  const high = t.high_vol;
  const explosive = t.explosive;
  const extreme = t.extreme;
  for (let k = 0; k < ratio.length; k++) {
    const r = ratio[k];
    out[k] = r >= extreme ? 3 : r >= explosive ? 2 : r >= high ? 1 : 0;
  }
  return out;
}

export function regimeCodes(b: Pick<HeldBars, 'priceZ' | 'volumeZ' | 'heat'>, rc: RegimeConfig, out: Uint8Array): Uint8Array {
  const iHeat = rc.ignition.min_heat;
  const iPrice = rc.ignition.min_price_z;
  const iVolume = rc.ignition.min_volume_z;
  const cHeat = rc.cooling.max_heat;
  const cPrice = rc.cooling.max_price_z;
  const cVolume = rc.cooling.max_volume_z;
  const hHeat = rc.chop.max_heat;
  const hPrice = rc.chop.max_abs_price_z;
  const hVolume = rc.chop.max_volume_z;
  const { priceZ, volumeZ, heat } = b;
  for (let k = 0; k < priceZ.length; k++) {
    const pz = priceZ[k];
    if (pz !== pz) {
      out[k] = 0;
      continue;
    }
    const h = heat[k];
    const vz = volumeZ[k];
    // all three tests evaluated, then the first that holds wins: branch-free is ~3× faster on real data
    const ignition = +(h >= iHeat) & +(pz >= iPrice) & +(vz >= iVolume);
    const cooling = +(h <= cHeat) & +(pz <= cPrice) & +(vz <= cVolume);
    const chop = +(h <= hHeat) & +(Math.abs(pz) <= hPrice) & +(vz <= hVolume);
    out[k] = 4 - 3 * ignition - (1 - ignition) * (2 * cooling + (1 - cooling) * chop);
  }
  return out;
}

const VOL_EXPLOSIVE = 2;
const VOL_EXTREME = 3;

function cascadeCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  const f = x.symbols[s];
  const c = cfg.cascade;
  const minSeverity = cfg.rules.cascade_min_severity;
  const relative = c.mode === 'relative';
  const out = new Builder();
  const w = fs.cascadeWindowHours;
  for (let k = 0; k < f.liqHours.length; k++) {
    const total = f.liqTotal[k];
    let severity: number;
    let detected: boolean;
    if (relative) {
      const z = f.liqZ[k];
      if (z !== z) continue;
      severity = severityFromBounds(z, c.relative.severity_z);
      detected = z >= c.relative.cascade_z && total > c.relative.min_total_usd;
    } else {
      severity = severityFromBounds(total / w, c.severity_velocity_usd_h);
      detected = total > c.cascade_threshold_usd;
    }
    if (detected && severity >= minSeverity) out.push(f.liqHours[k], severity >= 5 ? CRITICAL : WARNING);
  }
  return out.done();
}

/** the hours settlement k stands, not yet stale, with a candle: where a funding rule reads it */
function pushStanding(x: FeatureIndex, s: number, k: number, stale: number, fs: FeatureSet, out: Builder): void {
  const f = x.symbols[s];
  const start = f.settleStart[k];
  if (start < 0) return;
  // the age grows by one per hour of the run; standing means 0 <= age <= stale_after_hours
  const first = f.settleAge[k] < 0 ? start - f.settleAge[k] : start;
  const end = Math.min(start + f.settleLength[k], start + stale - f.settleAge[k] + 1);
  const present = fs.bySymbol[s].present;
  for (let i = first; i < end; i++) if (present[i] === 1) out.push(i, WARNING);
}

function fundingAnomalyCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  const z = fs.bySymbol[s].settleZ;
  const absZ = cfg.rules.funding_abs_z;
  const out = new Builder();
  for (let k = 0; k < z.length; k++) {
    if (z[k] === z[k] && Math.abs(z[k]) >= absZ) pushStanding(x, s, k, cfg.funding.stale_after_hours, fs, out);
  }
  return out.done();
}

/** which settlements are reversals: a sign flip right after one of the last N settlements was extreme */
function reversals(fs: FeatureSet, s: number, cfg: PipelineConfig): Uint8Array {
  const f = fs.bySymbol[s];
  const n = f.settleZ.length;
  const lookback = cfg.funding.reversal_lookback_settlements;
  const anomalyZ = cfg.funding.anomaly_z;
  const out = new Uint8Array(n);
  let extremes = 0;
  const extreme = (k: number) => (f.settleZ[k] === f.settleZ[k] && Math.abs(f.settleZ[k]) >= anomalyZ ? 1 : 0);
  for (let k = 0; k < n; k++) {
    if (k > 0 && isFundingReversal(f.settleR8[k - 1], f.settleR8[k], extremes > 0)) out[k] = 1;
    extremes += extreme(k);
    if (k - lookback >= 0) extremes -= extreme(k - lookback);
  }
  return out;
}

function fundingReversalCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig, fs: FeatureSet): Candidates {
  const rev = reversals(fs, s, cfg);
  const out = new Builder();
  for (let k = 0; k < rev.length; k++) if (rev[k] === 1) pushStanding(x, s, k, cfg.funding.stale_after_hours, fs, out);
  return out.done();
}

function volatilityCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig): Candidates {
  const f = x.symbols[s];
  const ranks = volRanks(f.volRatio, cfg.volatility.thresholds, x.scratch.codes[0]);
  const out = new Builder();
  // the last known regime (isVolEscalation): none before the first, and de-escalations never alert
  let prev = -1;
  for (let k = 0; k < f.volHours.length; k++) {
    const rank = ranks[k];
    if (prev >= 0 && rank >= VOL_EXPLOSIVE && rank > prev) out.push(f.volHours[k], rank === VOL_EXTREME ? CRITICAL : WARNING);
    prev = rank;
  }
  return out.done();
}

function regimeCandidates(x: FeatureIndex, s: number, cfg: PipelineConfig): Candidates {
  const f = x.symbols[s];
  const rc = cfg.regime;
  const minConfidence = cfg.rules.regime_min_confidence;
  const { codes, hours, segment } = x.scratch;
  const c0 = regimeCodes(f.bars[0], rc, codes[0]);
  const c1 = regimeCodes(f.bars[1], rc, codes[1]);
  const c2 = regimeCodes(f.bars[2], rc, codes[2]);
  const c3 = regimeCodes(f.bars[3], rc, codes[3]);
  const [k1, k2, k3] = f.segmentBars;
  // the lookup index has one base-5 digit per timeframe, 1h lowest
  for (let j = 0; j < k1.length; j++) segment[j] = c1[k1[j]] * 5 + c2[k2[j]] * 25 + c3[k3[j]] * 125;
  // per combination: the primary regime when it is confirmed at this confidence threshold, else 0
  const confirmed = new Uint8Array(625);
  for (let c = 0; c < 625; c++) confirmed[c] = REGIME_LUT.primary[c] !== 0 && REGIME_LUT.confidence[c] >= minConfidence ? REGIME_LUT.primary[c] : 0;
  const { presentHours, hourBar, hourSegment } = f;
  let n = 0;
  // the last confirmed primary: a change from it is a candidate, the first one ever is not
  let prev = 0;
  for (let k = 0; k < presentHours.length; k++) {
    const p = confirmed[c0[hourBar[k]] + segment[hourSegment[k]]];
    if (p !== 0 && p !== prev) {
      if (prev !== 0) hours[n++] = presentHours[k];
      prev = p;
    }
  }
  return { hours: hours.slice(0, n), severity: new Uint8Array(n).fill(INFO) };
}

function correlationCandidates(x: FeatureIndex, j: number, cfg: PipelineConfig): Candidates {
  const p = x.pairs[j];
  const { break_drop: drop, break_level: level } = cfg.correlation;
  const out = new Builder();
  for (let k = 0; k < p.hours.length; k++) {
    const corr = p.corr[k];
    const normal = p.normal[k];
    // isCorrelationBreak: the level test, or the drop test when a normal exists
    if (corr <= level || (normal === normal && corr - normal <= -drop)) out.push(p.hours[k], WARNING);
  }
  return out.done();
}

type RuleFn = (x: FeatureIndex, slot: number, cfg: PipelineConfig, fs: FeatureSet) => Candidates;

export interface Rule {
  type: EventType;
  /** the configuration values the candidates depend on: the cache key */
  inputs: (cfg: PipelineConfig) => unknown;
  candidates: RuleFn;
}

export const RULES: Record<EventType, Rule> = {
  LIQUIDATION_CASCADE: {
    type: 'LIQUIDATION_CASCADE',
    inputs: (c) => [c.cascade.mode, c.cascade.cascade_threshold_usd, c.cascade.severity_velocity_usd_h, c.cascade.relative.severity_z, c.cascade.relative.cascade_z, c.cascade.relative.min_total_usd, c.rules.cascade_min_severity],
    candidates: cascadeCandidates,
  },
  FUNDING_ANOMALY: {
    type: 'FUNDING_ANOMALY',
    inputs: (c) => [c.funding.stale_after_hours, c.rules.funding_abs_z],
    candidates: fundingAnomalyCandidates,
  },
  FUNDING_REVERSAL: {
    type: 'FUNDING_REVERSAL',
    inputs: (c) => [c.funding.stale_after_hours, c.funding.anomaly_z, c.funding.reversal_lookback_settlements],
    candidates: fundingReversalCandidates,
  },
  VOLATILITY_REGIME_CHANGE: {
    type: 'VOLATILITY_REGIME_CHANGE',
    inputs: (c) => c.volatility.thresholds,
    candidates: volatilityCandidates,
  },
  REGIME_CONFIRMED: {
    type: 'REGIME_CONFIRMED',
    inputs: (c) => [c.regime.ignition, c.regime.cooling, c.regime.chop, c.rules.regime_min_confidence],
    candidates: regimeCandidates,
  },
  CORRELATION_BREAK: {
    type: 'CORRELATION_BREAK',
    inputs: (c) => [c.correlation.break_drop, c.correlation.break_level],
    candidates: correlationCandidates,
  },
};
