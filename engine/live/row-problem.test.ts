// The live runner checks each exchange row with a throw-away BatchBuilder (rowProblem), so builders start small and
// grow: a check must still give the dataset's own verdict, and a builder grown from its small start must hold
// every row it was given, in order.
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../data/batch-builder.ts';
import { rowProblem } from './runner.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const candle = { open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, quote_volume: 15, trades: 3 };

describe('rowProblem', () => {
  it('passes a good row and names the field of a bad one', () => {
    expect(rowProblem('candles_1h', 'binance', 'BTCUSDT', T0, candle)).toBeNull();
    const bad = rowProblem('candles_1h', 'binance', 'BTCUSDT', T0, { ...candle, low: -1 });
    expect(bad).toMatch(/low/);
    expect(rowProblem('candles_1h', 'binance', 'BTCUSDT', T0 + 1, candle)).not.toBeNull();
  });
});

describe('BatchBuilder growth', () => {
  it('a synthetic 5,000-row series comes back whole and in order through many doublings', () => {
    const b = new BatchBuilder('synthetic', 'candles_1h', 'binance', 'SYNTH');
    const n = 5000;
    for (let i = 0; i < n; i++) b.add(i + 1, T0 + i * HOUR, { ...candle, close: 1 + i, high: 2 + i });
    const out = b.finish();
    expect(out.ts.length).toBe(n);
    expect(Array.from(out.ts.subarray(0, 3))).toEqual([T0, T0 + HOUR, T0 + 2 * HOUR]);
    expect(out.ts[n - 1]).toBe(T0 + (n - 1) * HOUR);
    const close = out.values.close as Float64Array;
    expect(close.length).toBe(n);
    expect(close.every((c, i) => c === 1 + i)).toBe(true);
  });
});
