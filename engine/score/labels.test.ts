// Large-move labels on SYNTHETIC series with a volatility known by construction.
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../pipeline/input.ts';
import { CALM, LARGE, UNKNOWN } from './labels.ts';
import { prepareMarket } from './market.ts';
import { SYNTHETIC_T0 } from './synthetic.ts';
import type { PriceSeries } from './types.ts';

const a = 0.01;
/** closes from log returns: hourly returns +a, -a, +a, -a, then +3a, then alternating again */
const returns = [a, -a, a, -a, 3 * a, -a, a, -a, a];

function seriesFromReturns(rs: number[], skipHour?: number): PriceSeries {
  const ts: number[] = [];
  const close: number[] = [];
  let logP = Math.log(100);
  for (let i = 0; i <= rs.length; i++) {
    if (i > 0) logP += rs[i - 1];
    if (i === skipHour) continue;
    ts.push(SYNTHETIC_T0 + i * HOUR_MS);
    close.push(Math.exp(logP));
  }
  return { symbol: 'SYN', ts: Float64Array.from(ts), close: Float64Array.from(close) };
}

function labels(prices: PriceSeries, options: object): number[] {
  const m = prepareMarket([prices], { permutations: 0, ...options });
  const r = m.grid.symbols[0];
  return Array.from(m.labels.label.subarray(r.offset, r.offset + r.length));
}

describe('large-move labels', () => {
  const base = { vol_window_hours: 4, label_horizon_hours: 1 };

  it('flags |forward return| > k·σ·√H with σ the sample std of the returns ending at t', () => {
    // at t = 4 the window (+a, -a, +a, -a) has σ = a·√(4/3), so the threshold is 2.31a and the next +3a is large;
    // from t = 5 the +3a inside the window lifts σ to a·√(11/3) and ±a moves are calm
    expect(labels(seriesFromReturns(returns), { ...base, k: 2 })).toEqual([
      UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, LARGE, CALM, CALM, CALM, CALM, UNKNOWN,
    ]);
    // k = 3: the threshold 3.46a is above 3a
    expect(labels(seriesFromReturns(returns), { ...base, k: 3 })[4]).toBe(CALM);
  });

  it('scales σ by √H over a longer horizon', () => {
    // H = 2 at t = 4: forward 3a - a = 2a against k·a·√(4/3)·√2 = 1.633k·a: calm at k = 2, large at k = 1.2
    expect(labels(seriesFromReturns(returns), { vol_window_hours: 4, label_horizon_hours: 2, k: 2 })[4]).toBe(CALM);
    expect(labels(seriesFromReturns(returns), { vol_window_hours: 4, label_horizon_hours: 2, k: 1.2 })[4]).toBe(LARGE);
  });

  it('adds the drawdown rule when asked: a fall of more than drawdown_pct below the close within H', () => {
    // every -a hour is a 0.995 % fall
    const got = labels(seriesFromReturns(returns), { ...base, k: 2, drawdown_pct: 0.9 });
    // t = 0 and 2 rise next: the vol rule is still unknown and the drawdown rule says calm, so the label is unknown
    expect(got).toEqual([UNKNOWN, LARGE, UNKNOWN, LARGE, LARGE, LARGE, CALM, LARGE, CALM, UNKNOWN]);
  });

  it('leaves hours unlabelled around a gap instead of filling it', () => {
    const got = labels(seriesFromReturns([...returns, ...returns], 12), { ...base, k: 2 });
    // hour 12 is missing: 11 has no forward window, 12 no close, 13..16 an incomplete volatility window
    expect(got.slice(11, 17)).toEqual([UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
    expect(got[17]).not.toBe(UNKNOWN);
  });
});
