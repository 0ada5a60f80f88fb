import * as z from 'zod';
import type { CandleInput } from '../pipeline/input.ts';
import { RollingWindow, orNull, type WindowStatus } from './rolling.ts';
import { BOUNDS, fraction, intAtLeast, positiveInt, positiveNumber } from './schema.ts';

export const VOL_REGIMES = ['STABLE', 'HIGH_VOL', 'EXPLOSIVE', 'EXTREME'] as const;
export type VolRegime = (typeof VOL_REGIMES)[number];

export const VolatilityConfig = z
  .object({
    window_hours: intAtLeast(2, 24, BOUNDS.windowHours),
    baseline_hours: positiveInt(720, BOUNDS.baselineHours),
    min_coverage: fraction(0.9),
    /** lower bounds (inclusive) of HIGH_VOL, EXPLOSIVE, EXTREME on volatility_24h / vol_baseline */
    thresholds: z
      .object({ high_vol: positiveNumber(1.0), explosive: positiveNumber(1.5), extreme: positiveNumber(2.5) })
      .strict()
      .superRefine((t, ctx) => {
        if (!(t.explosive > t.high_vol)) ctx.addIssue({ code: 'custom', path: ['explosive'], message: 'expected a number above high_vol' });
        if (!(t.extreme > t.explosive)) ctx.addIssue({ code: 'custom', path: ['extreme'], message: 'expected a number above explosive' });
      })
      .prefault({}),
    risk_multipliers: z
      .object({ STABLE: positiveNumber(0.7), HIGH_VOL: positiveNumber(1.2), EXPLOSIVE: positiveNumber(1.8), EXTREME: positiveNumber(2.5) })
      .strict()
      .prefault({}),
    /** hours of (previous, current) exceedance pairs behind the clustering probability */
    cluster_window_hours: positiveInt(168, BOUNDS.yearHours),
    /** fewer exceedances than this in the window give a null probability rather than a noisy one */
    cluster_min_events: positiveInt(5, BOUNDS.yearHours),
  })
  .strict();
export type VolatilityConfig = z.output<typeof VolatilityConfig>;

export interface VolatilityOutput {
  /** 'ok' when ratio and regime exist; otherwise why not (returns window or baseline) */
  status: WindowStatus;
  return_1h: number | null;
  /** log(close_t / close_t−24h) when all 25 candles are present, else null: the sign alerts take as their direction */
  return_24h: number | null;
  /** sample std of the last window_hours hourly log returns × √24 (a daily volatility) */
  volatility_24h: number | null;
  /** mean of volatility_24h over the previous baseline_hours hours, t excluded */
  vol_baseline: number | null;
  baseline_coverage: number;
  ratio: number | null;
  regime: VolRegime | null;
  risk_multiplier: number | null;
  /** P(|r_t| > σ_b | |r_t-1| > σ_b) over the cluster window, σ_b = vol_baseline / √24 */
  cluster_prob: number | null;
  /** unconditional share of hours with |r| > σ_b in the same window, the no-clustering reference */
  exceed_rate: number | null;
}

const SQRT24 = Math.sqrt(24);
const RETURN_24H_HOURS = 24;

/** ratio < high_vol → STABLE, [high_vol, explosive) → HIGH_VOL, [explosive, extreme) → EXPLOSIVE, ≥ extreme → EXTREME */
export function classifyVolRegime(ratio: number, cfg: Pick<VolatilityConfig, 'thresholds'>): VolRegime {
  return VOL_REGIMES[volRegimeRank(ratio, cfg.thresholds)];
}

/** the same as an index into VOL_REGIMES (STABLE 0 … EXTREME 3), for the sweep's columns */
export function volRegimeRank(ratio: number, t: VolatilityConfig['thresholds']): number {
  return ratio >= t.extreme ? 3 : ratio >= t.explosive ? 2 : ratio >= t.high_vol ? 1 : 0;
}

export function riskMultiplier(regime: VolRegime, cfg: Pick<VolatilityConfig, 'risk_multipliers'>): number {
  return cfg.risk_multipliers[regime];
}

/** conditional exceedance probability; null when too few conditioning events */
export function clusterProbability(bothExceed: number, prevExceed: number, minEvents: number): number | null {
  return prevExceed >= minEvents && prevExceed > 0 ? bothExceed / prevExceed : null;
}

const PAIR_VALID = 1;
const PREV_EXCEEDS = 2;
const CUR_EXCEEDS = 4;

