// Property tests through the detectors' public APIs: correlation against a two-pass Pearson over the same
// window, and flat windows (constant inputs) giving null with status flat_window. Seeded synthetic data only.
import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../pipeline/input.ts';
import { CorrelationConfig, CorrelationDetector } from './correlation.ts';
import { CascadeConfig, LiquidationCascadeDetector } from './liquidation-cascade.ts';
import { MultiTimeframeRegimeDetector, RegimeConfig } from './multi-timeframe-regime.ts';
import { VolatilityConfig, VolatilityRegimeDetector } from './volatility-regime.ts';
import { seededGaussian, seededRandom } from './synthetic.ts';
import { twoPass } from './two-pass.ts';

const T0 = Date.UTC(2024, 0, 1);

/** two-pass Pearson correlation of complete, aligned windows; NaN when either side is flat */
function pearson(xs: number[], ys: number[]): number {
  const a = twoPass(xs);
  const b = twoPass(ys);
  if (a.flat || b.flat) return NaN;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i] - a.mean;
    const dy = ys[i] - b.mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

interface Market {
  name: string;
  closes: (i: number) => [number, number];
}

function markets(seed: number): Market[] {
  const g = seededGaussian(seed);
  const u = seededRandom(seed + 1);
  let a = 30_000;
  let b = 2_000;
  let c = 100;
  let d = 100;
  return [
    {
      name: 'correlated random walks with gaps',
      closes: () => {
        const common = g();
        a *= Math.exp(0.01 * (0.8 * common + 0.6 * g()));
        b *= Math.exp(0.015 * (0.5 * common + 0.87 * g()));
        return [u() < 0.003 ? NaN : a, u() < 0.003 ? NaN : b];
      },
    },
    {
      name: 'volatility switching by 1e4 every 400 hours',
      closes: (i) => {
        const s = ((i / 400) | 0) % 2 === 0 ? 1e-2 : 1e-6;
        c *= Math.exp(s * g());
        d *= Math.exp(s * (0.3 * g() + g()));
        return [c, d];
      },
    },
    {
      name: 'steady 1 %/h trend with 1e-4 noise (returns far from zero mean)',
      closes: () => {
        const common = g();
        c *= Math.exp(0.01 + 1e-4 * (0.7 * common + 0.7 * g()));
        d *= Math.exp(-0.01 + 1e-4 * (0.7 * common + 0.7 * g()));
        return [c, d];
      },
    },
  ];
}

