import * as z from 'zod';
import type { CandleInput, LiquidationInput, LiquidationKind } from '../pipeline/input.ts';
import { LiquidationZones, type SupportZone } from './liquidation-zones.ts';
import { RollingWindow, orNull, zScore, type WindowStatus } from './rolling.ts';
import { BOUNDS, bool, finiteNumber, fraction, increasingNumbers, nonNegativeInt, nonNegativeNumber, numberBetween, positiveInt, positiveNumber } from './schema.ts';

export const CascadeConfig = z
  .object({
    window_hours: positiveInt(4, 168),
    /** absolute mode: a cascade is a window total strictly above this */
    cascade_threshold_usd: positiveNumber(500_000),
    /** a side whose share of the window total is strictly above this gives the bias */
    side_bias_share: fraction(0.6),
    /** lower bounds (inclusive) of severities 2, 3, 4, 5 in USD/h; below the first is severity 1 */
    severity_velocity_usd_h: increasingNumbers([100_000, 200_000, 400_000, 600_000], 4),
    /**
     * relative by default: fixed USD thresholds fire on ~90 % of the hours of cross-venue aggregated data
     * (scripts/calibrate-cascade.ts); 'absolute' with the USD bounds above is the original system's rule, meant for
     * single-venue observed data (the `seed` preset)
     */
    mode: z.enum(['absolute', 'relative'], { error: "expected 'absolute' or 'relative'" }).default('relative'),
    relative: z
      .object({
        baseline_hours: positiveInt(720, BOUNDS.baselineHours),
        min_coverage: fraction(0.9),
        /** z-score log1p(velocity): liquidation velocities are heavy-tailed, raw z-scores are dominated by spikes */
        log_velocity: bool(true),
        /**
         * lower bounds (inclusive) of relative severities 2, 3, 4, 5 in z units of log1p(velocity), whose tail is
         * short (max ≈ 2.7 on the bundled data): about the 90th, 97th, 99th and 99.7th percentiles of the train period
         */
        severity_z: increasingNumbers([1.25, 1.75, 2.1, 2.4], 4),
        /** relative mode: a cascade is z >= this (and a total above min_total_usd) */
        cascade_z: finiteNumber(2),
        min_total_usd: nonNegativeNumber(0),
      })
      .strict()
      .prefault({}),
    zones: z
      .object({
        lookback_hours: positiveInt(168, BOUNDS.windowHours),
        /** bins are log-spaced so every bin spans the same percentage of price; narrower bins would number millions */
        bin_width_pct: numberBetween(0.01, 100, 0.5),
        top_n: nonNegativeInt(3, 100),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type CascadeConfig = z.output<typeof CascadeConfig>;

export type SideBias = 'LONG' | 'SHORT' | 'BALANCED';
export type { SupportZone };

export interface CascadeOutput {
  /**
   * 'low_coverage': relative mode without enough velocity history, severity is null; 'flat_window': relative
   * mode over a constant velocity history (e.g. 720 h without liquidations), no z and no severity
   */
  status: WindowStatus;
  mode: 'absolute' | 'relative';
  /** least direct coverage kind among the hours summed (modelled < aggregated < observed) */
  kind: LiquidationKind | null;
  long_usd: number | null;
  short_usd: number | null;
  total_usd: number | null;
  velocity_usd_h: number | null;
  /** long_usd / total_usd; null when nothing was liquidated */
  long_share: number | null;
  /** LONG: longs were liquidated */
  side_bias: SideBias | null;
  /** z of the (log1p) velocity vs the previous baseline_hours of velocities; reported in both modes */
  velocity_z: number | null;
  velocity_baseline_coverage: number;
  severity: number | null;
  cascade_detected: boolean | null;
  zones: readonly SupportZone[];
  /** hours with liquidation data in the zone lookback / lookback hours */
  zone_coverage: number;
}

/** 1 + number of bounds <= value: with the defaults 100,000 USD/h is severity 2, 99,999 is severity 1. */
export function severityFromBounds(value: number, bounds: readonly number[]): number {
  let s = 1;
  for (let i = 0; i < bounds.length; i++) if (value >= bounds[i]) s++;
  return s;
}

export function cascadeSeverity(velocityUsdH: number, cfg: CascadeConfig): number {
  return severityFromBounds(velocityUsdH, cfg.severity_velocity_usd_h);
}

/** z < 1 → 1, [1, 2) → 2, [2, 3) → 3, [3, 4) → 4, ≥ 4 → 5 with the defaults */
export function relativeCascadeSeverity(velocityZ: number, cfg: CascadeConfig): number {
  return severityFromBounds(velocityZ, cfg.relative.severity_z);
}

export function sideBias(longUsd: number, shortUsd: number, share: number): SideBias | null {
  const total = longUsd + shortUsd;
  if (!(total > 0)) return null;
  if (longUsd / total > share) return 'LONG';
  if (shortUsd / total > share) return 'SHORT';
  return 'BALANCED';
}

export function isCascade(totalUsd: number, velocityZ: number | null, cfg: CascadeConfig): boolean | null {
  if (cfg.mode === 'absolute') return totalUsd > cfg.cascade_threshold_usd;
  if (velocityZ === null) return null;
  return velocityZ >= cfg.relative.cascade_z && totalUsd > cfg.relative.min_total_usd;
}

const KINDS: readonly LiquidationKind[] = ['observed', 'aggregated', 'modelled'];
const NO_KIND = 255;

function kindCode(kind: LiquidationKind): number {
  return kind === 'observed' ? 0 : kind === 'aggregated' ? 1 : kind === 'modelled' ? 2 : NO_KIND;
}

export class LiquidationCascadeDetector {
  readonly cfg: CascadeConfig;
  private readonly longs: RollingWindow;
  private readonly shorts: RollingWindow;
  private readonly kinds: Uint8Array;
  private readonly kindCounts = new Int32Array(3);
  private kindHead = 0;
  private readonly velocities: RollingWindow;
  private readonly zones: LiquidationZones;

  constructor(cfg: CascadeConfig) {
    this.cfg = cfg;
    this.longs = new RollingWindow(cfg.window_hours);
    this.shorts = new RollingWindow(cfg.window_hours);
    this.kinds = new Uint8Array(cfg.window_hours).fill(NO_KIND);
    this.velocities = new RollingWindow(cfg.relative.baseline_hours);
    this.zones = new LiquidationZones(cfg.zones.lookback_hours, cfg.zones.bin_width_pct, cfg.zones.top_n);
  }

  /** Consumes the hour that just closed; candle null (a gap) makes the hour missing for every window. */
  step(candle: CandleInput | null, liq: LiquidationInput | null): CascadeOutput {
    const ok = candle !== null && liq !== null && Number.isFinite(liq.longUsd) && Number.isFinite(liq.shortUsd);
    const longUsd = ok ? liq.longUsd : NaN;
    const shortUsd = ok ? liq.shortUsd : NaN;
    this.longs.push(longUsd);
    this.shorts.push(shortUsd);
    this.pushKind(ok ? kindCode(liq.kind) : NO_KIND);
    this.zones.push(ok ? candle.close : NaN, longUsd + shortUsd);

    const cfg = this.cfg;
    const status = this.longs.completeStatus;
    const complete = status === 'ok';
    const longSum = complete ? this.longs.sum() : NaN;
    const shortSum = complete ? this.shorts.sum() : NaN;
    const total = longSum + shortSum;
    const velocity = total / cfg.window_hours;
    const transformed = cfg.relative.log_velocity ? Math.log1p(velocity) : velocity;
    const baselineCoverage = this.velocities.coverage;
    const baselineOk = baselineCoverage >= cfg.relative.min_coverage;
    const z = baselineOk ? zScore(transformed, this.velocities.mean(), this.velocities.std()) : NaN;
    const flatBaseline = baselineOk && this.velocities.flat;
    this.velocities.push(transformed);
    const zones = this.zones.zones();
    const zoneCoverage = this.zones.coverage;

    if (!complete) {
      return {
        status,
        mode: cfg.mode,
        kind: null,
        long_usd: null,
        short_usd: null,
        total_usd: null,
        velocity_usd_h: null,
        long_share: null,
        side_bias: null,
        velocity_z: null,
        velocity_baseline_coverage: baselineCoverage,
        severity: null,
        cascade_detected: null,
        zones,
        zone_coverage: zoneCoverage,
      };
    }
    const velocityZ = orNull(z);
    let severity: number | null = null;
    if (cfg.mode === 'absolute') severity = cascadeSeverity(velocity, cfg);
    else if (velocityZ !== null) severity = relativeCascadeSeverity(velocityZ, cfg);
    return {
      status: severity !== null ? 'ok' : flatBaseline ? 'flat_window' : 'low_coverage',
      mode: cfg.mode,
      kind: this.windowKind(),
      long_usd: longSum,
      short_usd: shortSum,
      total_usd: total,
      velocity_usd_h: velocity,
      long_share: total > 0 ? longSum / total : null,
      side_bias: sideBias(longSum, shortSum, cfg.side_bias_share),
      velocity_z: velocityZ,
      velocity_baseline_coverage: baselineCoverage,
      severity,
      cascade_detected: isCascade(total, velocityZ, cfg),
      zones,
      zone_coverage: zoneCoverage,
    };
  }

  private pushKind(code: number): void {
    const old = this.kinds[this.kindHead];
    if (old !== NO_KIND) this.kindCounts[old]--;
    this.kinds[this.kindHead] = code;
    if (code !== NO_KIND) this.kindCounts[code]++;
    this.kindHead = this.kindHead + 1 === this.kinds.length ? 0 : this.kindHead + 1;
  }

  private windowKind(): LiquidationKind | null {
    for (let c = 2; c >= 0; c--) if (this.kindCounts[c] > 0) return KINDS[c];
    return null;
  }
}
