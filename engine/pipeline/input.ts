/**
 * What the pipeline consumes for one symbol at one clock hour.
 *
 * Time convention used everywhere in the engine: `ts` is the OPEN time of an hour (epoch ms, a multiple of
 * HOUR_MS). The hour [ts, ts + 1h) is evaluated at its close, ts + 1h, and may use every record whose own
 * timestamp falls in an hour <= ts: the candle opened at ts, a funding settlement at any s < ts + 1h, the
 * liquidation bucket that starts at ts. Nothing later.
 */
export const HOUR_MS = 3_600_000;

export type LiquidationKind = 'observed' | 'aggregated' | 'modelled';

export interface CandleInput {
  open: number;
  high: number;
  low: number;
  close: number;
  /** base-asset volume */
  volume: number;
}

export interface FundingInput {
  /** rate per funding interval as a decimal (0.0001 = 0.01 %) */
  rate: number;
  intervalHours: number;
  /** settlement time, epoch ms (within [ts, ts + 1h)) */
  settledAt: number;
}

export interface LiquidationInput {
  /** USD notional of long positions liquidated during the hour */
  longUsd: number;
  shortUsd: number;
  kind: LiquidationKind;
  source: string;
}

export interface SymbolHour {
  symbol: string;
  ts: number;
  /** null: the exchange has no candle for this hour (a gap). Detectors advance their clocks but emit "no data". */
  candle: CandleInput | null;
  /** a settlement that happened in this hour, if any; between settlements the last settled rate stands */
  funding: FundingInput | null;
  /** null: no liquidation coverage for this hour (never the same as zero liquidations) */
  liquidation: LiquidationInput | null;
  /** optional external "narrative heat" in [0,1] that replaces the market-derived heat of the regime detector */
  heat?: number | null;
}
