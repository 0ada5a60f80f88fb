import { correlationPairs, pairKey, type CorrelationConfig, type CorrelationOutput } from '../detectors/correlation.ts';
import type { FeaturePackage } from './feature-package.ts';

export type ColumnType = 'number' | 'string' | 'boolean';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  description: string;
}

/** every column is nullable: null means the detector had no value for the hour (see the gap rule) */
export type FeatureValue = number | string | boolean | null;
export type FeatureRow = Record<string, FeatureValue>;

const c = (name: string, type: ColumnType, description: string): ColumnSpec => ({ name, type, description });

export const BASE_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  c('ts_ms', 'number', 'hour open time, epoch ms UTC; values use data closed by ts_ms + 1 h'),
  c('symbol', 'string', 'symbol'),
  c('close', 'number', 'hourly close'),
  c('gap_in_window', 'boolean', 'some detector window ending this hour holds a missing hour, so its output is null'),
  c('vol_status', 'string', 'volatility status: ok, warming_up, gap_in_window, low_coverage, flat_window, no_data'),
  c('return_1h', 'number', 'hourly log return (null the first hour after a gap)'),
  c('volatility_24h', 'number', 'sample std of the last 24 hourly log returns × √24'),
  c('vol_baseline', 'number', 'mean volatility_24h over the previous 720 h (needs 90 % coverage)'),
  c('vol_baseline_coverage', 'number', 'share of the previous 720 h with a volatility_24h value'),
  c('vol_ratio', 'number', 'volatility_24h / vol_baseline'),
  c('vol_regime', 'string', 'STABLE, HIGH_VOL, EXPLOSIVE or EXTREME by vol_ratio'),
  c('vol_risk_multiplier', 'number', 'risk multiplier of vol_regime'),
  c('vol_cluster_prob', 'number', 'P(|r| > baseline hourly sigma | previous hour also) over 168 h'),
  c('vol_exceed_rate', 'number', 'share of hours with |r| > baseline hourly sigma over 168 h (no-clustering reference)'),
  c('funding_status', 'string', 'funding status: ok, low_coverage, flat_window (30-day rates all equal: no z), no_data'),
  c('funding_rate_8h', 'number', 'standing funding rate scaled to 8 h (rate × 8 / interval hours)'),
  c('funding_z', 'number', 'z of the standing settlement vs the previous 30 days of settlements'),
  c('funding_percentile', 'number', 'mid-rank percentile of the standing rate in the previous 30 days, 0..1'),
  c('funding_state', 'string', 'anomaly (|z| ≥ 2), watch (1 ≤ |z| < 2) or normal'),
  c('funding_reversal', 'boolean', 'the standing settlement flipped sign after an extreme one'),
  c('funding_hours_since_settlement', 'number', 'clock hours since the standing settlement'),
  c('funding_coverage', 'number', 'settled interval hours in the 30-day window / window hours'),
  c('liq_status', 'string', 'liquidation status: ok, warming_up, gap_in_window, low_coverage, flat_window, no_data'),
  c('liq_kind', 'string', 'least direct liquidation coverage kind in the window: observed, aggregated, modelled'),
  c('liq_long_usd', 'number', 'long positions liquidated in the cascade window, USD'),
  c('liq_short_usd', 'number', 'short positions liquidated in the cascade window, USD'),
  c('liq_total_usd', 'number', 'liquidated in the cascade window, USD'),
  c('liq_velocity_usd_h', 'number', 'liq_total_usd / window hours'),
  c('liq_velocity_z', 'number', 'z of (log1p) velocity vs the previous 720 h of velocities'),
  c('liq_side_bias', 'string', 'LONG (longs liquidated), SHORT or BALANCED'),
  c('cascade_detected', 'boolean', 'cascade by the configured mode (absolute USD or relative z)'),
  c('cascade_severity', 'number', 'cascade severity 1..5 by velocity (absolute) or z (relative)'),
  c('liq_zone_price', 'number', 'liquidation-weighted price of the largest 7-day liquidation zone'),
  c('liq_zone_share', 'number', 'share of 7-day liquidations in that zone'),
  c('regime_1h', 'string', 'SPOT_IGNITION, SPOT_COOLING, SPOT_CHOP or SPOT_NEUTRAL of the last closed 1h bar'),
  c('regime_4h', 'string', 'regime of the last closed 4h bar'),
  c('regime_1d', 'string', 'regime of the last closed 1d bar'),
  c('regime_1w', 'string', 'regime of the last closed 1w bar (weeks start Monday)'),
  c('price_z_1h', 'number', 'z of the 1h bar log return vs the previous 24 bars'),
  c('price_z_4h', 'number', 'z of the 4h bar log return vs the previous 24 bars'),
  c('price_z_1d', 'number', 'z of the 1d bar log return vs the previous 30 bars'),
  c('price_z_1w', 'number', 'z of the 1w bar log return vs the previous 12 bars'),
  c('volume_z_1h', 'number', 'z of the 1h bar volume vs the previous 24 bars'),
  c('volume_z_4h', 'number', 'z of the 4h bar volume vs the previous 24 bars'),
  c('volume_z_1d', 'number', 'z of the 1d bar volume vs the previous 30 bars'),
  c('volume_z_1w', 'number', 'z of the 1w bar volume vs the previous 12 bars'),
  c('heat_1h', 'number', 'heat 0..1 of the 1h bar (external when given, else market-derived)'),
  c('heat_4h', 'number', 'heat 0..1 of the 4h bar'),
  c('heat_1d', 'number', 'heat 0..1 of the 1d bar'),
  c('heat_1w', 'number', 'heat 0..1 of the 1w bar'),
  c('primary_regime', 'string', 'most common regime of the four timeframes, ties to the higher timeframe'),
  c('regime_confidence', 'number', 'timeframes agreeing with primary_regime / 4'),
]);

