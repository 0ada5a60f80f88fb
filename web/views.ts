/**
 * Feature rows → what each dashboard panel shows. Pure functions over the DashboardSource's rows, so the live
 * loop and saved runs look the same. Non-finite numbers become null: the JSON has no NaN, and a missing value
 * is shown as missing, never as zero.
 */
import type { z } from 'zod';
import { pairKey } from '../engine/detectors/correlation.ts';
import type { FeatureRow } from '../engine/pipeline/feature-row.ts';
import type { Candle } from './candles.ts';
import type { LiquidationCoverage } from './source.ts';
import type { CascadeSymbol, CorrelationResponse, FundingSymbol, PricesResponse, RegimeSymbol, VolatilitySymbol } from './schemas.ts';
import { isoHour } from '../engine/time.ts';

export const num = (r: FeatureRow | undefined, k: string): number | null => {
  const v = r?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};
export const str = (r: FeatureRow | undefined, k: string): string | null => {
  const v = r?.[k];
  return typeof v === 'string' ? v : null;
};
export const bool = (r: FeatureRow | undefined, k: string): boolean | null => {
  const v = r?.[k];
  return typeof v === 'boolean' ? v : null;
};

/** a feature row as JSON can carry it */
export function cleanRow(r: FeatureRow): FeatureRow {
  const out: FeatureRow = {};
  for (const k in r) {
    const v = r[k];
    out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : (v ?? null);
  }
  return out;
}

const hourText = isoHour;

export function coverageNote(symbol: string, c: LiquidationCoverage | undefined, sourceKind: 'live' | 'backtest'): string {
  if (!c || c.hours_with_data === 0 || c.first === null || c.last === null) {
    return `no liquidation data for ${symbol} in this ${sourceKind === 'live' ? 'live source' : 'run'}: cascades cannot be detected`;
  }
  const kinds = c.kinds.length ? c.kinds.join(' + ') : 'unknown-kind';
  return `${kinds} liquidation data for ${symbol}: ${hourText(c.first)} → ${hourText(c.last)} UTC (${c.hours_with_data.toLocaleString('en-US')} h)`;
}

/** why a cascade panel has no number at this hour */
export function cascadeMessage(symbol: string, row: FeatureRow | undefined, c: LiquidationCoverage | undefined): string | null {
  if (!row) return `no feature row for ${symbol} at this hour`;
  const status = str(row, 'liq_status');
  const kind = str(row, 'liq_kind');
  switch (status) {
    case 'ok':
    case null:
      return status === null ? `no liquidation data for ${symbol} at this hour` : null;
    case 'no_data': {
      const ts = num(row, 'ts_ms');
      const outside = c && c.first !== null && c.last !== null && ts !== null && (ts < c.first || ts > c.last);
      return `no liquidation data for ${symbol} at this hour` + (outside ? ` (coverage is ${hourText(c.first!)} → ${hourText(c.last!)} UTC)` : '');
    }
    case 'warming_up':
      return `liquidation window for ${symbol} is still filling${kind ? ` (${kind} data)` : ''}: no value yet`;
    case 'gap_in_window':
      return `a missing hour in ${symbol}'s liquidation window: no value at this hour`;
    case 'low_coverage':
      return `too little liquidation history for ${symbol} to rate this hour`;
    case 'flat_window':
      return `${symbol}'s liquidation velocity was constant over the baseline: no z-score to rate this hour`;
    default:
      return `liquidation status for ${symbol}: ${status}`;
  }
}

export function cascadeView(
  symbol: string,
  row: FeatureRow | undefined,
  history: FeatureRow[],
  coverage: LiquidationCoverage | undefined,
  sourceKind: 'live' | 'backtest',
): z.infer<typeof CascadeSymbol> {
  const close = num(row, 'close');
  const zonePrice = num(row, 'liq_zone_price');
  return {
    symbol,
    ts: num(row, 'ts_ms'),
    status: str(row, 'liq_status'),
    kind: str(row, 'liq_kind'),
    coverage: coverage ?? null,
    coverage_note: coverageNote(symbol, coverage, sourceKind),
    message: cascadeMessage(symbol, row, coverage),
    long_usd: num(row, 'liq_long_usd'),
    short_usd: num(row, 'liq_short_usd'),
    total_usd: num(row, 'liq_total_usd'),
    velocity_usd_h: num(row, 'liq_velocity_usd_h'),
    velocity_z: num(row, 'liq_velocity_z'),
    side_bias: str(row, 'liq_side_bias'),
    cascade_detected: bool(row, 'cascade_detected'),
    severity: num(row, 'cascade_severity'),
    close,
    zone:
      zonePrice === null
        ? null
        : { price: zonePrice, share: num(row, 'liq_zone_share'), distance_pct: close === null ? null : ((zonePrice - close) / close) * 100 },
    history: history.map((h) => ({
      ts: num(h, 'ts_ms')!,
      status: str(h, 'liq_status'),
      long_usd: num(h, 'liq_long_usd'),
      short_usd: num(h, 'liq_short_usd'),
      total_usd: num(h, 'liq_total_usd'),
      severity: num(h, 'cascade_severity'),
      cascade_detected: bool(h, 'cascade_detected'),
    })),
  };
}