export class VolatilityRegimeDetector {
  readonly cfg: VolatilityConfig;
  private prevClose = NaN;
  private readonly returns: RollingWindow;
  private readonly vols: RollingWindow;
  private readonly pairs: Uint8Array;
  private pairHead = 0;
  private pairFilled = 0;
  private validPairs = 0;
  private prevExceedCount = 0;
  private bothExceedCount = 0;
  private curExceedCount = 0;
  /** -1 unknown, 0 no, 1 yes: whether the previous hour exceeded its baseline sigma */
  private prevExceed = -1;
  /** the last 25 closes (ring) and how many consecutive hours ending now had a candle */
  private readonly closes = new Float64Array(RETURN_24H_HOURS + 1);
  private closeHead = 0;
  private consecutive = 0;

  constructor(cfg: VolatilityConfig) {
    this.cfg = cfg;
    this.returns = new RollingWindow(cfg.window_hours);
    this.vols = new RollingWindow(cfg.baseline_hours);
    this.pairs = new Uint8Array(cfg.cluster_window_hours);
  }

  step(candle: CandleInput | null): VolatilityOutput {
    const close = candle !== null && candle.close > 0 ? candle.close : NaN;
    const r = Math.log(close / this.prevClose);
    this.prevClose = close;
    this.returns.push(r);
    const r24 = this.return24h(close);

    const cfg = this.cfg;
    const rs = this.returns.completeStatus;
    const status: WindowStatus = candle === null ? 'no_data' : rs === 'no_data' ? 'warming_up' : rs;
    const vol = status === 'ok' ? this.returns.std() * SQRT24 : NaN;
    const baselineCoverage = this.vols.coverage;
    const baseline = baselineCoverage >= cfg.min_coverage ? this.vols.mean() : NaN;
    this.vols.push(vol);

    const exceed = r === r && baseline > 0 ? (Math.abs(r) > baseline / SQRT24 ? 1 : 0) : -1;
    this.pushPair(exceed);
    const clusterOk = this.validPairs === this.pairs.length;
    const ratio = baseline > 0 ? vol / baseline : NaN;
    const regime = ratio === ratio ? classifyVolRegime(ratio, cfg) : null;
    return {
      status: status !== 'ok' ? status : regime !== null ? 'ok' : baseline === 0 ? 'flat_window' : 'low_coverage',
      return_1h: orNull(r),
      return_24h: r24,
      volatility_24h: orNull(vol),
      vol_baseline: orNull(baseline),
      baseline_coverage: baselineCoverage,
      ratio: orNull(ratio),
      regime,
      risk_multiplier: regime === null ? null : riskMultiplier(regime, cfg),
      cluster_prob: clusterOk ? clusterProbability(this.bothExceedCount, this.prevExceedCount, cfg.cluster_min_events) : null,
      exceed_rate: clusterOk ? this.curExceedCount / this.validPairs : null,
    };
  }

  private return24h(close: number): number | null {
    const ring = this.closes;
    this.consecutive = close === close ? this.consecutive + 1 : 0;
    ring[this.closeHead] = close;
    this.closeHead = this.closeHead + 1 === ring.length ? 0 : this.closeHead + 1;
    // after the write, closeHead points at the oldest of the last 25 closes
    return this.consecutive >= ring.length ? Math.log(close / ring[this.closeHead]) : null;
  }

  private pushPair(exceed: number): void {
    const h = this.pairHead;
    if (this.pairFilled === this.pairs.length) this.countPair(this.pairs[h], -1);
    else this.pairFilled++;
    const code = exceed >= 0 && this.prevExceed >= 0 ? PAIR_VALID | (this.prevExceed ? PREV_EXCEEDS : 0) | (exceed ? CUR_EXCEEDS : 0) : 0;
    this.pairs[h] = code;
    this.countPair(code, 1);
    this.prevExceed = exceed;
    this.pairHead = h + 1 === this.pairs.length ? 0 : h + 1;
  }

  private countPair(code: number, d: number): void {
    if (!(code & PAIR_VALID)) return;
    this.validPairs += d;
    if (code & PREV_EXCEEDS) this.prevExceedCount += d;
    if (code & CUR_EXCEEDS) this.curExceedCount += d;
    if (code & PREV_EXCEEDS && code & CUR_EXCEEDS) this.bothExceedCount += d;
  }
}
