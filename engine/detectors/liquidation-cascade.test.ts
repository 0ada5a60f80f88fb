import { describe, expect, it } from 'vitest';
import type { CandleInput, LiquidationInput, LiquidationKind } from '../pipeline/input.ts';
import {
  CascadeConfig,
  LiquidationCascadeDetector,
  cascadeSeverity,
  relativeCascadeSeverity,
  sideBias,
  type CascadeOutput,
} from './liquidation-cascade.ts';
import { LiquidationZones } from './liquidation-zones.ts';
import { seededRandom, syntheticCloses } from './synthetic.ts';

// the original system's absolute rule unless a test says otherwise (the default is relative since the calibration)
const cfg = (over: object = {}) => CascadeConfig.parse({ mode: 'absolute', ...over });
const candle = (close: number): CandleInput => ({ open: close, high: close, low: close, close, volume: 1 });
const liq = (longUsd: number, shortUsd: number, kind: LiquidationKind = 'aggregated'): LiquidationInput => ({ longUsd, shortUsd, kind, source: 'test' });

describe('cascade severity', () => {
  it('uses inclusive lower bounds in USD/h', () => {
    const c = cfg();
    expect(cascadeSeverity(0, c)).toBe(1);
    expect(cascadeSeverity(99_999.99, c)).toBe(1);
    expect(cascadeSeverity(100_000, c)).toBe(2);
    expect(cascadeSeverity(199_999, c)).toBe(2);
    expect(cascadeSeverity(200_000, c)).toBe(3);
    expect(cascadeSeverity(399_999, c)).toBe(3);
    expect(cascadeSeverity(400_000, c)).toBe(4);
    expect(cascadeSeverity(600_000, c)).toBe(5);
    expect(cascadeSeverity(5_000_000, c)).toBe(5);
  });

  it('maps relative z with inclusive bounds 1, 2, 3, 4', () => {
    const c = cfg({ mode: 'relative', relative: { severity_z: [1, 2, 3, 4] } });
    expect([0.99, 1, 2.5, 3, 4, -3].map((z) => relativeCascadeSeverity(z, c))).toEqual([1, 2, 3, 4, 5, 1]);
    // the calibrated defaults
    const d = CascadeConfig.parse({});
    expect(d.mode).toBe('relative');
    expect([1.24, 1.25, 1.75, 2.1, 2.4, 2.7].map((z) => relativeCascadeSeverity(z, d))).toEqual([1, 2, 3, 4, 5, 5]);
  });

  it('original system example: 2,400,000 USD over 24 h is 100,000 USD/h, severity 2', () => {
    const d = new LiquidationCascadeDetector(cfg({ window_hours: 24 }));
    let out!: CascadeOutput;
    for (let h = 0; h < 24; h++) out = d.step(candle(100), liq(60_000, 40_000));
    expect(out.status).toBe('ok');
    expect(out.total_usd).toBeCloseTo(2_400_000, 6);
    expect(out.velocity_usd_h).toBeCloseTo(100_000, 6);
    expect(out.severity).toBe(2);
    expect(out.cascade_detected).toBe(true);
    expect(out.side_bias).toBe('BALANCED');
    expect(out.long_share).toBeCloseTo(0.6, 12);
  });
});

describe('side bias', () => {
  it('needs a share strictly above 60 %', () => {
    expect(sideBias(70, 30, 0.6)).toBe('LONG');
    expect(sideBias(60, 40, 0.6)).toBe('BALANCED');
    expect(sideBias(35, 65, 0.6)).toBe('SHORT');
    expect(sideBias(0, 0, 0.6)).toBeNull();
  });
});

