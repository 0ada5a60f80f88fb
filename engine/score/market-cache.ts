/**
 * A prepared market (market.ts) and its draw tables kept on disk between backtests (engine/results/cache-file.ts).
 *
 * Why: preparing them is ≈ 0.5 s of CPU on the baseline worker during every default backtest's replay, on the core
 * the replay shares with the feature writer; the market depends only on the prices, the scorer options and the code,
 * not on the detector configuration, so a researcher's next run — any configuration, same data — reads it in a few
 * milliseconds. The file is named by a sha256 of the prices themselves, the parsed options and the code version:
 * new data, other options or changed code miss, and the market is prepared (and kept) again.
 */
import crypto from 'node:crypto';
import { cacheFileName, codeVersion, loadShared, saveShared } from '../results/cache-file.ts';
import type { DrawTables } from './draw-table.ts';
import type { Market } from './market.ts';
import { parseScoreOptions } from './options.ts';
import type { PriceSeries } from './types.ts';

export interface PreparedMarket {
  market: Market;
  tables: DrawTables;
}

/** markets kept per cache folder: a few symbol sets, ranges and option sets */
const KEEP = 4;
const FORMAT = 1;
/** the modules whose code decides the market and its tables (their imports are followed) */
const ROOTS = ['score/market.ts', 'score/draw-table.ts', 'score/market-cache.ts'];

function pricesHash(prices: readonly PriceSeries[]): string {
  const h = crypto.createHash('sha256');
  for (const p of prices) {
    h.update(p.symbol).update('\0');
    for (const col of [p.ts, p.close, p.high, p.low]) {
      if (col === undefined) h.update('-');
      else h.update(`${col.length}:`).update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
    }
  }
  return h.digest('hex');
}

export function marketCacheFile(dir: string, prices: readonly PriceSeries[], options: unknown): string {
  return cacheFileName(dir, { format: FORMAT, code: codeVersion(ROOTS), prices: pricesHash(prices), options: parseScoreOptions(options) }, 'market');
}

/** the kept market, its arrays in shared memory, or null when there is none or it cannot be read */
export function loadMarket(file: string): PreparedMarket | null {
  const kept = loadShared<PreparedMarket>(file);
  return kept && kept.market && kept.tables && kept.tables.bySymbol instanceof Map ? kept : null;
}

export function saveMarket(file: string, prepared: PreparedMarket): Promise<void> {
  return saveShared(file, prepared, KEEP);
}
