import { describe, expect, it } from 'vitest';
import { CorrelationConfig, CorrelationDetector } from './correlation.ts';
import { stressCloses } from './synthetic.ts';

const COLUMNS = ['status', 'corr', 'normal', 'coverage', 'broken', 'leader', 'lag', 'strength'] as const;

/** every bit of every column of both detectors, hour by hour; what the run went through, to show it was tested */
function compare(n: number, hours: number, over: object) {
  const cfg = CorrelationConfig.parse({ pairs: 'all', ...over });
  const names = Array.from({ length: n }, (_, i) => `S${i}USDT`);
  const closes = stressCloses(n, hours, 5);
  const wasm = new CorrelationDetector(names, cfg);
  const js = new CorrelationDetector(names, cfg, { kernel: false });
  const buf = new Float64Array(n);
  const statuses = new Set<number>();
  const leaders = new Set<number>();
  let broken = 0;
  for (let t = 0; t < hours; t++) {
    for (let s = 0; s < n; s++) buf[s] = closes[s][t];
    const a = wasm.step(t, buf).columns;
    const b = js.step(t, buf).columns;
    for (const name of COLUMNS) {
      const x = new Uint8Array(a[name].buffer, a[name].byteOffset, a[name].byteLength);
      const y = new Uint8Array(b[name].buffer, b[name].byteOffset, b[name].byteLength);
      if (!Buffer.from(x).equals(Buffer.from(y))) {
        const j = a[name].findIndex((v, i) => !Object.is(v, b[name][i]));
        throw new Error(`hour ${t}, ${name} of pair ${j}: ${a[name][j]} (WebAssembly) vs ${b[name][j]} (JavaScript)`);
      }
    }
    expect(a.brokenCount).toBe(b.brokenCount);
    a.status.forEach((s) => statuses.add(s));
    a.leader.forEach((l) => leaders.add(l));
    broken += a.brokenCount;
  }
  expect(wasm.rebuilds).toBe(js.rebuilds);
  return { statuses, leaders, broken, rebuilds: wasm.rebuilds };
}

describe('the pair loop in WebAssembly against the JavaScript loop', () => {
  it('every output bit, every hour: gaps, shift resets, a volatility collapse, a flat stretch, the normal wrapping', () => {
    const r = compare(8, 1500, { window_hours: 48, normal_hours: 100 });
    // every status, every leader verdict, breaks, and rebuilds that stop and resume the kernel
    expect([...r.statuses].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...r.leaders].sort()).toEqual([-1, 0, 1]);
    expect(r.broken).toBeGreaterThan(0);
    expect(r.rebuilds).toBeGreaterThan(50);
  });

  it('other lags, margins and break thresholds', () => {
    const r = compare(5, 900, { window_hours: 24, normal_hours: 60, max_lag_hours: 6, leader_margin: 0, break_drop: 0.1, break_level: 0.2, min_coverage: 0.5 });
    expect(r.broken).toBeGreaterThan(100);
    expect([...r.leaders].sort()).toEqual([-1, 0, 1]);
  });
});
