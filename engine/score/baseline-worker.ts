/**
 * A random-baseline worker: prepares its own copy of the market from the prices (deterministic, so it is the
 * main thread's market value for value), then computes ranges of permutations on request, and the paper P&L.
 */
import { parentPort } from 'node:worker_threads';
import { permutationValues } from './baseline.ts';
import { AlertSetEvaluator, type Universe } from './evaluator.ts';
import { prepareMarket, type Market } from './market.ts';
import { paperPnl, type PaperPnl } from './pnl.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';

export interface SliceRequest {
  type: 'slice';
  id: number;
  symbols: string[];
  counts: number[];
  dir: Int8Array;
  universe: Universe;
  seed: number;
  from: number;
  to: number;
}
/** the paper P&L of the alerts on the worker's prices, so it runs beside the scorecard */
export interface PnlRequest {
  type: 'pnl';
  id: number;
  alerts: ScorableAlert[];
  options: unknown;
}
export type BaselineWorkerRequest = { type: 'init'; prices: PriceSeries[]; options: unknown } | SliceRequest | PnlRequest;
export type BaselineWorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; values: Float64Array }
  | { type: 'pnl'; id: number; pnl: PaperPnl }
  | { type: 'error'; id: number | null; message: string };

const port = parentPort;
if (port) {
  let evaluator: AlertSetEvaluator | null = null;
  let market: Market | null = null;
  let prices: PriceSeries[] = [];
  port.on('message', (msg: BaselineWorkerRequest) => {
    try {
      if (msg.type === 'init') {
        prices = msg.prices;
        market = prepareMarket(msg.prices, msg.options);
        evaluator = new AlertSetEvaluator(market);
        port.postMessage({ type: 'ready' } satisfies BaselineWorkerReply);
        return;
      }
      if (!evaluator || !market) throw new Error(`baseline worker: ${msg.type} before init`);
      if (msg.type === 'pnl') {
        port.postMessage({ type: 'pnl', id: msg.id, pnl: paperPnl(prices, msg.alerts, msg.options) } satisfies BaselineWorkerReply);
        return;
      }
      const grid = market.grid;
      const blocks = msg.symbols.map((s, i) => {
        const range = grid.bySymbol.get(s);
        if (!range) throw new Error(`baseline worker: symbol ${s} is not in the market`);
        return { range, count: msg.counts[i] };
      });
      const values = permutationValues(evaluator, { blocks, dir: msg.dir }, msg.universe, msg.seed, msg.from, msg.to);
      port.postMessage({ type: 'done', id: msg.id, values } satisfies BaselineWorkerReply, [values.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ type: 'error', id: msg.type === 'init' ? null : msg.id, message: (err as Error).message ?? String(err) } satisfies BaselineWorkerReply);
    }
  });
}
