/**
 * SYNTHETIC price series for the scoring tests and benchmark — seeded random walks and hand-written closes,
 * never market data.
 */
import { HOUR_MS } from '../pipeline/input.ts';
import { Mulberry32 } from './prng.ts';
import type { PriceSeries } from './types.ts';

export const SYNTHETIC_T0 = Date.UTC(2024, 0, 1);

/** closes at consecutive hours from SYNTHETIC_T0; null leaves the hour out (a gap) */
export function syntheticSeries(symbol: string, closes: readonly (number | null)[]): PriceSeries {
  const ts: number[] = [];
  const close: number[] = [];
  closes.forEach((c, i) => {
    if (c === null) return;
    ts.push(SYNTHETIC_T0 + i * HOUR_MS);
    close.push(c);
  });
  return { symbol, ts: Float64Array.from(ts), close: Float64Array.from(close) };
}

/** Gaussian random walk of log prices with hourly std `sigma` (Box-Muller over mulberry32) */
export function syntheticRandomWalk(symbol: string, hours: number, sigma: number, seed: number): PriceSeries {
  const random = new Mulberry32(seed);
  const ts = new Float64Array(hours);
  const close = new Float64Array(hours);
  let logP = Math.log(100);
  for (let i = 0; i < hours; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    if (i > 0) logP += sigma * z;
    ts[i] = SYNTHETIC_T0 + i * HOUR_MS;
    close[i] = Math.exp(logP);
  }
  return { symbol, ts, close };
}

export function syntheticTs(hour: number): number {
  return SYNTHETIC_T0 + hour * HOUR_MS;
}
