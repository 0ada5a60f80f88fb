import { describe, expect, it } from 'vitest';
import { HOUR_MS, type CandleInput } from '../pipeline/input.ts';
import { BarAggregator, DAY_MS, periodStart, resampleColumns, type ResampledBar, type Timeframe } from './resample.ts';

const at = (iso: string) => Date.parse(iso);
const c = (open: number, high: number, low: number, close: number, volume: number): CandleInput => ({ open, high, low, close, volume });
const flat = (x: number): CandleInput => c(x, x + 1, x - 1, x, 1);

function stream(tf: Timeframe, start: number, candles: (CandleInput | null)[]): { hour: number; bar: ResampledBar }[] {
  const agg = new BarAggregator(tf);
  const out: { hour: number; bar: ResampledBar }[] = [];
  candles.forEach((cd, i) => {
    const bar = agg.push(start + i * HOUR_MS, cd);
    if (bar !== null) out.push({ hour: i, bar });
  });
  return out;
}

describe('periodStart', () => {
  it('starts weeks on Monday 00:00 UTC (1970-01-01 was a Thursday)', () => {
    expect(periodStart(at('2024-01-03T12:00:00Z'), '1w')).toBe(at('2024-01-01T00:00:00Z'));
    expect(periodStart(at('2024-01-07T23:00:00Z'), '1w')).toBe(at('2024-01-01T00:00:00Z'));
    expect(periodStart(at('2024-01-08T00:00:00Z'), '1w')).toBe(at('2024-01-08T00:00:00Z'));
    expect(periodStart(0, '1w')).toBe(at('1969-12-29T00:00:00Z'));
    expect(new Date(periodStart(at('2021-06-17T05:00:00Z'), '1w')).getUTCDay()).toBe(1);
  });

  it('aligns 4h and 1d to UTC', () => {
    expect(periodStart(at('2024-03-05T07:00:00Z'), '4h')).toBe(at('2024-03-05T04:00:00Z'));
    expect(periodStart(at('2024-03-05T23:00:00Z'), '1d')).toBe(at('2024-03-05T00:00:00Z'));
  });
});

describe('BarAggregator', () => {
  it('emits a 4h bar only at the hour that closes it, with OHLCV aggregated', () => {
    const start = at('2024-01-01T00:00:00Z');
    const bars = stream('4h', start, [c(10, 12, 9, 11, 1), c(11, 15, 10, 14, 2), c(14, 14, 8, 9, 3), c(9, 10, 7, 8, 4), flat(8), flat(8)]);
    expect(bars).toHaveLength(1);
    expect(bars[0].hour).toBe(3);
    expect(bars[0].bar).toEqual({ ts: start, open: 10, high: 15, low: 7, close: 8, volume: 10, hours: 4, expected_hours: 4, complete: true });
  });

  it('flags a bar with a missing hour as incomplete instead of building it as if whole', () => {
    const start = at('2024-01-01T00:00:00Z');
    const bars = stream('4h', start, [flat(1), null, flat(3), flat(4)]);
    expect(bars[0].bar.complete).toBe(false);
    expect(bars[0].bar.hours).toBe(3);
    expect(bars[0].bar.open).toBe(1);
    expect(bars[0].bar.close).toBe(4);
  });

  it('marks the first bar incomplete when the series starts mid-period', () => {
    const bars = stream('1d', at('2024-01-01T20:00:00Z'), [flat(1), flat(2), flat(3), flat(4), flat(5)]);
    expect(bars).toHaveLength(1);
    expect(bars[0].hour).toBe(3);
    expect(bars[0].bar.ts).toBe(at('2024-01-01T00:00:00Z'));
    expect(bars[0].bar.hours).toBe(4);
    expect(bars[0].bar.complete).toBe(false);
  });

  it('emits a weekly bar at Sunday 23:00 and an all-missing period as an empty incomplete bar', () => {
    const start = at('2024-01-01T00:00:00Z');
    const hours: (CandleInput | null)[] = [];
    for (let i = 0; i < 168; i++) hours.push(flat(100 + i));
    for (let i = 0; i < 168; i++) hours.push(null);
    const bars = stream('1w', start, hours);
    expect(bars.map((b) => b.hour)).toEqual([167, 335]);
    expect(bars[0].bar).toMatchObject({ ts: start, open: 100, close: 267, high: 268, low: 99, volume: 168, hours: 168, complete: true });
    expect(new Date(start + 167 * HOUR_MS).toISOString()).toBe('2024-01-07T23:00:00.000Z');
    expect(bars[1].bar.hours).toBe(0);
    expect(bars[1].bar.complete).toBe(false);
    expect(bars[1].bar.close).toBeNaN();
    expect(bars[1].bar.volume).toBeNaN();
  });

  it('rejects skipped or misaligned hours', () => {
    const agg = new BarAggregator('4h');
    agg.push(0, flat(1));
    expect(() => agg.push(2 * HOUR_MS, flat(1))).toThrow(/expected hour/);
    expect(() => new BarAggregator('4h').push(1000, flat(1))).toThrow(/hour boundary/);
  });
});

