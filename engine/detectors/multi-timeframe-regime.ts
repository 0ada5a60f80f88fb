import * as z from 'zod';
import type { CandleInput } from '../pipeline/input.ts';
import { BarAggregator } from '../data/resample.ts';
import { RollingWindow, orNull, zScore, type WindowStatus } from './rolling.ts';
import { bool, finiteNumber, fraction, intAtLeast } from './schema.ts';

export const REGIME_TIMEFRAMES = ['1h', '4h', '1d', '1w'] as const;
export type RegimeTimeframe = (typeof REGIME_TIMEFRAMES)[number];

/**
 * A symmetric taxonomy on two axes, the bar's move (up, flat, down) and how hot it is (heat, volume):
 *            up              flat          down
 *   hot      SPOT_IGNITION   SPOT_CHURN    SPOT_CAPITULATION
 *   cold     SPOT_WARMING    SPOT_CHOP     SPOT_COOLING
 * and SPOT_NEUTRAL for a bar that fits none. Ordered from the hottest up-move to the hottest down-move (the
 * order dashboards and reports list them in).
 */
export const SPOT_REGIMES = ['SPOT_IGNITION', 'SPOT_WARMING', 'SPOT_CHURN', 'SPOT_CHOP', 'SPOT_NEUTRAL', 'SPOT_COOLING', 'SPOT_CAPITULATION'] as const;
export type SpotRegime = (typeof SPOT_REGIMES)[number];

/** the sign of the move each regime describes: what REGIME_CONFIRMED alerts take as their direction */
export const SPOT_REGIME_DIRECTION: Readonly<Record<SpotRegime, 1 | -1 | 0>> = {
  SPOT_IGNITION: 1,
  SPOT_WARMING: 1,
  SPOT_CHURN: 0,
  SPOT_CHOP: 0,
  SPOT_NEUTRAL: 0,
  SPOT_COOLING: -1,
  SPOT_CAPITULATION: -1,
};

export const RegimeConfig = z
  .object({
    /** previous bars behind price_z and volume_z, per timeframe */
    lookback_bars: z
      .object({ '1h': intAtLeast(2, 24), '4h': intAtLeast(2, 24), '1d': intAtLeast(2, 30), '1w': intAtLeast(2, 12) })
      .strict()
      .prefault({}),
    /**
     * A hot up-move. Heat is the mean of the move's and the volume's percentiles, so min_heat trades one for the
     * other: at |price_z| 1 it takes volume_z ≈ 0.57, at 1.5 any volume above normal. The original system's
     * (0.6, 1, 1.5) needed 1.5σ volume whatever the move and read a −2.5σ crash week as neutral; its thresholds
     * are a subset of these and stay available as the `seed` preset.
     */
    ignition: z
      .object({ min_heat: fraction(0.7), min_price_z: finiteNumber(1.0), min_volume_z: finiteNumber(0) })
      .strict()
      .prefault({}),
    /** the mirror of ignition: a hot down-move (crashes, liquidation days) */
    capitulation: z
      .object({ min_heat: fraction(0.7), max_price_z: finiteNumber(-1.0), min_volume_z: finiteNumber(0) })
      .strict()
      .prefault({}),
    /** the mirror of chop: heavy volume without a net move (absorption, the turn after a flush) */
    churn: z
      .object({ max_abs_price_z: finiteNumber(1.0), min_volume_z: finiteNumber(2.0) })
      .strict()
      .prefault({}),
    cooling: z
      .object({ max_heat: fraction(0.4), max_price_z: finiteNumber(-0.5), max_volume_z: finiteNumber(0.5) })
      .strict()
      .prefault({}),
    /** the mirror of cooling: a quiet rise on thin volume */
    warming: z
      .object({ max_heat: fraction(0.4), min_price_z: finiteNumber(0.5), max_volume_z: finiteNumber(0.5) })
      .strict()
      .prefault({}),
    chop: z
      .object({ max_heat: fraction(0.5), max_abs_price_z: finiteNumber(0.5), max_volume_z: finiteNumber(1.0) })
      .strict()
      .prefault({}),
    /**
     * share of valid bars a lookback needs for its z-scores: one missing hour makes a whole daily or weekly bar
     * incomplete (a missing bar, never one built as if it were whole), and demanding every bar would blank the
     * daily regime for a month after each exchange outage — including the 2020-03-12 crash
     */
    min_coverage: fraction(0.9),
    /** SymbolHour.heat, when present, replaces the market-derived heat */
    use_external_heat: bool(true),
  })
  .strict();
export type RegimeConfig = z.output<typeof RegimeConfig>;

export interface TimeframeRegime {
  /** open time of the bar the values come from (held until the next bar of the timeframe closes) */
  bar_ts: number;
  status: WindowStatus;
  price_z: number | null;
  volume_z: number | null;
  heat: number | null;
  heat_source: 'market' | 'external' | null;
  regime: SpotRegime | null;
}

