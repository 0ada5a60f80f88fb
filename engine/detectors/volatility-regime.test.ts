import { describe, expect, it } from 'vitest';
import type { CandleInput } from '../pipeline/input.ts';
import { VolatilityConfig, VolatilityRegimeDetector, classifyVolRegime, clusterProbability, riskMultiplier, type VolatilityOutput } from './volatility-regime.ts';
import { naive, seededRandom, syntheticCloses } from './synthetic.ts';

const cfg = (over: object = {}) => VolatilityConfig.parse(over);
const candle = (close: number): CandleInput => ({ open: close, high: close, low: close, close, volume: 1 });

/** null and NaN both mean "no value" and match each other */
function expectNear(actual: number | null, expected: number, digits: number): void {
  if (actual === null || Number.isNaN(expected)) {
    expect([actual, expected]).toEqual([null, NaN]);
    return;
  }
  expect(actual).toBeCloseTo(expected, digits);
}

function feed(closes: ArrayLike<number>, c = cfg()): VolatilityOutput[] {
  const d = new VolatilityRegimeDetector(c);
  return Array.from(closes, (x) => d.step(Number.isNaN(x) ? null : candle(x)));
}

describe('volatility classification', () => {
  it('original system example: ratio 1.17 is HIGH_VOL', () => {
    expect(classifyVolRegime(1.17, cfg())).toBe('HIGH_VOL');
  });

  it('uses inclusive lower bounds 1.0, 1.5, 2.5', () => {
    const c = cfg();
    expect([0.5, 0.999, 1.0, 1.49, 1.5, 2.49, 2.5, 9].map((r) => classifyVolRegime(r, c))).toEqual([
      'STABLE',
      'STABLE',
      'HIGH_VOL',
      'HIGH_VOL',
      'EXPLOSIVE',
      'EXPLOSIVE',
      'EXTREME',
      'EXTREME',
    ]);
    expect(['STABLE', 'HIGH_VOL', 'EXPLOSIVE', 'EXTREME'].map((r) => riskMultiplier(r as never, c))).toEqual([0.7, 1.2, 1.8, 2.5]);
  });

  it('clustering probability needs enough conditioning events', () => {
    expect(clusterProbability(3, 6, 5)).toBe(0.5);
    expect(clusterProbability(3, 4, 5)).toBeNull();
  });
});

describe('VolatilityRegimeDetector', () => {
  it('hand computed: two returns ±ln 1.1 give std 0.13479, × √24 = 0.66034', () => {
    const outs = feed([100, 110, 100], cfg({ window_hours: 2 }));
    expect(outs[0].status).toBe('warming_up');
    expect(outs[1].volatility_24h).toBeNull();
    expect(outs[2].volatility_24h).toBeCloseTo((Math.abs(2 * Math.log(1.1)) / Math.SQRT2) * Math.sqrt(24), 12);
    expect(outs[2].return_1h).toBeCloseTo(-Math.log(1.1), 12);
  });

  it('matches a naive recomputation of volatility_24h, baseline, ratio and clustering on a synthetic series with gaps', () => {
    const n = 2600;
    const closes = syntheticCloses(1, n, 30_000, 0.008);
    const rnd = seededRandom(2);
    for (let i = 0; i < n; i++) if (rnd() < 0.002) closes[i] = NaN;
    const c = cfg({ baseline_hours: 240, cluster_window_hours: 48, cluster_min_events: 3 });
    const outs = feed(closes, c);
    const r = new Float64Array(n).fill(NaN);
    for (let i = 1; i < n; i++) r[i] = Math.log(closes[i] / closes[i - 1]);
    const vol = new Float64Array(n).fill(NaN);
    const base = new Float64Array(n).fill(NaN);
    const exceed = new Float64Array(n).fill(NaN);
    let checked = 0;
    for (let t = 0; t < n; t++) {
      if (t >= 24) {
        const win = r.subarray(t - 23, t + 1);
        if (win.every((x) => Number.isFinite(x))) vol[t] = naive.std(win) * Math.sqrt(24);
      }
      const prev = vol.subarray(Math.max(0, t - 240), t);
      const validPrev = naive.valid(prev).length;
      if (validPrev / 240 >= 0.9) base[t] = naive.mean(prev);
      if (Number.isFinite(r[t]) && base[t] > 0) exceed[t] = Math.abs(r[t]) > base[t] / Math.sqrt(24) ? 1 : 0;
      const o = outs[t];
      if (Number.isNaN(closes[t])) {
        expect(o.status).toBe('no_data');
        continue;
      }
      expectNear(o.volatility_24h, vol[t], 10);
      expectNear(o.vol_baseline, base[t], 10);
      if (o.ratio !== null) {
        expect(o.ratio).toBeCloseTo(vol[t] / base[t], 9);
        expect(o.regime).toBe(classifyVolRegime(vol[t] / base[t], c));
        checked++;
      }
      if (t >= 48) {
        let valid = 0;
        let prevEx = 0;
        let both = 0;
        let cur = 0;
        for (let s = t - 47; s <= t; s++) {
          if (!Number.isFinite(exceed[s]) || !Number.isFinite(exceed[s - 1])) continue;
          valid++;
          prevEx += exceed[s - 1];
          cur += exceed[s];
          both += exceed[s - 1] * exceed[s];
        }
        const want = valid === 48 && prevEx >= 3 ? both / prevEx : null;
        if (want === null) expect(o.cluster_prob).toBeNull();
        else expect(o.cluster_prob).toBeCloseTo(want, 12);
        if (valid === 48) expect(o.exceed_rate).toBeCloseTo(cur / 48, 12);
      }
    }
    expect(checked).toBeGreaterThan(1500);
  });

  it('a missing hour blocks volatility_24h for the next 25 hours and is never bridged', () => {
    const closes = syntheticCloses(4, 100, 100, 0.01);
    closes[50] = NaN;
    const outs = feed(closes);
    expect(outs[49].volatility_24h).not.toBeNull();
    expect(outs[50].status).toBe('no_data');
    for (let t = 51; t <= 74; t++) {
      expect(outs[t].volatility_24h).toBeNull();
      expect(outs[t].status).toBe('gap_in_window');
    }
    expect(outs[51].return_1h).toBeNull();
    expect(outs[75].volatility_24h).not.toBeNull();
  });

  it('is causal and finite once warmed up', () => {
    const closes = syntheticCloses(7, 1200, 100, 0.01);
    const a = feed(closes);
    const tampered = closes.slice();
    for (let t = 1000; t < 1200; t++) tampered[t] = 5 * closes[t];
    const b = feed(tampered);
    expect(b.slice(0, 1000)).toEqual(a.slice(0, 1000));
    // baseline from 90 % of 720 h of volatility_24h, then a full 168 h clustering window
    for (const o of a.slice(24 + 648 + 169)) {
      expect(o.status).toBe('ok');
      for (const v of [o.volatility_24h, o.vol_baseline, o.ratio, o.risk_multiplier, o.cluster_prob, o.exceed_rate]) expect(Number.isFinite(v)).toBe(true);
      expect(o.cluster_prob!).toBeGreaterThanOrEqual(0);
      expect(o.cluster_prob!).toBeLessThanOrEqual(1);
    }
  });
});
