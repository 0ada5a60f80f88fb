// The dashboard's data preparation (web/public/series.js), in Node: ISO times with impossible dates refused,
// alert markers binned in long windows, candles and stacked liquidation bars. Synthetic rows, not market data.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a browser module of the dashboard (plain JavaScript, no types)
import { alertMarkers, candles, liquidationBars, parseAt } from './public/series.js';

const H = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const synthetic = (n: number) => Array.from({ length: n }, (_, i) => ({ ts: T0 + i * H, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + i, volume: 10 }));

describe('parseAt', () => {
  it('takes epoch ms and ISO times (UTC unless a zone is given)', () => {
    expect(parseAt('1772323200000')).toEqual({ ms: 1772323200000 });
    expect(parseAt('2022-11-09T12:00Z')).toEqual({ ms: Date.parse('2022-11-09T12:00:00Z') });
    expect(parseAt('2022-11-09 12:00')).toEqual({ ms: Date.parse('2022-11-09T12:00:00Z') });
    expect(parseAt('2022-11-09T12:00+02:00')).toEqual({ ms: Date.parse('2022-11-09T10:00:00Z') });
    expect(parseAt('2024-02-29')).toEqual({ ms: Date.parse('2024-02-29T00:00:00Z') });
  });

  it('refuses impossible dates and times with a message instead of rolling over', () => {
    expect(parseAt('2026-02-30').error).toMatch(/'2026-02-30' is not a date: 2026-02 has 28 days/);
    expect(parseAt('2025-02-29').error).toMatch(/not a date/);
    expect(parseAt('2026-13-01').error).toMatch(/no such month/);
    expect(parseAt('2026-03-01T24:00Z').error).toMatch(/not a time of day/);
    expect(parseAt('yesterday').error).toMatch(/'yesterday' is not a time/);
  });
});

describe('alert markers', () => {
  const history = synthetic(2160);
  const alert = (i: number, severity = 'INFO', event_type = 'REGIME_CONFIRMED') => ({ ts: T0 + i * H, severity, event_type, title: `a${i}` });

  it('one marker per alert in a short window, above the candle', () => {
    const m = alertMarkers([alert(3), alert(5, 'CRITICAL')], history, 168);
    expect(m).toHaveLength(2);
    expect(m[0]).toMatchObject({ y: 105, severity: 'INFO', count: 1, title: 'a3' });
  });

  it('bins dense alerts: counts add up, each bin in its highest severity', () => {
    const events = Array.from({ length: 1500 }, (_, i) => alert(i, i === 700 ? 'CRITICAL' : i % 10 === 0 ? 'WARNING' : 'INFO', i % 2 ? 'FUNDING_ANOMALY' : 'REGIME_CONFIRMED'));
    const m = alertMarkers(events, history, 2160);
    expect(m.length).toBeLessThanOrEqual(100);
    expect(m.reduce((s: number, x: { count: number }) => s + x.count, 0)).toBe(1500);
    expect(m.filter((x: { severity: string }) => x.severity === 'CRITICAL')).toHaveLength(1);
    expect(m.every((x: { severity: string }) => x.severity !== 'INFO')).toBe(true);
    expect(m[0].title).toMatch(/\d+ × regime confirmed, \d+ × funding anomaly/);
  });

  it('skips alerts at hours without a price', () => {
    expect(alertMarkers([{ ts: T0 - H, severity: 'INFO', event_type: 'X', title: 'x' }], history, 168)).toEqual([]);
  });
});

describe('candles and liquidation bars', () => {
  it('candles sit inside their hour and skip hours without OHLC', () => {
    const c = candles([...synthetic(2), { ts: T0 + 2 * H, open: null, high: null, low: null, close: 5, volume: null }]);
    expect(c).toHaveLength(2);
    expect(c[0].t0).toBeGreaterThan(T0);
    expect(c[0].t1).toBeLessThan(T0 + H);
  });

  it('stacks shorts on longs, and leaves hours without data out (never zero)', () => {
    const bars = liquidationBars([
      { ts: T0, long_usd: 5, short_usd: 3 },
      { ts: T0 + H, long_usd: null, short_usd: null },
    ]);
    expect(bars.map((b: { y0: number; y1: number }) => [b.y0, b.y1])).toEqual([
      [0, 5],
      [5, 8],
    ]);
  });
});
