/**
 * Loads a symbol's series from the store into typed arrays: epoch ms as numbers, NaN for NULL. This is the
 * input of the replay; everything is cast to DOUBLE in SQL so the columns copy over in bulk.
 */
import { readFloatColumns, sqlString } from './duckdb.ts';
import type { Store } from './store.ts';

export interface TimeRange {
  /** inclusive, epoch ms */
  from?: number;
  /** exclusive, epoch ms */
  to?: number;
}

export interface CandleColumns {
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

export interface FundingColumns {
  ts: Float64Array;
  rate: Float64Array;
  intervalHours: Float64Array;
}

export interface LiquidationColumns {
  ts: Float64Array;
  longUsd: Float64Array;
  shortUsd: Float64Array;
  /** index into LIQUIDATION_KINDS */
  kind: Float64Array;
}

function rangeFilter(range: TimeRange = {}): string {
  const parts: string[] = [];
  if (range.from !== undefined) parts.push(`ts >= epoch_ms(${Math.trunc(range.from)}::BIGINT)`);
  if (range.to !== undefined) parts.push(`ts < epoch_ms(${Math.trunc(range.to)}::BIGINT)`);
  return parts.length ? ` AND ${parts.join(' AND ')}` : '';
}

export async function loadCandles(store: Store, symbol: string, range?: TimeRange, table = 'candles_1h'): Promise<CandleColumns> {
  const c = await readFloatColumns(
    store.conn,
    `SELECT epoch_ms(ts)::DOUBLE AS ts, open::DOUBLE AS open, high::DOUBLE AS high, low::DOUBLE AS low,
            close::DOUBLE AS close, volume::DOUBLE AS volume
     FROM ${table} WHERE symbol = ${sqlString(symbol)}${rangeFilter(range)} ORDER BY ts`,
  );
  return c as unknown as CandleColumns;
}

export async function loadFunding(store: Store, symbol: string, range?: TimeRange): Promise<FundingColumns> {
  const c = await readFloatColumns(
    store.conn,
    `SELECT epoch_ms(ts)::DOUBLE AS ts, funding_rate::DOUBLE AS rate, funding_interval_hours::DOUBLE AS intervalHours
     FROM funding WHERE symbol = ${sqlString(symbol)}${rangeFilter(range)} ORDER BY ts`,
  );
  return c as unknown as FundingColumns;
}

/**
 * One row per hour. Where several sources cover the same hour the most complete kind wins
 * (aggregated > observed > modelled): an aggregate across venues includes what one stream observed.
 */
export async function loadLiquidations(store: Store, symbol: string, range?: TimeRange): Promise<LiquidationColumns> {
  const c = await readFloatColumns(
    store.conn,
    `SELECT epoch_ms(ts)::DOUBLE AS ts, long_liq_usd::DOUBLE AS longUsd, short_liq_usd::DOUBLE AS shortUsd,
            (CASE kind WHEN 'observed' THEN 0 WHEN 'aggregated' THEN 1 ELSE 2 END)::DOUBLE AS kind
     FROM liquidations_1h WHERE symbol = ${sqlString(symbol)}${rangeFilter(range)}
     QUALIFY row_number() OVER (PARTITION BY ts ORDER BY CASE kind WHEN 'aggregated' THEN 0 WHEN 'observed' THEN 1 ELSE 2 END) = 1
     ORDER BY ts`,
  );
  return c as unknown as LiquidationColumns;
}

export async function listSymbols(store: Store, table = 'candles_1h'): Promise<string[]> {
  const reader = await store.conn.runAndReadAll(`SELECT DISTINCT symbol FROM ${table} ORDER BY symbol`);
  return reader.getRowsJS().map((r) => String(r[0]));
}
