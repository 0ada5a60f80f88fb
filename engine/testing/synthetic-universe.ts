/**
 * SYNTHETIC hourly market data for N symbols — seeded, reproducible, never market data. For scale benches and
 * tests only: symbols are named SYN000USDT, SYN001USDT, … so nothing can mistake them for real listings.
 *
 * Returns follow a one-factor model (a shared market return times a per-symbol beta, plus idiosyncratic noise)
 * with slow volatility regimes, so pair correlations are realistic (0.2–0.8) and move; volume is lognormal and
 * rises with |return|; funding settles every 8 h; there are no liquidations (no coverage, never zeros). A few
 * short outages per symbol leave hours missing, so the gap paths run too.
 */
import { HOUR_MS } from '../pipeline/input.ts';
import type { ReplayData, SymbolSeries } from '../replay/replay-data.ts';
import { Mulberry32 } from '../score/prng.ts';

export interface SyntheticUniverseOptions {
  symbols: number;
  hours: number;
  seed?: number;
  /** first hour (epoch ms, on the hour); default 2018-01-01 */
  start?: number;
  /** expected outages per symbol per year (each 1–6 hours missing); default 2 */
  outagesPerYear?: number;
}

export function syntheticSymbolName(i: number): string {
  return `SYN${String(i).padStart(3, '0')}USDT`;
}

function gaussian(rng: Mulberry32): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

export function syntheticUniverse(opts: SyntheticUniverseOptions): ReplayData {
  const { symbols: n, hours } = opts;
  const seed = opts.seed ?? 13;
  const start = opts.start ?? Date.UTC(2018, 0, 1);
  const outageRate = (opts.outagesPerYear ?? 2) / 8760;
  const rng = new Mulberry32(seed);
  const g = gaussian(rng);
  // the market factor and its volatility regime, shared by every symbol
  const market = new Float64Array(hours);
  let logVol = Math.log(0.006);
  for (let t = 0; t < hours; t++) {
    logVol += 0.02 * (Math.log(0.006) - logVol) + 0.03 * g();
    market[t] = Math.exp(logVol) * g();
  }
  const series: SymbolSeries[] = [];
  const names: string[] = [];
  for (let s = 0; s < n; s++) {
    const symbol = syntheticSymbolName(s);
    names.push(symbol);
    const beta = 0.6 + 0.8 * rng.next();
    const idio = 0.004 + 0.008 * rng.next();
    const missing = new Uint8Array(hours);
    for (let t = 0; t < hours; t++) {
      if (rng.next() < outageRate) {
        const len = 1 + Math.floor(rng.next() * 6);
        for (let k = t; k < Math.min(hours, t + len); k++) missing[k] = 1;
      }
    }
    let present = 0;
    for (let t = 0; t < hours; t++) present += missing[t] ? 0 : 1;
    const c = { ts: new Float64Array(present), open: new Float64Array(present), high: new Float64Array(present), low: new Float64Array(present), close: new Float64Array(present), volume: new Float64Array(present) };
    let price = 10 + 1000 * rng.next();
    let i = 0;
    for (let t = 0; t < hours; t++) {
      const r = beta * market[t] + idio * g();
      const open = price;
      price *= Math.exp(r);
      if (missing[t]) continue;
      c.ts[i] = start + t * HOUR_MS;
      c.open[i] = open;
      c.close[i] = price;
      c.high[i] = Math.max(open, price) * (1 + 0.002 * rng.next());
      c.low[i] = Math.min(open, price) * (1 - 0.002 * rng.next());
      c.volume[i] = 1000 * Math.exp(0.5 * g() + 40 * Math.abs(r));
      i++;
    }
    const settlements = Math.floor(hours / 8);
    const f = { ts: new Float64Array(settlements), rate: new Float64Array(settlements), intervalHours: new Float64Array(settlements).fill(8) };
    let rate = 1e-4;
    for (let k = 0; k < settlements; k++) {
      rate += 0.05 * (1e-4 - rate) + 3e-5 * g();
      f.ts[k] = start + k * 8 * HOUR_MS;
      f.rate[k] = rate;
    }
    const empty = new Float64Array(0);
    series.push({ symbol, candles: c, funding: f, liquidations: { ts: empty, longUsd: empty, shortUsd: empty, kind: empty } });
  }
  return { symbols: names, series, firstHour: start, lastHour: start + (hours - 1) * HOUR_MS };
}
