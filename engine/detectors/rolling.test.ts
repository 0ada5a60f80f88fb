import { describe, expect, it } from 'vitest';
import { FLAT_RELATIVE_STD, RollingWindow, TimeKeyedWindow } from './rolling.ts';
import { naive, syntheticSeries } from './synthetic.ts';

function close(a: number, b: number, rel = 1e-9): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

describe('RollingWindow', () => {
  it('matches a naive recomputation on a synthetic series with NaN gaps', () => {
    for (const cap of [1, 4, 24, 720]) {
      const xs = syntheticSeries(cap, 3000, 0.05, 50_000, 3000);
      const w = new RollingWindow(cap);
      for (let i = 0; i < xs.length; i++) {
        w.push(xs[i]);
        // every hour for short windows, a sample of hours for the long one (the naive check is O(cap))
        if (cap > 24 && i % 11 !== 0) continue;
        const win = xs.subarray(Math.max(0, i - cap + 1), i + 1);
        const valid = naive.valid(win).length;
        expect(w.validCount).toBe(valid);
        expect(w.missingCount).toBe(win.length - valid);
        if (!close(w.mean(), naive.mean(win))) throw new Error(`mean cap ${cap} i ${i}: ${w.mean()} vs ${naive.mean(win)}`);
        if (!close(w.variance(), naive.variance(win), 1e-7)) throw new Error(`variance cap ${cap} i ${i}: ${w.variance()} vs ${naive.variance(win)}`);
        expect(w.at(0)).toEqual(xs[i]);
      }
    }
  });

  it('keeps variance exact on large, nearly constant values (no cancellation)', () => {
    const w = new RollingWindow(24);
    const xs: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const x = 1e9 + (i % 7) * 1;
      xs.push(x);
      w.push(x);
    }
    const expected = naive.variance(xs.slice(-24));
    expect(Math.abs(w.variance() - expected) / expected).toBeLessThan(1e-9);
  });

  it('calls a window flat (variance exactly 0) when its std is at most FLAT_RELATIVE_STD of its mean', () => {
    const w = new RollingWindow(24);
    for (let i = 0; i < 100; i++) w.push(1e9 + (i % 7) * 0.001); // std ≈ 2e-3 = 2e-12 relative
    expect(w.variance()).toBe(0);
    expect(w.flat).toBe(true);
    const v = new RollingWindow(24);
    for (let i = 0; i < 100; i++) v.push(1e9 + (i % 7) * 1); // std ≈ 2 = 2e-9 relative
    expect(v.variance()).toBeGreaterThan(0);
    expect(v.flat).toBe(false);
    expect(1e9 * FLAT_RELATIVE_STD).toBe(0.1);
  });

  it('returns the evicted value once full', () => {
    const w = new RollingWindow(3);
    expect(w.push(1)).toBeNaN();
    w.push(2);
    w.push(3);
    expect(w.push(4)).toBe(1);
    expect(w.sum()).toBe(9);
    expect(w.at(2)).toBe(2);
    expect(w.at(3)).toBeNaN();
  });

  it('reports warming_up, gap_in_window and no_data', () => {
    const w = new RollingWindow(3);
    w.push(NaN);
    expect(w.completeStatus).toBe('no_data');
    w.push(1);
    expect(w.completeStatus).toBe('warming_up');
    w.push(2);
    expect(w.completeStatus).toBe('warming_up');
    w.push(3);
    expect(w.completeStatus).toBe('ok');
    w.push(NaN);
    expect(w.completeStatus).toBe('gap_in_window');
    w.push(4);
    w.push(5);
    expect(w.completeStatus).toBe('gap_in_window');
    w.push(6);
    expect(w.completeStatus).toBe('ok');
    expect(w.coverage).toBe(1);
  });

  it('treats infinities as missing', () => {
    const w = new RollingWindow(2);
    w.push(Infinity);
    w.push(1);
    expect(w.validCount).toBe(1);
    expect(w.mean()).toBe(1);
  });
});

describe('TimeKeyedWindow', () => {
  it('matches a naive recomputation of mean, std and percentile with evictions by time', () => {
    const span = 100;
    const w = new TimeKeyedWindow(span);
    const xs = syntheticSeries(21, 1500, 0, 0.0001, 0.0002);
    const kept: { t: number; v: number }[] = [];
    let t = 0;
    for (let i = 0; i < xs.length; i++) {
      t += 1 + (i % 5 === 0 ? 7 : 0);
      w.evictBefore(t);
      while (kept.length > 0 && kept[0].t <= t - span) kept.shift();
      const vals = kept.map((k) => k.v);
      expect(w.length).toBe(vals.length);
      if (vals.length > 1) {
        expect(close(w.mean(), naive.mean(vals))).toBe(true);
        expect(close(w.std(), naive.std(vals), 1e-7)).toBe(true);
        const below = vals.filter((v) => v < xs[i]).length;
        const ties = vals.filter((v) => v === xs[i]).length;
        expect(w.percentileOf(xs[i])).toBeCloseTo((below + ties / 2) / vals.length, 12);
      }
      w.push(t, xs[i], 1);
      kept.push({ t, v: xs[i] });
    }
  });

  it('sums weights for coverage and counts ties at half rank', () => {
    const w = new TimeKeyedWindow(24);
    w.push(0, 1, 8);
    w.push(8, 2, 8);
    w.push(16, 2, 4);
    expect(w.weightSum).toBe(20);
    expect(w.percentileOf(2)).toBeCloseTo((1 + 1) / 3, 12);
    w.evictBefore(24);
    expect(w.length).toBe(2);
    expect(w.weightSum).toBe(12);
  });
});
