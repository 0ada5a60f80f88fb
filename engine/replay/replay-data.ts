/**
 * Everything a replay needs, loaded once into typed arrays, so that many replays (lookahead checks, sweeps)
 * can run over the same memory without touching DuckDB again.
 */
import { listSymbols, loadCandles, loadFunding, loadLiquidations, type CandleColumns, type FundingColumns, type LiquidationColumns, type TimeRange } from '../data/load.ts';
import os from 'node:os';
import type { Store } from '../data/store.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { UserError } from '../errors.ts';
import { queryRows, sqlString } from '../data/duckdb.ts';
import { isoHour } from '../time.ts';
import { upperBound } from '../sorted-search.ts';

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
  // The symbols' queries on a few connections at once, symbol i on lane i mod lanes: one after another, the bundled
  // data's nine took ≈ 240 ms, on three connections ≈ 170 ms (a cold process, alternating). A few, not one a symbol:
  // each connection binds its own views over every file of the dataset. Every query has ended before this returns or
  // throws: a failure must never leave a query running on a connection about to be closed (DuckDB aborts natively
  // when closed under a running query). A lane stops at its first failure, and the error is that of the first symbol
  // that failed, as one at a time gave it (a lane's later symbols come after its failure in the list).
  const lanes = Math.min(symbols.length, os.availableParallelism() + 1);
  const conns = await Promise.allSettled(Array.from({ length: lanes }, (_, l) => (l === 0 ? Promise.resolve(store.conn) : store.connect())));
  const loaded: (SymbolSeries | undefined)[] = new Array(symbols.length);
  const failed: { at: number; err: unknown }[] = [];
  await Promise.all(
    conns.map(async (c, l) => {
      for (let i = l; i < symbols.length; i += lanes) {
        try {
          if (c.status === 'rejected') throw c.reason;
          loaded[i] = await loadSymbol({ ...store, conn: c.value }, symbols[i], range);
        } catch (err) {
          failed.push({ at: i, err });
          return;
        }
      }
    }),
  );
  conns.forEach((c, l) => {
    if (l > 0 && c.status === 'fulfilled') c.value.closeSync();
  });
  if (failed.length > 0) throw failed.reduce((a, b) => (b.at < a.at ? b : a)).err;
  const series = loaded as SymbolSeries[];
  const firstHour = Math.min(...series.map((s) => s.candles.ts[0]));
  const lastHour = Math.max(...series.map((s) => s.candles.ts[s.candles.ts.length - 1]));
  return { symbols, series, firstHour, lastHour };
}

/** one symbol's series, its queries one after another on the store's connection */
async function loadSymbol(store: Store, symbol: string, range: TimeRange): Promise<SymbolSeries> {
  const candles = await loadCandles(store, symbol, range);
  if (candles.ts.length === 0) throw new UserError(await noCandlesMessage(store, symbol, range));
  const funding = await loadFunding(store, symbol, range);
  const liquidations = await loadLiquidations(store, symbol, range);
  return { symbol, candles, funding, liquidations };
}

async function noCandlesMessage(store: Store, symbol: string, range: TimeRange): Promise<string> {
  const [row] = await queryRows(
    store.conn,
    `SELECT count(*)::DOUBLE AS n, epoch_ms(min(ts))::DOUBLE AS f, epoch_ms(max(ts))::DOUBLE AS l FROM candles_1h WHERE symbol = ${sqlString(symbol)}`,
  );
  if (Number(row.n) === 0) {
    const known = await listSymbols(store);
    return `unknown symbol ${symbol}: the dataset has no candles for it (known: ${known.join(', ') || 'none'})`;
  }
  const asked = `${range.from === undefined ? 'the start' : isoHour(range.from)} .. ${range.to === undefined ? 'the end' : isoHour(range.to)}`;
  return `no candles for ${symbol} in ${asked} (UTC); it has data from ${isoHour(Number(row.f))} to ${isoHour(Number(row.l))}`;
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
