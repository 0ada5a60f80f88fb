/**
 * A random-baseline worker: prepares its own copy of the market from the prices (deterministic, so it is the
 * main thread's market value for value), shares it with the main thread on request (its arrays in shared memory),
 * then computes ranges of permutations on request, and the paper P&L.
 */
import { parentPort } from 'node:worker_threads';
import { permutationValues, type BaselineSpec } from './baseline.ts';
import { adoptDrawTables, drawTables, type DrawTables } from './draw-table.ts';
import { prepareMarket, type Market } from './market.ts';
import { inSharedMemory } from './market-arrays.ts';
import { loadMarket, marketCacheFile, saveMarket } from './market-cache.ts';
import { paperPnl, type PaperPnl, type PnlSummary } from './pnl.ts';
import { writePnlFiles } from '../results/pnl-files.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';

export interface SliceRequest {
  type: 'slice';
  id: number;
  /** the spec rides along the first time a worker gets a slice of it; later slices name it by specId */
  specId: number;
  spec?: BaselineSpec;
  from: number;
  to: number;
}

/** the paper P&L of the alerts on the worker's prices, so it runs beside the scorecard */
export interface PnlRequest {
  type: 'pnl';
  id: number;
  alerts: ScorableAlert[];
  options: unknown;
  /** also write the run's P&L files there (engine/results/pnl-files.ts), while the caller scores */
  filesDir?: string;
}
/**
 * shareMarket: send the prepared market and its draw tables to the caller (one message: arrays shared between them
 * stay shared). cacheDir: read the market kept there by an earlier run instead of preparing it (market-cache.ts); the
 * sharing worker keeps the one it prepares.
 */
export type BaselineWorkerRequest = { type: 'init'; prices: PriceSeries[]; options: unknown; shareMarket: boolean; cacheDir?: string } | SliceRequest | PnlRequest;
export type BaselineWorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; values: Float64Array }
  /** pnl null: its files are written (filesWritten), so the curves and trades (≈ 17 MB to clone) stay here */
  | { type: 'pnl'; id: number; summary: PnlSummary; pnl: PaperPnl | null; filesWritten: boolean }
  | { type: 'market'; market: Market; tables: DrawTables }
  | { type: 'error'; id: number | null; message: string };

/** the market's cache file; none when it cannot be named (its sources unreadable): the market is then prepared, not kept */
function cacheFileOrNone(dir: string, prices: PriceSeries[], options: unknown): string | null {
  try {
    return marketCacheFile(dir, prices, options);
  } catch {
    return null;
  }
}

const port = parentPort;
if (port) {
  let market: Market | null = null;
  let prices: PriceSeries[] = [];
  const specs = new Map<number, BaselineSpec>();
  port.on('message', async (msg: BaselineWorkerRequest) => {
    try {
      if (msg.type === 'init') {
        prices = msg.prices;
        const cacheFile = msg.cacheDir === undefined ? null : cacheFileOrNone(msg.cacheDir, msg.prices, msg.options);
        const kept = cacheFile === null ? null : loadMarket(cacheFile);
        // in shared memory when the caller takes the market too: the message then carries these very arrays
        const build = (): { market: Market; tables: DrawTables } => {
          const m = prepareMarket(msg.prices, msg.options);
          // built now, while the caller replays: the slices need them, and so may the caller
          return { market: m, tables: drawTables(m) };
        };
        const built = kept ?? (msg.shareMarket ? inSharedMemory(build) : build());
        if (kept) adoptDrawTables(kept.market, kept.tables);
        market = built.market;
        if (msg.shareMarket) port.postMessage({ type: 'market', ...built } satisfies BaselineWorkerReply);
        // kept before the worker says it is ready (the caller is still replaying): a pool closed after the run cannot cut the file short
        if (!kept && cacheFile !== null && msg.shareMarket) await saveMarket(cacheFile, built).catch(() => undefined);
        port.postMessage({ type: 'ready' } satisfies BaselineWorkerReply);
        return;
      }
      if (!market) throw new Error(`baseline worker: ${msg.type} before init`);
      if (msg.type === 'pnl') {
        const pnl = paperPnl(prices, msg.alerts, msg.options);
        let filesWritten = false;
        if (msg.filesDir) {
          try {
            writePnlFiles(msg.filesDir, pnl);
            filesWritten = true;
          } catch {
            // not written here: the caller writes them when it saves the run, and reports what fails then
          }
        }
        port.postMessage({ type: 'pnl', id: msg.id, summary: pnl.summary, pnl: filesWritten ? null : pnl, filesWritten } satisfies BaselineWorkerReply);
        return;
      }
      if (msg.spec) {
        // a few runs' specs at most (a pool serves one backtest; benches run a handful)
        if (specs.size >= 16) specs.delete(specs.keys().next().value!);
        specs.set(msg.specId, msg.spec);
      }
      const spec = specs.get(msg.specId);
      if (!spec) throw new Error(`baseline worker: spec ${msg.specId} was never sent`);
      const values = permutationValues(market, spec, msg.from, msg.to);
      // copied, not transferred: the first buffer a thread detaches invalidates V8's ArrayBufferDetaching protector,
      // and every optimised function of the thread that reads typed arrays is thrown away and compiled again
      port.postMessage({ type: 'done', id: msg.id, values } satisfies BaselineWorkerReply);
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.type === 'init' ? null : msg.id, message: (err as Error).message ?? String(err) } satisfies BaselineWorkerReply);
    }
  });
}