export interface RegimeOutput {
  '1h': TimeframeRegime;
  '4h': TimeframeRegime;
  '1d': TimeframeRegime;
  '1w': TimeframeRegime;
  /** most common regime of the four; ties go to the higher timeframe */
  primary: SpotRegime | null;
  /** timeframes agreeing with primary / 4 (a timeframe without a regime disagrees) */
  confidence: number;
}

/** standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7) */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/**
 * Market-derived heat in [0, 1]: the mean of the two-sided percentile of the price move, 2Φ(|price_z|) − 1,
 * and the percentile of volume, Φ(volume_z). For unremarkable bars both terms are uniform, so heat averages
 * 0.5; a 1σ move on 1.5σ volume gives 0.81.
 */
export function marketHeat(priceZ: number, volumeZ: number): number {
  return (2 * normalCdf(Math.abs(priceZ)) - 1 + normalCdf(volumeZ)) / 2;
}

const IGNITION = SPOT_REGIMES.indexOf('SPOT_IGNITION');
const CAPITULATION = SPOT_REGIMES.indexOf('SPOT_CAPITULATION');
const COOLING = SPOT_REGIMES.indexOf('SPOT_COOLING');
const WARMING = SPOT_REGIMES.indexOf('SPOT_WARMING');
const CHURN = SPOT_REGIMES.indexOf('SPOT_CHURN');
const CHOP = SPOT_REGIMES.indexOf('SPOT_CHOP');
const NEUTRAL = SPOT_REGIMES.indexOf('SPOT_NEUTRAL');

/**
 * The one definition of the regime rules, as an index into SPOT_REGIMES (the sweep evaluator classifies whole
 * columns with it). Checked in order ignition, capitulation, churn, cooling, warming, chop; anything else is
 * neutral.
 * The two hot states exclude each other by the sign of price_z, and so do the two cold ones.
 */
export function spotRegimeIndex(heat: number, priceZ: number, volumeZ: number, cfg: RegimeConfig): number {
  const i = cfg.ignition;
  if (heat >= i.min_heat && priceZ >= i.min_price_z && volumeZ >= i.min_volume_z) return IGNITION;
  const k = cfg.capitulation;
  if (heat >= k.min_heat && priceZ <= k.max_price_z && volumeZ >= k.min_volume_z) return CAPITULATION;
  const u = cfg.churn;
  if (Math.abs(priceZ) <= u.max_abs_price_z && volumeZ >= u.min_volume_z) return CHURN;
  const c = cfg.cooling;
  if (heat <= c.max_heat && priceZ <= c.max_price_z && volumeZ <= c.max_volume_z) return COOLING;
  const w = cfg.warming;
  if (heat <= w.max_heat && priceZ >= w.min_price_z && volumeZ <= w.max_volume_z) return WARMING;
  const h = cfg.chop;
  if (heat <= h.max_heat && Math.abs(priceZ) <= h.max_abs_price_z && volumeZ <= h.max_volume_z) return CHOP;
  return NEUTRAL;
}

export function classifySpotRegime(heat: number, priceZ: number, volumeZ: number, cfg: RegimeConfig): SpotRegime {
  return SPOT_REGIMES[spotRegimeIndex(heat, priceZ, volumeZ, cfg)];
}

/**
 * regimes ordered 1h, 4h, 1d, 1w; the most common non-null one. A tie goes to a state that says something
 * over SPOT_NEUTRAL (1h and 4h in capitulation while 1d and 1w are neutral is a capitulation, not a calm
 * market), then to the higher timeframe.
 */
export function primaryRegime(regimes: readonly (SpotRegime | null)[]): SpotRegime | null {
  let best: SpotRegime | null = null;
  let bestCount = 0;
  for (let i = regimes.length - 1; i >= 0; i--) {
    const r = regimes[i];
    if (r === null || r === best) continue;
    let count = 0;
    for (let j = 0; j < regimes.length; j++) if (regimes[j] === r) count++;
    if (count > bestCount || (count === bestCount && best === 'SPOT_NEUTRAL')) {
      best = r;
      bestCount = count;
    }
  }
  return best;
}

export function regimeConfidence(regimes: readonly (SpotRegime | null)[], primary: SpotRegime | null): number {
  if (primary === null) return 0;
  let count = 0;
  for (let i = 0; i < regimes.length; i++) if (regimes[i] === primary) count++;
  return count / regimes.length;
}

const NO_BAR: TimeframeRegime = Object.freeze({
  bar_ts: NaN,
  status: 'warming_up',
  price_z: null,
  volume_z: null,
  heat: null,
  heat_source: null,
  regime: null,
});

/** a lookback missing a few bars still gives z-scores (mean and std of its valid bars) at min_coverage */
function lookbackStatus(w: RollingWindow, minCoverage: number): WindowStatus {
  const s = w.completeStatus;
  if (s === 'ok' || s === 'no_data') return s;
  if (w.coverage >= minCoverage) return 'ok';
  return s === 'warming_up' ? s : 'low_coverage';
}

