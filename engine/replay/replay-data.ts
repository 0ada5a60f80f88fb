/**
 * Everything a replay needs, loaded once into typed arrays, so that many replays (lookahead checks, sweeps)
 * can run over the same memory without touching DuckDB again.
 */
import { loadCandles, loadFunding, loadLiquidations, type CandleColumns, type FundingColumns, type LiquidationColumns, type TimeRange } from '../data/load.ts';
import type { Store } from '../data/store.ts';
import { HOUR_MS, type FundingInput } from '../pipeline/input.ts';
import { UserError } from '../errors.ts';

export interface SymbolSeries {
  symbol: string;
  candles: CandleColumns;
  funding: FundingColumns;
  liquidations: LiquidationColumns;
}

export interface ReplayData {
  symbols: string[];
  series: SymbolSeries[];
  /** first and last clock hour with a candle for any symbol (epoch ms, hour open) */
  firstHour: number;
  lastHour: number;
}

export async function loadReplayData(store: Store, symbols: string[], range: TimeRange = {}): Promise<ReplayData> {
  if (symbols.length === 0) throw new UserError('no symbols to replay');
  const series = await Promise.all(
    symbols.map(async (symbol) => {
      const [candles, funding, liquidations] = await Promise.all([
        loadCandles(store, symbol, range),
        loadFunding(store, symbol, range),
        loadLiquidations(store, symbol, range),
      ]);
      if (candles.ts.length === 0) throw new UserError(`no candles for ${symbol} in the requested range (see \`regime data summary\`)`);
      return { symbol, candles, funding, liquidations };
    }),
  );
  const firstHour = Math.min(...series.map((s) => s.candles.ts[0]));
  const lastHour = Math.max(...series.map((s) => s.candles.ts[s.candles.ts.length - 1]));
  return { symbols, series, firstHour, lastHour };
}

/** The same data cut at an hour: what a replay that stopped there could have known. */
export function truncateReplayData(data: ReplayData, lastHourInclusive: number): ReplayData {
  const cut = <T extends { ts: Float64Array }>(cols: T): T => {
    const n = upperBound(cols.ts, lastHourInclusive + HOUR_MS - 1);
    const out = {} as Record<string, Float64Array>;
    for (const [k, v] of Object.entries(cols)) out[k] = (v as Float64Array).subarray(0, n);
    return out as unknown as T;
  };
  const series = data.series.map((s) => ({ symbol: s.symbol, candles: cut(s.candles), funding: cut(s.funding), liquidations: cut(s.liquidations) }));
  return { symbols: data.symbols, series, firstHour: data.firstHour, lastHour: Math.min(data.lastHour, lastHourInclusive) };
}

/** first index whose value is > x */
export function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The same data starting at an hour: a replay that began later, with no memory of what came before. */
export function sliceReplayDataFrom(data: ReplayData, firstHour: number): ReplayData {
  const cut = <T extends { ts: Float64Array }>(cols: T): T => {
    const n = upperBound(cols.ts, firstHour - 1);
    const out = {} as Record<string, Float64Array>;
    for (const [k, v] of Object.entries(cols)) out[k] = (v as Float64Array).subarray(n);
    return out as unknown as T;
  };
  const series = data.series.map((s) => ({ symbol: s.symbol, candles: cut(s.candles), funding: cut(s.funding), liquidations: cut(s.liquidations) }));
  return { symbols: data.symbols, series, firstHour: Math.max(data.firstHour, firstHour), lastHour: data.lastHour };
}

/**
 * The settlement that belongs to each clock hour, for hours asked in increasing order: one inside [t, t + 1h)
 * (settlement times are on the hour; of two in one hour the later stands), none before the first hour asked.
 * The replay and the sweep's feature cache both use it, so they hand the funding detector the same inputs.
 */
export function fundingByHour(funding: FundingColumns): (hour: number) => FundingInput | null {
  const { ts, rate, intervalHours } = funding;
  let k = 0;
  return (t: number) => {
    let f: FundingInput | null = null;
    while (k < ts.length && ts[k] < t + HOUR_MS) {
      if (ts[k] >= t) f = { rate: rate[k], intervalHours: intervalHours[k], settledAt: ts[k] };
      k++;
    }
    return f;
  };
}
