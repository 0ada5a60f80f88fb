/** What every data route resolves first: the source (`?run=`), the symbols asked for, and the cursor. */
import type { FeatureRow } from '../../engine/pipeline/feature-row.ts';
import { badRequest } from '../http-errors.ts';
import type { CandleCache } from '../candles.ts';
import type { SourceRegistry } from '../sources.ts';
import type { DashboardSource } from '../source.ts';

export interface RouteOptions {
  registry: SourceRegistry;
  /** OHLCV for the price panel; absent: close-only */
  candles?: CandleCache;
}

export interface Resolved {
  source: DashboardSource;
  symbols: readonly string[];
  /** passed to the source: undefined means "the current hour" */
  at: number | undefined;
  /** reported back: the cursor actually used */
  cursor: number | null;
  ref: { kind: 'live' | 'backtest'; id: string };
}

export async function resolve(registry: SourceRegistry, q: { run?: string; at?: number; symbol?: string }): Promise<Resolved> {
  const source = await registry.get(q.run);
  let symbols = source.symbols;
  if (q.symbol !== undefined) {
    if (!source.symbols.includes(q.symbol)) {
      throw badRequest(`query parameter 'symbol': unknown symbol '${q.symbol}' (this source has ${source.symbols.join(', ') || 'no symbols'})`);
    }
    symbols = [q.symbol];
  }
  const range = source.range();
  // a cursor past the end shows the end; a live source ignores a later `at` by contract, a run clamps it here
  const at = q.at !== undefined && range && q.at > range.last ? range.last : q.at;
  return { source, symbols, at, cursor: at ?? range?.last ?? null, ref: { kind: source.kind, id: source.id } };
}

// Several panels ask for the same window at the same cursor on every refresh; a saved run never changes, so
// its last windows are kept. Live windows are not: the current hour moves under them. Small on purpose: a
// 90-day window of one symbol is ~2,000 materialised rows (a few MB); a page's refresh needs six windows.
const memo = new WeakMap<DashboardSource, Map<string, Promise<FeatureRow[]>>>();
const MEMO_SIZE = 12;

export function history(source: DashboardSource, symbol: string, hours: number, at: number | undefined): Promise<FeatureRow[]> {
  if (source.kind !== 'backtest') return source.featureHistory(symbol, hours, at);
  let m = memo.get(source);
  if (!m) memo.set(source, (m = new Map()));
  const key = `${symbol}|${hours}|${at}`;
  let p = m.get(key);
  if (!p) {
    p = source.featureHistory(symbol, hours, at);
    p.catch(() => m!.delete(key));
    m.set(key, p);
    if (m.size > MEMO_SIZE) m.delete(m.keys().next().value!);
  }
  return p;
}

export async function histories(source: DashboardSource, symbols: readonly string[], hours: number, at: number | undefined): Promise<Map<string, FeatureRow[]>> {
  const rows = await Promise.all(symbols.map((s) => history(source, s, hours, at)));
  return new Map(symbols.map((s, i) => [s, rows[i]]));
}

export async function latestBySymbol(source: DashboardSource, at: number | undefined): Promise<Map<string, FeatureRow>> {
  const rows = await source.latestFeatures(at);
  return new Map(rows.map((r) => [String(r.symbol), r]));
}
