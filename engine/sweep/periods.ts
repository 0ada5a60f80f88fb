/**
 * The periods a sweep scores every configuration on, each with its market: a period's market sees only the
 * candles inside it, so no forward window reaches into the next period. Kept apart from sweep.ts so the sweep
 * inputs cache (feature-cache.ts) is named by the code that computes them, not by the whole sweep.
 */
import type { ReplayData } from '../replay/replay-data.ts';
import { prepareMarket, type Market } from '../score/market.ts';
import type { PriceSeries } from '../score/types.ts';

/** each symbol's candles with from <= ts < to: a period's market sees no price outside it */
export function pricesBetween(data: ReplayData, from: number, to: number): PriceSeries[] {
  return data.series.map((s) => {
    const ts = s.candles.ts;
    let a = 0;
    while (a < ts.length && ts[a] < from) a++;
    let b = a;
    while (b < ts.length && ts[b] < to) b++;
    const c = s.candles;
    return { symbol: s.symbol, ts: ts.subarray(a, b), close: c.close.subarray(a, b), high: c.high.subarray(a, b), low: c.low.subarray(a, b) };
  });
}

/**
 * a period, the shape of jobs.ts's Period: alerts with from <= ts < to are scored on its market (not imported:
 * jobs.ts and its imports would join the code that names the inputs cache)
 */
export interface PeriodMarket {
  name: string;
  market: Market;
  from: number;
  to: number;
}

/** the markets of periods given by name and hour range, from the scorer options */
export function periodMarkets(data: ReplayData, periods: readonly { name: string; from: number; to: number }[], score: unknown): PeriodMarket[] {
  return periods.map(({ name, from, to }) => ({ name, market: prepareMarket(pricesBetween(data, from, to), score), from, to }));
}
