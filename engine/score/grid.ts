/**
 * All symbols on one dense hourly grid: index = hour, so "ts + h" is "g + h" and every forward or backward
 * window is an index range. Missing hours stay missing (NaN close), and `pad` missing hours before and after
 * each symbol mean no window, however long, can reach into a neighbouring symbol.
 */
import { UserError } from '../errors.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import type { PriceSeries } from './types.ts';
import { float64s, int32s } from './market-arrays.ts';

export interface SymbolRange {
  symbol: string;
  /** grid index of the symbol's first hour */
  offset: number;
  /** hours from the first to the last candle, both included */
  length: number;
  firstTs: number;
  /** grid indices of the hours with a usable close, ascending: where random alerts may fall */
  present: Int32Array;
}

export interface Grid {
  /** NaN for a missing hour */
  close: Float64Array;
  /** the hour's high (or close) and low (or close): the extremes excursions may use */
  up: Float64Array;
  down: Float64Array;
  /** first missing index >= g / last missing index <= g; padding guarantees both exist */
  nextMissing: Int32Array;
  prevMissing: Int32Array;
  symbols: SymbolRange[];
  bySymbol: Map<string, SymbolRange>;
  /** first hour open .. last hour close over all symbols, epoch ms */
  start: number;
  end: number;
}

function checkSeries(s: PriceSeries): void {
  const where = `prices for ${s.symbol}`;
  if (s.ts.length !== s.close.length) throw new UserError(`${where}: ts and close differ in length`);
  for (const [name, col] of [['high', s.high], ['low', s.low]] as const) {
    if (col && col.length !== s.ts.length) throw new UserError(`${where}: ${name} and ts differ in length`);
  }
  for (let i = 0; i < s.ts.length; i++) {
    const t = s.ts[i];
    if (!Number.isFinite(t) || t % HOUR_MS !== 0) throw new UserError(`${where}: ts[${i}] = ${t} is not an hour open time`);
    if (i > 0 && t <= s.ts[i - 1]) throw new UserError(`${where}: ts[${i}] is not after ts[${i - 1}] (duplicate or out of order)`);
  }
}

/** A close that cannot anchor a log return is as good as a missing candle. */
function usable(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

export function buildGrid(prices: readonly PriceSeries[], pad: number): Grid {
  const seen = new Set<string>();
  for (const s of prices) {
    if (seen.has(s.symbol)) throw new UserError(`prices for ${s.symbol}: the symbol appears more than once`);
    seen.add(s.symbol);
    checkSeries(s);
  }
  const bySymbol = new Map<string, SymbolRange>();
  const series = prices.filter((s) => s.ts.length > 0);
  let size = pad;
  const layout = series.map((s) => {
    const firstTs = s.ts[0];
    const length = (s.ts[s.ts.length - 1] - firstTs) / HOUR_MS + 1;
    const offset = size;
    size += length + pad;
    return { s, firstTs, length, offset };
  });

  const close = float64s(size).fill(NaN);
  const up = float64s(size).fill(NaN);
  const down = float64s(size).fill(NaN);
  const symbols: SymbolRange[] = [];
  let start = Infinity;
  let end = -Infinity;
  for (const { s, firstTs, length, offset } of layout) {
    const present = placeSeries(s, firstTs, offset, close, up, down);
    const range: SymbolRange = { symbol: s.symbol, offset, length, firstTs, present };
    symbols.push(range);
    bySymbol.set(s.symbol, range);
    start = Math.min(start, firstTs);
    end = Math.max(end, firstTs + length * HOUR_MS);
  }
  const { nextMissing, prevMissing } = missingIndex(close);
  if (symbols.length === 0) start = end = 0;
  return { close, up, down, nextMissing, prevMissing, symbols, bySymbol, start, end };
}

// The loops over every hour live in small functions of their own: each is optimised once for all symbols and
// grids of the process, where inside buildGrid each loop was optimised on its own and thrown away again as the
// code after it first ran (≈ 9 compilations per backtest).

/** writes a series' usable hours into the grid; returns their grid indices */
function placeSeries(s: PriceSeries, firstTs: number, offset: number, close: Float64Array, up: Float64Array, down: Float64Array): Int32Array {
  let usableHours = 0;
  for (let i = 0; i < s.ts.length; i++) if (usable(s.close[i])) usableHours++;
  const present = int32s(usableHours);
  let np = 0;
  for (let i = 0; i < s.ts.length; i++) {
    const c = s.close[i];
    if (!usable(c)) continue;
    const g = offset + (s.ts[i] - firstTs) / HOUR_MS;
    close[g] = c;
    const hi = s.high?.[i];
    const lo = s.low?.[i];
    up[g] = hi !== undefined && usable(hi) ? Math.max(hi, c) : c;
    down[g] = lo !== undefined && usable(lo) ? Math.min(lo, c) : c;
    present[np++] = g;
  }
  return present;
}

function missingIndex(close: Float64Array): { nextMissing: Int32Array; prevMissing: Int32Array } {
  const size = close.length;
  const nextMissing = int32s(size);
  const prevMissing = int32s(size);
  let next = size;
  for (let g = size - 1; g >= 0; g--) {
    if (close[g] !== close[g]) next = g;
    nextMissing[g] = next;
  }
  let prev = -1;
  for (let g = 0; g < size; g++) {
    if (close[g] !== close[g]) prev = g;
    prevMissing[g] = prev;
  }
  return { nextMissing, prevMissing };
}

/** grid index of the hour opened at ts, or -1 when that hour has no usable close */
export function hourIndex(grid: Grid, symbol: string, ts: number): number {
  const r = grid.bySymbol.get(symbol);
  if (!r || !Number.isFinite(ts) || ts % HOUR_MS !== 0) return -1;
  const i = (ts - r.firstTs) / HOUR_MS;
  if (i < 0 || i >= r.length) return -1;
  const g = r.offset + i;
  return grid.close[g] === grid.close[g] ? g : -1;
}

/** hours g+1 .. g+h all have a close (g itself is assumed present) */
export function forwardComplete(grid: Grid, g: number, h: number): boolean {
  return grid.nextMissing[g + 1] > g + h;
}

/** hours g-h .. g-1 all have a close */
export function backwardComplete(grid: Grid, g: number, h: number): boolean {
  return grid.prevMissing[g - 1] < g - h;
}
