// BatchBuilder.takeCompletedYear on synthetic hourly rows (fixtures, not market data): what it hands on, joined with
// what finish() returns, is exactly what one builder without hand-overs returns, a calendar year per batch; the
// checks of the rows after a hand-over are unchanged.
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from './batch-builder.ts';
import type { ColumnBatch } from './dataset-writer.ts';
import { InputError } from '../errors.ts';
import { seededRandom } from '../detectors/synthetic.ts';

const H = 3_600_000;

const row = (i: number) => Float64Array.of(100 + i, 102 + i, 99 + i, 101 + i, i);

function columns(b: ColumnBatch): Record<string, number[]> {
  return Object.fromEntries([['ts', [...b.ts]], ...Object.entries(b.values).map(([k, v]) => [k, [...(v as Float64Array)]])]);
}

describe('BatchBuilder.takeCompletedYear', () => {
  it('hands on whole calendar years in order; joined with finish() they equal the rows of a builder that kept everything', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = seededRandom(seed);
      // hourly rows with random gaps (up to ~3 months) from 2019 into 2024
      const times: number[] = [];
      for (let t = Date.UTC(2019, 0, 1) + Math.floor(next() * 2000) * H; t < Date.UTC(2024, 6, 1); t += H * (next() < 0.001 ? 1 + Math.floor(next() * 2000) : 1)) times.push(t);
      const whole = new BatchBuilder('synthetic.csv', 'perp_1h', 'binanceusdm', 'TESTUSDT');
      const streamed = new BatchBuilder('synthetic.csv', 'perp_1h', 'binanceusdm', 'TESTUSDT');
      const parts: ColumnBatch[] = [];
      times.forEach((t, i) => {
        whole.addRow(i + 1, t, row(i));
        streamed.addRow(i + 1, t, row(i));
        // hand-overs at random moments, as a parser does at the end of each block of lines: often, or years apart
        if (next() < (seed % 2 ? 0.002 : 0.00005)) for (let y; (y = streamed.takeCompletedYear()); ) parts.push(y);
      });
      for (let y; (y = streamed.takeCompletedYear()); ) parts.push(y);
      expect(streamed.rowsAdded).toBe(times.length);
      parts.push(streamed.finish());
      const years = parts.map((p) => new Set([...p.ts].map((t) => new Date(t).getUTCFullYear())));
      expect(years.every((y) => y.size === 1)).toBe(true);
      const order = years.map((y) => [...y][0]);
      expect(order).toEqual([...new Set(times.map((t) => new Date(t).getUTCFullYear()))]);
      const joined: Record<string, number[]> = {};
      for (const p of parts) for (const [k, v] of Object.entries(columns(p))) (joined[k] ??= []).push(...v);
      expect(joined).toEqual(columns(whole.finish()));
    }
  });

  it('keeps the newest row, so order and duplicate checks still see it; nothing to hand on within one year', () => {
    const b = new BatchBuilder('synthetic.csv', 'perp_1h', 'binanceusdm', 'TESTUSDT');
    b.addRow(1, Date.UTC(2024, 11, 31, 23), row(0));
    expect(b.takeCompletedYear()).toBeNull();
    b.addRow(2, Date.UTC(2025, 0, 1, 0), row(1));
    expect([...b.takeCompletedYear()!.ts]).toEqual([Date.UTC(2024, 11, 31, 23)]);
    expect(b.takeCompletedYear()).toBeNull();
    expect(() => b.addRow(3, Date.UTC(2025, 0, 1, 0), row(2))).toThrow(/line 3, field 'ts_ms': duplicate timestamp 2025-01-01T00:00:00.000Z \(also on line 2\)/);
    expect(() => b.addRow(3, Date.UTC(2024, 11, 31, 23), row(2))).toThrow(InputError);
    expect(b.size).toBe(1);
    expect(b.rowsAdded).toBe(2);
  });
});