describe('resampleColumns', () => {
  it('matches the streaming aggregator, treats absent rows and NaN closes as missing, drops the open period', () => {
    const start = at('2024-01-01T00:00:00Z') - 5 * HOUR_MS;
    const n = 24 * 20;
    const ts: number[] = [];
    const cols = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[], volume: [] as number[] };
    const candles: (CandleInput | null)[] = [];
    for (let i = 0; i < n; i++) {
      const absent = i % 53 === 7;
      const nanClose = i % 97 === 11;
      const x = 100 + Math.sin(i / 5) * 10;
      if (absent) {
        candles.push(null);
        continue;
      }
      ts.push(start + i * HOUR_MS);
      cols.open.push(x);
      cols.high.push(x + 2);
      cols.low.push(x - 2);
      cols.close.push(nanClose ? NaN : x + 1);
      cols.volume.push(i);
      candles.push(nanClose ? null : c(x, x + 2, x - 2, x + 1, i));
    }
    for (const tf of ['4h', '1d', '1w'] as const) {
      const out = resampleColumns(
        {
          ts: Float64Array.from(ts),
          open: Float64Array.from(cols.open),
          high: Float64Array.from(cols.high),
          low: Float64Array.from(cols.low),
          close: Float64Array.from(cols.close),
          volume: Float64Array.from(cols.volume),
        },
        tf,
      );
      const lastTs = ts[ts.length - 1];
      const want = stream(tf, start, candles.slice(0, (lastTs - start) / HOUR_MS + 1)).map((b) => b.bar);
      expect(out.ts.length).toBe(want.length);
      want.forEach((b, i) => {
        expect(out.ts[i]).toBe(b.ts);
        expect(out.open[i]).toBe(b.open);
        expect(out.high[i]).toBe(b.high);
        expect(out.low[i]).toBe(b.low);
        expect(out.close[i]).toBe(b.close);
        expect(out.volume[i]).toBe(b.volume);
        expect(out.hours[i]).toBe(b.hours);
        expect(out.complete[i]).toBe(b.complete ? 1 : 0);
      });
      // every emitted bar has closed by the last input hour
      for (let i = 0; i < out.ts.length; i++) expect(out.ts[i] + (tf === '4h' ? 4 * HOUR_MS : tf === '1d' ? DAY_MS : 7 * DAY_MS)).toBeLessThanOrEqual(lastTs + HOUR_MS);
    }
  });

  it('returns empty columns for empty input', () => {
    const e = new Float64Array(0);
    expect(resampleColumns({ ts: e, open: e, high: e, low: e, close: e, volume: e }, '1d').ts.length).toBe(0);
  });
});