/** z-scores of one timeframe's closed bars against the previous N closed bars */
class TimeframeZ {
  private readonly returns: RollingWindow;
  private readonly volumes: RollingWindow;
  private prevClose = NaN;
  current: TimeframeRegime = NO_BAR;

  constructor(
    lookback: number,
    private readonly cfg: RegimeConfig,
  ) {
    this.returns = new RollingWindow(lookback);
    this.volumes = new RollingWindow(lookback);
  }

  /**
   * closeKnown: the bar's last hour is present, so `close` is its real close. A bar missing another hour has an
   * unknown volume (no volume_z, no regime), but its close-to-close return is real and stays in the lookback.
   */
  onBar(barTs: number, complete: boolean, closeKnown: boolean, close: number, volume: number, externalHeat: number): TimeframeRegime {
    const closeOk = closeKnown && close > 0;
    const r = closeOk ? Math.log(close / this.prevClose) : NaN;
    this.prevClose = closeOk ? close : NaN;
    const ok = complete && closeOk && Number.isFinite(volume);
    const v = ok ? volume : NaN;
    const pz = zScore(r, this.returns.mean(), this.returns.std());
    const vz = zScore(v, this.volumes.mean(), this.volumes.std());
    let status: WindowStatus = 'no_data';
    if (ok) {
      const rs = lookbackStatus(this.returns, this.cfg.min_coverage);
      const vs = lookbackStatus(this.volumes, this.cfg.min_coverage);
      if (rs === 'no_data') status = 'warming_up';
      else if (rs !== 'ok') status = rs;
      else if (vs !== 'ok') status = vs;
      else status = r === r ? 'ok' : 'gap_in_window';
    }
    this.returns.push(r);
    this.volumes.push(v);
    // a flat lookback (zero variance) carries no information: no z
    if (status === 'ok' && !(pz === pz && vz === vz)) status = 'flat_window';
    const zOk = status === 'ok';
    const external = externalHeat === externalHeat;
    const heat = external ? externalHeat : zOk ? marketHeat(pz, vz) : NaN;
    this.current = {
      bar_ts: barTs,
      status,
      price_z: zOk ? pz : null,
      volume_z: zOk ? vz : null,
      heat: orNull(heat),
      heat_source: heat !== heat ? null : external ? 'external' : 'market',
      regime: zOk ? classifySpotRegime(heat, pz, vz, this.cfg) : null,
    };
    return this.current;
  }
}

export class MultiTimeframeRegimeDetector {
  readonly cfg: RegimeConfig;
  private readonly h1: TimeframeZ;
  private readonly h4: TimeframeZ;
  private readonly d1: TimeframeZ;
  private readonly w1: TimeframeZ;
  private readonly agg4h = new BarAggregator('4h');
  private readonly agg1d = new BarAggregator('1d');
  private readonly agg1w = new BarAggregator('1w');
  private readonly regimes: (SpotRegime | null)[] = [null, null, null, null];

  constructor(cfg: RegimeConfig) {
    this.cfg = cfg;
    const lb = cfg.lookback_bars;
    this.h1 = new TimeframeZ(lb['1h'], cfg);
    this.h4 = new TimeframeZ(lb['4h'], cfg);
    this.d1 = new TimeframeZ(lb['1d'], cfg);
    this.w1 = new TimeframeZ(lb['1w'], cfg);
  }

  /**
   * Consumes hour ts (every clock hour, candle null when missing). External heat (SymbolHour.heat) applies to
   * every bar that closes at this hour.
   */
  step(ts: number, candle: CandleInput | null, externalHeat?: number | null): RegimeOutput {
    const heat = this.cfg.use_external_heat && externalHeat != null && externalHeat >= 0 && externalHeat <= 1 ? externalHeat : NaN;
    const present = candle !== null;
    this.h1.onBar(ts, present, present, candle === null ? NaN : candle.close, candle === null ? NaN : candle.volume, heat);
    // a bar is returned at its last hour: the candle of this hour is its closing candle
    let bar = this.agg4h.push(ts, candle);
    if (bar !== null) this.h4.onBar(bar.ts, bar.complete, present, bar.close, bar.volume, heat);
    bar = this.agg1d.push(ts, candle);
    if (bar !== null) this.d1.onBar(bar.ts, bar.complete, present, bar.close, bar.volume, heat);
    bar = this.agg1w.push(ts, candle);
    if (bar !== null) this.w1.onBar(bar.ts, bar.complete, present, bar.close, bar.volume, heat);

    const rs = this.regimes;
    rs[0] = this.h1.current.regime;
    rs[1] = this.h4.current.regime;
    rs[2] = this.d1.current.regime;
    rs[3] = this.w1.current.regime;
    const primary = primaryRegime(rs);
    return {
      '1h': this.h1.current,
      '4h': this.h4.current,
      '1d': this.d1.current,
      '1w': this.w1.current,
      primary,
      confidence: regimeConfidence(rs, primary),
    };
  }
}
