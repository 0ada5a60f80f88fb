import * as z from 'zod';
import { HOUR_MS, type FundingInput } from '../pipeline/input.ts';
import { TimeKeyedWindow, orNull, zScore, type WindowStatus } from './rolling.ts';
import { BOUNDS, fraction, positiveInt, positiveNumber } from './schema.ts';

export const FundingConfig = z
  .object({
    /** trailing window by settlement time: settlements with settledAt > current - lookback_days */
    lookback_days: positiveInt(30, 365),
    anomaly_z: positiveNumber(2),
    watch_z: positiveNumber(1),
    /** settled interval hours in the window / window hours needed for a z-score */
    min_coverage: fraction(0.9),
    min_settlements: positiveInt(10, BOUNDS.yearHours),
    /** a sign flip counts as a reversal when one of this many previous settlements was extreme */
    reversal_lookback_settlements: positiveInt(3, 100),
    /** after this many hours without a settlement the last one no longer stands */
    stale_after_hours: positiveInt(24, BOUNDS.yearHours),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.watch_z >= c.anomaly_z) ctx.addIssue({ code: 'custom', path: ['watch_z'], message: 'expected a number below anomaly_z' });
  });
export type FundingConfig = z.output<typeof FundingConfig>;

export type FundingState = 'anomaly' | 'watch' | 'normal';

export interface FundingOutput {
  /**
   * 'no_data': nothing settled yet or the last settlement is stale; 'low_coverage': too few settlements for a
   * z-score; 'flat_window': the window's rates are all equal (std 0), so there is no z-score either
   */
  status: WindowStatus;
  /** the standing (last) settlement */
  rate: number | null;
  interval_hours: number | null;
  /** rate × 8 / interval_hours */
  rate_8h: number | null;
  settled_at: number | null;
  hours_since_settlement: number | null;
  z: number | null;
  /** mid-rank percentile of rate_8h among the trailing settlements, [0, 1] */
  percentile: number | null;
  mean_8h: number | null;
  std_8h: number | null;
  settlements_in_window: number;
  coverage: number;
  state: FundingState | null;
  reversal: boolean | null;
}

export function rate8h(rate: number, intervalHours: number): number {
  return (rate * 8) / intervalHours;
}

/** |z| ≥ anomaly_z → anomaly, watch_z ≤ |z| < anomaly_z → watch, else normal (z 1.67 → watch). */
export function fundingState(z: number, cfg: FundingConfig): FundingState {
  const a = Math.abs(z);
  if (a >= cfg.anomaly_z) return 'anomaly';
  if (a >= cfg.watch_z) return 'watch';
  return 'normal';
}

/** a strict sign flip (zero is no sign) right after an extreme settlement */
export function isFundingReversal(previousRate8h: number, rate8hNow: number, recentExtreme: boolean): boolean {
  return recentExtreme && previousRate8h * rate8hNow < 0;
}

export class FundingAnomalyDetector {
  readonly cfg: FundingConfig;
  private readonly window: TimeKeyedWindow;
  private readonly windowHours: number;
  private readonly extremes: Uint8Array;
  private extremeHead = 0;
  private extremeCount = 0;

  private hasSettlement = false;
  private rate = NaN;
  private intervalHours = NaN;
  private r8 = NaN;
  private settledAt = NaN;
  private settledHour = NaN;
  private z = NaN;
  private percentile = NaN;
  private mean = NaN;
  private std = NaN;
  private flat = false;
  private count = 0;
  private coverage = 0;
  private reversal = false;
  private standing: FundingOutput | null = null;

  constructor(cfg: FundingConfig) {
    this.cfg = cfg;
    this.windowHours = cfg.lookback_days * 24;
    this.window = new TimeKeyedWindow(this.windowHours * HOUR_MS);
    this.extremes = new Uint8Array(cfg.reversal_lookback_settlements);
  }

  /** Consumes the hour [ts, ts + 1h); funding is the settlement in that hour, if any. */
  step(ts: number, funding: FundingInput | null): FundingOutput {
    if (funding !== null) this.settle(funding);
    const hoursSince = this.hasSettlement ? Math.round((ts - this.settledHour) / HOUR_MS) : NaN;
    if (!this.hasSettlement || hoursSince > this.cfg.stale_after_hours || hoursSince < 0) {
      return {
        status: 'no_data',
        rate: null,
        interval_hours: null,
        rate_8h: null,
        settled_at: null,
        hours_since_settlement: orNull(hoursSince),
        z: null,
        percentile: null,
        mean_8h: null,
        std_8h: null,
        settlements_in_window: this.count,
        coverage: this.coverage,
        state: null,
        reversal: null,
      };
    }
    // the settlement stands: copy its output (boxed numbers are shared, not re-allocated every hour)
    return { ...this.standing!, hours_since_settlement: hoursSince };
  }

  private standingOutput(): FundingOutput {
    const zOk = this.z === this.z;
    return {
      status: zOk ? 'ok' : this.flat ? 'flat_window' : 'low_coverage',
      rate: this.rate,
      interval_hours: this.intervalHours,
      rate_8h: this.r8,
      settled_at: this.settledAt,
      hours_since_settlement: 0,
      z: orNull(this.z),
      percentile: orNull(this.percentile),
      mean_8h: orNull(this.mean),
      std_8h: orNull(this.std),
      settlements_in_window: this.count,
      coverage: this.coverage,
      state: zOk ? fundingState(this.z, this.cfg) : null,
      reversal: this.reversal,
    };
  }

  private settle(f: FundingInput): void {
    if (!Number.isFinite(f.rate) || !(f.intervalHours > 0) || !Number.isFinite(f.settledAt)) return;
    if (this.hasSettlement && f.settledAt <= this.settledAt) return;
    const cfg = this.cfg;
    const r8 = rate8h(f.rate, f.intervalHours);
    const w = this.window;
    w.evictBefore(f.settledAt);
    this.count = w.length;
    this.coverage = Math.min(1, w.weightSum / this.windowHours);
    const enough = this.coverage >= cfg.min_coverage && w.length >= cfg.min_settlements;
    this.mean = enough ? w.mean() : NaN;
    this.std = enough ? w.std() : NaN;
    this.flat = enough && w.flat;
    this.z = enough ? zScore(r8, this.mean, this.std) : NaN;
    this.percentile = enough ? w.percentileOf(r8) : NaN;
    this.reversal = this.hasSettlement && isFundingReversal(this.r8, r8, this.extremeCount > 0);

    const extreme = this.z === this.z && Math.abs(this.z) >= cfg.anomaly_z ? 1 : 0;
    this.extremeCount += extreme - this.extremes[this.extremeHead];
    this.extremes[this.extremeHead] = extreme;
    this.extremeHead = (this.extremeHead + 1) % this.extremes.length;

    w.push(f.settledAt, r8, f.intervalHours);
    this.hasSettlement = true;
    this.rate = f.rate;
    this.intervalHours = f.intervalHours;
    this.r8 = r8;
    this.settledAt = f.settledAt;
    this.settledHour = Math.floor(f.settledAt / HOUR_MS) * HOUR_MS;
    this.standing = this.standingOutput();
  }
}
