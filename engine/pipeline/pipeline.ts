import { CorrelationDetector, type CorrelationOutput } from '../detectors/correlation.ts';
import { FundingAnomalyDetector } from '../detectors/funding-anomaly.ts';
import { LiquidationCascadeDetector } from '../detectors/liquidation-cascade.ts';
import { MultiTimeframeRegimeDetector } from '../detectors/multi-timeframe-regime.ts';
import { VolatilityRegimeDetector } from '../detectors/volatility-regime.ts';
import { AlertRules, CandidateBuffer, type Alert } from './alerts.ts';
import type { PipelineConfig } from './config.ts';
import { CooldownFilter, NO_SUPPRESSIONS, type SuppressionCounts } from './cooldown.ts';
import type { FeaturePackage } from './feature-package.ts';
import { HOUR_MS, type CandleInput, type SymbolHour } from './input.ts';

export interface StepResult {
  ts: number;
  /** one package per configured symbol whose candle was present, in config order */
  features: FeaturePackage[];
  /** symbols whose candle was missing: left out of features, their detectors still advanced */
  missing: readonly string[];
  correlations: CorrelationOutput;
  /** alerts that passed the cooldown filter */
  alerts: readonly Alert[];
  /** rule hits the cooldown filter suppressed this step, by reason and event type */
  suppressed: Readonly<SuppressionCounts>;
}

const NONE: readonly never[] = Object.freeze([]);

class SymbolDetectors {
  readonly cascade: LiquidationCascadeDetector;
  readonly funding: FundingAnomalyDetector;
  readonly volatility: VolatilityRegimeDetector;
  readonly regime: MultiTimeframeRegimeDetector;

  constructor(cfg: PipelineConfig) {
    this.cascade = new LiquidationCascadeDetector(cfg.cascade);
    this.funding = new FundingAnomalyDetector(cfg.funding);
    this.volatility = new VolatilityRegimeDetector(cfg.volatility);
    this.regime = new MultiTimeframeRegimeDetector(cfg.regime);
  }
}

/**
 * Drives every detector for every configured symbol, one clock hour per step, identically in replay and
 * live. step() must be called for each consecutive clock hour (a SymbolHour with candle null for a missing
 * hour; a symbol absent from `hours` counts as missing too).
 */
export class Pipeline {
  readonly config: PipelineConfig;
  readonly symbols: readonly string[];
  private readonly detectors: SymbolDetectors[];
  private readonly correlation: CorrelationDetector;
  private readonly rules: AlertRules;
  private readonly cooldown: CooldownFilter;
  private readonly closes: Float64Array;
  /** each symbol's 24 h return this hour (NaN unknown): the direction of pair alerts */
  private readonly returns24h: Float64Array;
  private readonly ordered: (SymbolHour | null)[];
  private readonly candles: (CandleInput | null)[];
  private readonly candidates = new CandidateBuffer();
  private lastTs = NaN;

  /** with alerts false, the detectors only: no rule is evaluated and no alert made (a feature replay's alerts go unread) */
  private readonly alerts: boolean;

  constructor(config: PipelineConfig, options: { alerts?: boolean } = {}) {
    this.config = config;
    this.alerts = options.alerts ?? true;
    this.symbols = config.symbols;
    this.detectors = config.symbols.map(() => new SymbolDetectors(config));
    this.correlation = new CorrelationDetector(config.symbols, config.correlation);
    this.rules = new AlertRules(config.symbols, config.rules);
    this.cooldown = new CooldownFilter(config.cooldown);
    this.closes = new Float64Array(config.symbols.length);
    this.returns24h = new Float64Array(config.symbols.length);
    this.ordered = new Array(config.symbols.length).fill(null);
    this.candles = new Array(config.symbols.length).fill(null);
  }

  step(ts: number, hours: readonly SymbolHour[]): StepResult {
    if (ts % HOUR_MS !== 0) throw new RangeError(`Pipeline.step: ts ${ts} is not on an hour boundary`);
    if (this.lastTs === this.lastTs && ts !== this.lastTs + HOUR_MS) {
      throw new RangeError(
        `Pipeline.step: expected hour ${new Date(this.lastTs + HOUR_MS).toISOString()}, got ${new Date(ts).toISOString()}; step every clock hour`,
      );
    }
    this.lastTs = ts;
    this.order(ts, hours);

    const n = this.symbols.length;
    for (let i = 0; i < n; i++) {
      const h = this.ordered[i];
      // a candle without a usable close is a missing hour for every detector
      const candle = h !== null && h.candle !== null && h.candle.close > 0 ? h.candle : null;
      this.candles[i] = candle;
      this.closes[i] = candle === null ? NaN : candle.close;
    }
    const correlations = this.correlation.step(ts, this.closes);

    const features: FeaturePackage[] = [];
    let missing: string[] | null = null;
    const cands = this.candidates;
    for (let i = 0; i < n; i++) {
      const h = this.ordered[i];
      const candle = this.candles[i];
      const d = this.detectors[i];
      const cascades = d.cascade.step(candle, h === null ? null : h.liquidation);
      const funding = d.funding.step(ts, h === null ? null : h.funding);
      const volatility = d.volatility.step(candle);
      const regimes = d.regime.step(ts, candle, h === null ? null : h.heat);
      this.returns24h[i] = volatility.return_24h ?? NaN;
      if (candle === null) {
        (missing ??= []).push(this.symbols[i]);
        continue;
      }
      const p: FeaturePackage = { ts, symbol: this.symbols[i], close: candle.close, cascades, funding, volatility, regimes, correlations };
      features.push(p);
      if (this.alerts) this.rules.evaluateSymbol(i, p, cands);
    }
    if (this.alerts) this.rules.evaluateCorrelations(correlations, this.returns24h, cands);

    let alerts: readonly Alert[] = NONE;
    let suppressed: Readonly<SuppressionCounts> = NO_SUPPRESSIONS;
    if (cands.length > 0) {
      const out: Alert[] = [];
      suppressed = this.cooldown.apply(ts, cands, out);
      if (out.length > 0) alerts = out;
      cands.clear();
    }
    return { ts, features, missing: missing ?? NONE, correlations, alerts, suppressed };
  }

  /** all suppressions since construction, by reason and event type */
  suppressedTotals(): Readonly<SuppressionCounts> {
    return this.cooldown.suppressedTotals();
  }

  /** fills this.ordered with the SymbolHour of each configured symbol, in config order */
  private order(ts: number, hours: readonly SymbolHour[]): void {
    const syms = this.symbols;
    const n = syms.length;
    for (let i = 0; i < n; i++) {
      let h: SymbolHour | null = i < hours.length && hours[i].symbol === syms[i] ? hours[i] : null;
      if (h === null) {
        for (let j = 0; j < hours.length; j++) {
          if (hours[j].symbol === syms[i]) {
            h = hours[j];
            break;
          }
        }
      }
      if (h !== null && h.ts !== ts) throw new RangeError(`Pipeline.step(${ts}): ${syms[i]} hour has ts ${h.ts}`);
      this.ordered[i] = h;
    }
    if (hours.length > n) {
      for (const h of hours) {
        if (!syms.includes(h.symbol)) throw new RangeError(`Pipeline.step: symbol ${h.symbol} is not configured`);
      }
    }
  }
}