/** BASE_COLUMNS then, per followed pair (all pairs unless `correlation` says anchors), corr_<a>_<b>, corr_normal_<a>_<b>, corr_break_<a>_<b>, corr_leader_<a>_<b> */
export function featureColumns(symbols: readonly string[], correlation: Pick<CorrelationConfig, 'pairs' | 'anchors'> = { pairs: 'all', anchors: [] }): ColumnSpec[] {
  const cols = [...BASE_COLUMNS];
  for (const [i, j] of correlationPairs(symbols, correlation)) {
    const k = pairKey(symbols[i], symbols[j]);
    const pair = `${symbols[i]}/${symbols[j]}`;
    cols.push(
      c(`corr_${k}`, 'number', `168 h Pearson correlation of hourly log returns, ${pair}`),
      c(`corr_normal_${k}`, 'number', `mean of that correlation over the previous 720 h, ${pair}`),
      c(`corr_break_${k}`, 'boolean', `correlation break (drop ≥ 0.3 vs normal or level ≤ −0.5), ${pair}`),
      c(`corr_leader_${k}`, 'string', `symbol whose lagged returns better predict the other's, ${pair}`),
    );
  }
  return cols;
}

/**
 * Where writeFeatures puts a symbol-hour's values: column indices are positions in BASE_COLUMNS, and each method
 * takes one declared type, so a columnar sink stores values without looking at them.
 */
export interface FeatureSink {
  num(col: number, v: number | null): void;
  str(col: number, v: string | null): void;
  bool(col: number, v: boolean | null): void;
  /** the four corr_* columns of every followed pair (a sink fed during the step can read the columns, no object per pair) */
  pairs(c: CorrelationOutput): void;
}

const C: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(BASE_COLUMNS.map((col, i) => [col.name, i])));

/**
 * every feature column of one symbol-hour, in column order: the one mapping from detector outputs to columns. Written
 * in parts of a dozen columns: V8 inlines a sink's small methods into a function of that size (not into one of 60
 * calls), which is most of what filling the feature columns costs.
 */
export function writeFeatures(f: FeaturePackage, s: FeatureSink): void {
  writeVolatility(f, s);
  writeFunding(f, s);
  writeCascades(f, s);
  writeRegimes(f, s);
  s.pairs(f.correlations);
}

function writeVolatility(f: FeaturePackage, s: FeatureSink): void {
  const v = f.volatility;
  const l = f.cascades;
  const r = f.regimes;
  s.num(C.ts_ms, f.ts);
  s.str(C.symbol, f.symbol);
  s.num(C.close, f.close);
  s.bool(
    C.gap_in_window,
    v.status === 'gap_in_window' ||
      l.status === 'gap_in_window' ||
      r['1h'].status === 'gap_in_window' ||
      r['4h'].status === 'gap_in_window' ||
      r['1d'].status === 'gap_in_window' ||
      r['1w'].status === 'gap_in_window' ||
      f.correlations.gapFor(f.symbol),
  );
  s.str(C.vol_status, v.status);
  s.num(C.return_1h, v.return_1h);
  s.num(C.volatility_24h, v.volatility_24h);
  s.num(C.vol_baseline, v.vol_baseline);
  s.num(C.vol_baseline_coverage, v.baseline_coverage);
  s.num(C.vol_ratio, v.ratio);
  s.str(C.vol_regime, v.regime);
  s.num(C.vol_risk_multiplier, v.risk_multiplier);
  s.num(C.vol_cluster_prob, v.cluster_prob);
  s.num(C.vol_exceed_rate, v.exceed_rate);
}

