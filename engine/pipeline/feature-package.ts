import type { CascadeOutput } from '../detectors/liquidation-cascade.ts';
import type { CorrelationOutput } from '../detectors/correlation.ts';
import type { FundingOutput } from '../detectors/funding-anomaly.ts';
import type { RegimeOutput } from '../detectors/multi-timeframe-regime.ts';
import type { VolatilityOutput } from '../detectors/volatility-regime.ts';

/** Everything the detectors said about one symbol at one clock hour whose candle was present. */
export interface FeaturePackage {
  ts: number;
  symbol: string;
  close: number;
  cascades: CascadeOutput;
  funding: FundingOutput;
  volatility: VolatilityOutput;
  regimes: RegimeOutput;
  /** shared by every symbol of the hour: all pairs */
  correlations: CorrelationOutput;
}