describe('LiquidationCascadeDetector', () => {
  it('sums the 4 h window and detects above 500,000 USD (strictly)', () => {
    const d = new LiquidationCascadeDetector(cfg());
    const outs = [liq(100_000, 0), liq(100_000, 0), liq(200_000, 0), liq(100_000, 0), liq(0, 0)].map((l) => d.step(candle(50), l));
    expect(outs[2].status).toBe('warming_up');
    expect(outs[2].total_usd).toBeNull();
    expect(outs[3].total_usd).toBe(500_000);
    expect(outs[3].cascade_detected).toBe(false);
    expect(outs[3].side_bias).toBe('LONG');
    expect(outs[3].velocity_usd_h).toBe(125_000);
    expect(outs[4].total_usd).toBe(400_000);
  });

  it('never treats missing liquidation coverage as zero, and a gap blocks the whole window', () => {
    const d = new LiquidationCascadeDetector(cfg());
    for (let h = 0; h < 4; h++) d.step(candle(50), liq(1, 1));
    const gap = d.step(candle(50), null);
    expect(gap.status).toBe('gap_in_window');
    expect(gap.total_usd).toBeNull();
    expect(gap.severity).toBeNull();
    expect(gap.cascade_detected).toBeNull();
    const outs = [1, 2, 3, 4].map(() => d.step(candle(50), liq(1, 1)));
    expect(outs.slice(0, 3).every((o) => o.status === 'gap_in_window')).toBe(true);
    expect(outs[3].status).toBe('ok');
    expect(outs[3].total_usd).toBe(8);
  });

  it('a missing candle makes the hour missing too', () => {
    const d = new LiquidationCascadeDetector(cfg({ window_hours: 2 }));
    d.step(candle(50), liq(1, 1));
    d.step(candle(50), liq(1, 1));
    expect(d.step(null, liq(1, 1)).status).toBe('gap_in_window');
  });

  it('reports no_data when there never was coverage', () => {
    const d = new LiquidationCascadeDetector(cfg());
    const out = d.step(candle(50), null);
    expect(out.status).toBe('no_data');
    expect(out.kind).toBeNull();
  });

  it('reports the least direct coverage kind in the window', () => {
    const d = new LiquidationCascadeDetector(cfg({ window_hours: 2 }));
    d.step(candle(1), liq(1, 1, 'observed'));
    expect(d.step(candle(1), liq(1, 1, 'observed')).kind).toBe('observed');
    expect(d.step(candle(1), liq(1, 1, 'modelled')).kind).toBe('modelled');
    expect(d.step(candle(1), liq(1, 1, 'aggregated')).kind).toBe('modelled');
    expect(d.step(candle(1), liq(1, 1, 'aggregated')).kind).toBe('aggregated');
  });

  it('relative mode: z of the velocity vs previous hours only', () => {
    const d = new LiquidationCascadeDetector(
      cfg({ mode: 'relative', window_hours: 1, relative: { baseline_hours: 10, min_coverage: 1, log_velocity: false } }),
    );
    for (let v = 1; v <= 9; v++) expect(d.step(candle(1), liq(v, 0)).status).toBe('low_coverage');
    d.step(candle(1), liq(10, 0));
    const out = d.step(candle(1), liq(20, 0));
    // previous ten velocities 1..10: mean 5.5, sample std 3.02765
    expect(out.velocity_z).toBeCloseTo((20 - 5.5) / 3.0276503540974917, 9);
    expect(out.severity).toBe(5);
    expect(out.cascade_detected).toBe(true);
    const calm = d.step(candle(1), liq(9, 0));
    expect(calm.velocity_z).toBeLessThan(1);
    expect(calm.severity).toBe(1);
    expect(calm.cascade_detected).toBe(false);
  });

  it('is causal: changing later inputs leaves earlier outputs unchanged', () => {
    const run = (tamper: boolean) => {
      const rnd = seededRandom(5);
      const closes = syntheticCloses(6, 400, 30_000, 0.01);
      const d = new LiquidationCascadeDetector(cfg({ mode: 'relative', relative: { baseline_hours: 48 } }));
      const outs: CascadeOutput[] = [];
      for (let h = 0; h < 400; h++) {
        let l: LiquidationInput | null = rnd() < 0.05 ? null : liq(rnd() * 1e6, rnd() * 1e6);
        if (tamper && h >= 300) l = liq(9e9, 1);
        outs.push(d.step(candle(closes[h]), l));
      }
      return outs.slice(0, 300);
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe('LiquidationZones', () => {
  function naiveZones(prices: number[], usds: number[], binPct: number, n: number) {
    const w = Math.log1p(binPct / 100);
    const bins = new Map<number, { usd: number; pu: number }>();
    let total = 0;
    for (let i = 0; i < prices.length; i++) {
      if (!(usds[i] > 0) || !(prices[i] > 0)) continue;
      const b = Math.floor(Math.log(prices[i]) / w);
      const e = bins.get(b) ?? { usd: 0, pu: 0 };
      e.usd += usds[i];
      e.pu += usds[i] * prices[i];
      bins.set(b, e);
      total += usds[i];
    }
    return [...bins.entries()]
      .sort((a, b) => b[1].usd - a[1].usd)
      .slice(0, n)
      .map(([b, e]) => ({ price: e.pu / e.usd, low: Math.exp(b * w), high: Math.exp((b + 1) * w), usd: e.usd, share: e.usd / total }));
  }

  it('matches a naive bucketing of the last 168 h on a synthetic drifting series with gaps', () => {
    const rnd = seededRandom(9);
    const closes = syntheticCloses(10, 3000, 100, 0.02);
    const z = new LiquidationZones(168, 0.5, 3);
    const prices: number[] = [];
    const usds: number[] = [];
    for (let h = 0; h < 3000; h++) {
      const usd = rnd() < 0.05 ? NaN : rnd() < 0.3 ? 0 : Math.round(rnd() * 1e6);
      z.push(closes[h], usd);
      prices.push(closes[h]);
      usds.push(usd);
      if (h % 7 !== 0) continue;
      const got = z.zones();
      const want = naiveZones(prices.slice(-168), usds.slice(-168), 0.5, 3);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) {
        expect(got[i].usd).toBeCloseTo(want[i].usd, 3);
        expect(got[i].price).toBeCloseTo(want[i].price, 6);
        expect(got[i].low).toBeCloseTo(want[i].low, 9);
        expect(got[i].share).toBeCloseTo(want[i].share, 9);
      }
      const valid = usds.slice(-168).filter((u) => u === u).length;
      expect(z.coverage).toBeCloseTo(valid / 168, 12);
    }
  });

  it('clusters nearby prices into one zone', () => {
    const z = new LiquidationZones(168, 1, 2);
    // both inside the 1 % bin [1.01^464, 1.01^465) = [101.18, 102.20)
    z.push(101.5, 1_000_000);
    z.push(101.9, 3_000_000);
    z.push(120, 500_000);
    z.push(130, 0);
    const zones = z.zones();
    expect(zones).toHaveLength(2);
    expect(zones[0].usd).toBe(4_000_000);
    expect(zones[0].price).toBeCloseTo((101.5 * 1 + 101.9 * 3) / 4, 9);
    expect(zones[0].low).toBeCloseTo(1.01 ** 464, 9);
    expect(zones[0].share).toBeCloseTo(4 / 4.5, 12);
    expect(zones[1].price).toBe(120);
  });
});