export function volatilityView(symbol: string, row: FeatureRow | undefined, history: FeatureRow[]): z.infer<typeof VolatilitySymbol> {
  return {
    symbol,
    ts: num(row, 'ts_ms'),
    status: str(row, 'vol_status'),
    regime: str(row, 'vol_regime'),
    ratio: num(row, 'vol_ratio'),
    volatility_24h: num(row, 'volatility_24h'),
    baseline: num(row, 'vol_baseline'),
    baseline_coverage: num(row, 'vol_baseline_coverage'),
    risk_multiplier: num(row, 'vol_risk_multiplier'),
    cluster_prob: num(row, 'vol_cluster_prob'),
    exceed_rate: num(row, 'vol_exceed_rate'),
    history: history.map((h) => ({ ts: num(h, 'ts_ms')!, ratio: num(h, 'vol_ratio'), regime: str(h, 'vol_regime'), volatility_24h: num(h, 'volatility_24h') })),
  };
}

export function fundingView(symbol: string, row: FeatureRow | undefined, history: FeatureRow[]): z.infer<typeof FundingSymbol> {
  return {
    symbol,
    ts: num(row, 'ts_ms'),
    status: str(row, 'funding_status'),
    rate_8h: num(row, 'funding_rate_8h'),
    z: num(row, 'funding_z'),
    percentile: num(row, 'funding_percentile'),
    state: str(row, 'funding_state'),
    reversal: bool(row, 'funding_reversal'),
    hours_since_settlement: num(row, 'funding_hours_since_settlement'),
    coverage: num(row, 'funding_coverage'),
    history: history.map((h) => ({ ts: num(h, 'ts_ms')!, z: num(h, 'funding_z'), rate_8h: num(h, 'funding_rate_8h') })),
  };
}

export function priceView(symbol: string, row: FeatureRow | undefined, history: FeatureRow[], candles: readonly Candle[] = []): z.infer<typeof PricesResponse>['symbols'][number] {
  const byTs = new Map(candles.map((c) => [c.ts, c]));
  return {
    symbol,
    ts: num(row, 'ts_ms'),
    close: num(row, 'close'),
    history: history.map((h) => {
      const ts = num(h, 'ts_ms')!;
      const c = byTs.get(ts);
      return { ts, close: num(h, 'close'), return_1h: num(h, 'return_1h'), open: c?.open ?? null, high: c?.high ?? null, low: c?.low ?? null, volume: c?.volume ?? null };
    }),
  };
}

const TIMEFRAMES = ['1h', '4h', '1d', '1w'] as const;

export function regimeView(symbol: string, row: FeatureRow | undefined, history: FeatureRow[]): z.infer<typeof RegimeSymbol> {
  return {
    symbol,
    ts: num(row, 'ts_ms'),
    primary: str(row, 'primary_regime'),
    confidence: num(row, 'regime_confidence'),
    timeframes: TIMEFRAMES.map((tf) => ({
      timeframe: tf,
      regime: str(row, `regime_${tf}`),
      price_z: num(row, `price_z_${tf}`),
      volume_z: num(row, `volume_z_${tf}`),
      heat: num(row, `heat_${tf}`),
    })),
    history: history.map((h) => ({ ts: num(h, 'ts_ms')!, primary: str(h, 'primary_regime'), confidence: num(h, 'regime_confidence') })),
  };
}

export function symbolPairs(symbols: readonly string[]): { a: string; b: string; key: string }[] {
  const out: { a: string; b: string; key: string }[] = [];
  for (let i = 0; i < symbols.length; i++) for (let j = i + 1; j < symbols.length; j++) out.push({ a: symbols[i], b: symbols[j], key: pairKey(symbols[i], symbols[j]) });
  return out;
}

/**
 * Every symbol's row carries every pair, so the newest row at the cursor answers for all pairs; a pair's
 * history is read from its first symbol's rows (an hour that symbol is missing has no correlation anyway).
 */
export function correlationView(
  symbols: readonly string[],
  latest: FeatureRow[],
  historyBySymbol: Map<string, FeatureRow[]>,
): Omit<z.infer<typeof CorrelationResponse>, 'source' | 'at' | 'hours'> {
  let row: FeatureRow | undefined;
  for (const r of latest) if (row === undefined || (num(r, 'ts_ms') ?? -Infinity) > (num(row, 'ts_ms') ?? -Infinity)) row = r;
  // a run with correlation.pairs "anchors" has columns for the anchor pairs only: list the pairs it followed
  const followed = symbolPairs(symbols).filter(({ key }) => row === undefined || `corr_${key}` in row);
  const pairs = followed.map(({ a, b, key }) => {
    const corr = num(row, `corr_${key}`);
    const normal = num(row, `corr_normal_${key}`);
    return { key, a, b, corr, normal, delta: corr === null || normal === null ? null : corr - normal, broken: bool(row, `corr_break_${key}`), leader: str(row, `corr_leader_${key}`) };
  });
  const history: z.infer<typeof CorrelationResponse>['history'] = [];
  for (const { a, key } of followed) {
    for (const h of historyBySymbol.get(a) ?? []) {
      history.push({ ts: num(h, 'ts_ms')!, key, corr: num(h, `corr_${key}`), normal: num(h, `corr_normal_${key}`), broken: bool(h, `corr_break_${key}`) });
    }
  }
  return { ts: num(row, 'ts_ms'), symbols: [...symbols], pairs, history };
}