function writeFunding(f: FeaturePackage, s: FeatureSink): void {
  const fu = f.funding;
  s.str(C.funding_status, fu.status);
  s.num(C.funding_rate_8h, fu.rate_8h);
  s.num(C.funding_z, fu.z);
  s.num(C.funding_percentile, fu.percentile);
  s.str(C.funding_state, fu.state);
  s.bool(C.funding_reversal, fu.rate_8h === null ? null : fu.reversal);
  s.num(C.funding_hours_since_settlement, fu.hours_since_settlement);
  s.num(C.funding_coverage, fu.coverage);
}

function writeCascades(f: FeaturePackage, s: FeatureSink): void {
  const l = f.cascades;
  const zone = l.zones.length > 0 ? l.zones[0] : null;
  s.str(C.liq_status, l.status);
  s.str(C.liq_kind, l.kind);
  s.num(C.liq_long_usd, l.long_usd);
  s.num(C.liq_short_usd, l.short_usd);
  s.num(C.liq_total_usd, l.total_usd);
  s.num(C.liq_velocity_usd_h, l.velocity_usd_h);
  s.num(C.liq_velocity_z, l.velocity_z);
  s.str(C.liq_side_bias, l.side_bias);
  s.bool(C.cascade_detected, l.cascade_detected);
  s.num(C.cascade_severity, l.severity);
  s.num(C.liq_zone_price, zone === null ? null : zone.price);
  s.num(C.liq_zone_share, zone === null ? null : zone.share);
}

function writeRegimes(f: FeaturePackage, s: FeatureSink): void {
  const r = f.regimes;
  s.str(C.regime_1h, r['1h'].regime);
  s.str(C.regime_4h, r['4h'].regime);
  s.str(C.regime_1d, r['1d'].regime);
  s.str(C.regime_1w, r['1w'].regime);
  s.num(C.price_z_1h, r['1h'].price_z);
  s.num(C.price_z_4h, r['4h'].price_z);
  s.num(C.price_z_1d, r['1d'].price_z);
  s.num(C.price_z_1w, r['1w'].price_z);
  s.num(C.volume_z_1h, r['1h'].volume_z);
  s.num(C.volume_z_4h, r['4h'].volume_z);
  s.num(C.volume_z_1d, r['1d'].volume_z);
  s.num(C.volume_z_1w, r['1w'].volume_z);
  s.num(C.heat_1h, r['1h'].heat);
  s.num(C.heat_4h, r['4h'].heat);
  s.num(C.heat_1d, r['1d'].heat);
  s.num(C.heat_1w, r['1w'].heat);
  s.str(C.primary_regime, r.primary);
  s.num(C.regime_confidence, r.confidence);
}

/** the features of one symbol-hour as an object keyed by column name (live mode, parity, tests) */
export function toFeatureRow(f: FeaturePackage): FeatureRow {
  const row: FeatureRow = {};
  const set = (col: number, v: FeatureValue) => {
    row[BASE_COLUMNS[col].name] = v;
  };
  writeFeatures(f, {
    num: set,
    str: set,
    bool: set,
    // the pair objects: they stay valid after the step when read during it (a row may be made later)
    pairs(c) {
      for (const p of c.pairs) {
        const names = pairColumnNames(p.key);
        row[names[0]] = p.corr;
        row[names[1]] = p.normal;
        row[names[2]] = p.broken;
        row[names[3]] = p.leader;
      }
    },
  });
  return row;
}

// column names are built once per pair instead of concatenated for every row
const pairNames = new Map<string, readonly [string, string, string, string]>();

export function pairColumnNames(key: string): readonly [string, string, string, string] {
  let names = pairNames.get(key);
  if (names === undefined) {
    names = [`corr_${key}`, `corr_normal_${key}`, `corr_break_${key}`, `corr_leader_${key}`];
    pairNames.set(key, names);
  }
  return names;
}