describe('CorrelationDetector equals a two-pass Pearson correlation over the same window', () => {
  const matchesTwoPass = (m: Market) => () => {
    const cfg = CorrelationConfig.parse({ window_hours: 48 });
    const det = new CorrelationDetector(['A', 'B'], cfg);
    const prev = [NaN, NaN];
    const ra: number[] = [];
    const rb: number[] = [];
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const cl = m.closes(i);
      ra.push(Math.log(cl[0] / prev[0]));
      rb.push(Math.log(cl[1] / prev[1]));
      prev[0] = cl[0];
      prev[1] = cl[1];
      const p = det.step(T0 + i * HOUR_MS, cl).pairs[0];
      const wa = ra.slice(-cfg.window_hours);
      const wb = rb.slice(-cfg.window_hours);
      if (wa.length < cfg.window_hours || !wa.every(Number.isFinite) || !wb.every(Number.isFinite)) {
        expect(p.corr).toBeNull();
        continue;
      }
      const ref = pearson(wa, wb);
      if (Number.isNaN(ref)) expect(p.corr).toBeNull();
      else if (!(Math.abs((p.corr ?? NaN) - ref) <= 1e-9)) throw new Error(`${m.name} hour ${i}: corr ${p.corr} vs two-pass ${ref}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(2000);
  };
  for (const m of markets(5)) it(m.name, matchesTwoPass(m));

  // raw product sums (Σxy − n·x̄·ȳ) cancelled here and were off by ~1e-8; deviations from a shifted mean are not
  it('a steady 1 %/h trend with 1e-6 noise (mean 1e4 × std)', () => {
    const g = seededGaussian(12);
    let c = 100;
    let d = 100;
    matchesTwoPass({
      name: 'steady trend, tiny noise',
      closes: () => {
        const common = g();
        c *= Math.exp(0.01 + 1e-6 * (0.7 * common + 0.7 * g()));
        d *= Math.exp(-0.01 + 1e-6 * (0.7 * common + 0.7 * g()));
        return [c, d];
      },
    })();
  });

  it('a flat price (zero returns) gives no correlation', () => {
    const det = new CorrelationDetector(['A', 'B'], CorrelationConfig.parse({ window_hours: 24 }));
    const g = seededGaussian(9);
    let b = 100;
    let last = det.step(T0, [100, b]);
    for (let i = 1; i < 200; i++) last = det.step(T0 + i * HOUR_MS, [100, (b *= Math.exp(0.01 * g()))]);
    expect(last.pairs[0].corr).toBeNull();
    expect(last.pairs[0].status).toBe('flat_window');
    expect(last.pairs[0].broken).toBeNull();
  });
});

describe('flat windows give null with status flat_window', () => {
  it('relative cascade: 720 h without liquidations, then a burst', () => {
    const cfg = CascadeConfig.parse({ mode: 'relative' });
    const det = new LiquidationCascadeDetector(cfg);
    const candle = { open: 100, high: 101, low: 99, close: 100, volume: 10 };
    const g = seededGaussian(4);
    // a varied history first, so that any running-sum residue would show in the constant stretch
    for (let i = 0; i < 1000; i++) det.step(candle, { longUsd: 1e6 * Math.abs(g()), shortUsd: 1e5 * Math.abs(g()), kind: 'observed', source: 'synthetic' });
    for (let i = 0; i < 730; i++) det.step(candle, { longUsd: 0, shortUsd: 0, kind: 'observed', source: 'synthetic' });
    const out = det.step(candle, { longUsd: 5e6, shortUsd: 0, kind: 'observed', source: 'synthetic' });
    expect(out.status).toBe('flat_window');
    expect(out.velocity_z).toBeNull();
    expect(out.severity).toBeNull();
    expect(out.cascade_detected).toBeNull();
    expect(out.total_usd).toBe(5e6);
    const absolute = new LiquidationCascadeDetector(CascadeConfig.parse({ mode: 'absolute' }));
    for (let i = 0; i < 730; i++) absolute.step(candle, { longUsd: 0, shortUsd: 0, kind: 'observed', source: 'synthetic' });
    const a = absolute.step(candle, { longUsd: 5e6, shortUsd: 0, kind: 'observed', source: 'synthetic' });
    expect(a.status).toBe('ok');
    expect(a.velocity_z).toBeNull();
  });

  it('regime: a constant 1h volume gives flat_window on 1h, not a z from residue', () => {
    const det = new MultiTimeframeRegimeDetector(RegimeConfig.parse({}));
    const g = seededGaussian(8);
    let close = 100;
    let out = det.step(T0, { open: close, high: close, low: close, close, volume: 1e9 });
    for (let i = 1; i < 400; i++) {
      close *= Math.exp(0.01 * g());
      const volume = i < 300 ? 1e9 * (1 + Math.abs(g())) : 5e8;
      out = det.step(T0 + i * HOUR_MS, { open: close, high: close, low: close, close, volume });
    }
    expect(out['1h'].status).toBe('flat_window');
    expect(out['1h'].price_z).toBeNull();
    expect(out['1h'].volume_z).toBeNull();
    expect(out['1h'].regime).toBeNull();
  });

  it('volatility: a constant price has volatility exactly 0 and, once the baseline is all zeros, flat_window', () => {
    const det = new VolatilityRegimeDetector(VolatilityConfig.parse({}));
    const candle = { open: 100, high: 100, low: 100, close: 100, volume: 1 };
    const g = seededGaussian(6);
    for (let i = 0; i < 200; i++) {
      const c = 100 * Math.exp(0.01 * g());
      det.step({ open: c, high: c, low: c, close: c, volume: 1 });
    }
    let out = det.step(candle);
    for (let i = 0; i < 800; i++) out = det.step(candle);
    expect(out.volatility_24h).toBe(0);
    expect(out.vol_baseline).toBe(0);
    expect(out.status).toBe('flat_window');
    expect(out.regime).toBeNull();
  });
});
