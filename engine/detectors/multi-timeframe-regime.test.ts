import { describe, expect, it } from 'vitest';
import { resampleColumns } from '../data/resample.ts';
import { HOUR_MS, type CandleInput } from '../pipeline/input.ts';
import {
  MultiTimeframeRegimeDetector,
  RegimeConfig,
  classifySpotRegime,
  marketHeat,
  normalCdf,
  primaryRegime,
  regimeConfidence,
  type RegimeOutput,
} from './multi-timeframe-regime.ts';
import { naive, seededGaussian, seededRandom, syntheticCloses } from './synthetic.ts';

const cfg = (over: object = {}) => RegimeConfig.parse(over);
const T0 = Date.UTC(2024, 0, 1); // a Monday

function synthetic(n: number, seed: number, gapRate = 0): (CandleInput | null)[] {
  const closes = syntheticCloses(seed, n, 100, 0.01);
  const g = seededGaussian(seed + 1);
  const u = seededRandom(seed + 2);
  return Array.from(closes, (x) => (u() < gapRate ? null : { open: x, high: x, low: x, close: x, volume: 1000 * Math.exp(0.5 * g()) }));
}

function feed(candles: (CandleInput | null)[], c = cfg(), heat: (number | null)[] = []): RegimeOutput[] {
  const d = new MultiTimeframeRegimeDetector(c);
  return candles.map((cd, i) => d.step(T0 + i * HOUR_MS, cd, heat[i] ?? null));
}

/** z of xs[i] against the finite values of xs[i-n..i-1]; NaN unless xs[i] and at least 90 % of those are finite (min_coverage) */
function naiveZ(xs: ArrayLike<number>, i: number, n: number, minCoverage = 0.9): number {
  // a lookback still filling counts its unfilled slots as missing
  const prev = Array.from(xs).slice(Math.max(0, i - n), i);
  if (prev.filter(Number.isFinite).length < minCoverage * n || !Number.isFinite(xs[i])) return NaN;
  const sd = naive.std(prev);
  return sd > 0 ? (xs[i] - naive.mean(prev)) / sd : NaN;
}

describe('heat and classification', () => {
  it('normal CDF is accurate to 1e-7', () => {
    for (const [x, want] of [
      [0, 0.5],
      [1, 0.8413447461],
      [-1.96, 0.0249978952],
      [3, 0.9986501020],
    ]) {
      expect(Math.abs(normalCdf(x) - want)).toBeLessThan(1e-7);
    }
  });

  it('market heat is the mean of the move and volume percentiles', () => {
    expect(marketHeat(0, 0)).toBeCloseTo(0.25, 7);
    expect(marketHeat(1, 1.5)).toBeCloseTo((0.6826894921 + 0.9331927987) / 2, 6);
    expect(marketHeat(-1, 1.5)).toBe(marketHeat(1, 1.5));
    expect(marketHeat(10, 10)).toBeLessThanOrEqual(1);
    expect(marketHeat(0, -10)).toBeGreaterThanOrEqual(0);
  });

  it('applies the default thresholds: ignition, capitulation, churn, cooling, warming, chop, else neutral', () => {
    const c = cfg();
    expect(classifySpotRegime(0.7, 1.0, 0, c)).toBe('SPOT_IGNITION');
    expect(classifySpotRegime(0.69, 1.0, 1.5, c)).toBe('SPOT_NEUTRAL');
    expect(classifySpotRegime(0.7, 0.99, 1.5, c)).toBe('SPOT_NEUTRAL');
    expect(classifySpotRegime(0.9, 3, -0.01, c)).toBe('SPOT_NEUTRAL');
    // the mirror image
    expect(classifySpotRegime(0.7, -1.0, 0, c)).toBe('SPOT_CAPITULATION');
    expect(classifySpotRegime(0.69, -1.0, 1.5, c)).toBe('SPOT_NEUTRAL');
    expect(classifySpotRegime(0.7, -0.99, 1.5, c)).toBe('SPOT_NEUTRAL');
    // heavy volume without a net move; a 1σ move on 2σ volume is already hot
    expect(classifySpotRegime(0.9, 0.99, 2, c)).toBe('SPOT_CHURN');
    expect(classifySpotRegime(0.6, -0.5, 2, c)).toBe('SPOT_CHURN');
    expect(classifySpotRegime(0.6, -0.5, 1.99, c)).toBe('SPOT_NEUTRAL');
    expect(classifySpotRegime(0.8, 1.0, 2, c)).toBe('SPOT_IGNITION');
    // a quiet rise mirrors a quiet decline
    expect(classifySpotRegime(0.4, 0.5, 0.5, c)).toBe('SPOT_WARMING');
    expect(classifySpotRegime(0.41, 0.5, 0.5, c)).toBe('SPOT_CHOP');
    expect(classifySpotRegime(0.41, 0.6, 0.5, c)).toBe('SPOT_NEUTRAL');
    expect(classifySpotRegime(0.4, 0.6, 0.51, c)).toBe('SPOT_NEUTRAL');
    // the original system's thresholds (the seed preset) are a subset of the defaults
    const seed = cfg({ ignition: { min_heat: 0.6, min_price_z: 1, min_volume_z: 1.5 }, capitulation: { min_heat: 0.6, max_price_z: -1, min_volume_z: 1.5 } });
    expect(classifySpotRegime(0.6, 1.0, 1.5, seed)).toBe('SPOT_IGNITION');
    expect(classifySpotRegime(0.59, 1.0, 1.5, seed)).toBe('SPOT_NEUTRAL');
    expect(classifySpotRegime(marketHeat(1, 1.5), 1, 1.5, c)).toBe('SPOT_IGNITION');
    expect(classifySpotRegime(0.4, -0.5, 0.5, c)).toBe('SPOT_COOLING');
    expect(classifySpotRegime(0.41, -0.5, 0.5, c)).toBe('SPOT_CHOP');
    expect(classifySpotRegime(0.5, 0.5, 1.0, c)).toBe('SPOT_CHOP');
    expect(classifySpotRegime(0.5, 0.51, 1.0, c)).toBe('SPOT_NEUTRAL');
    expect(classifySpotRegime(0.3, 0, 1.01, c)).toBe('SPOT_NEUTRAL');
  });

  it('primary regime: a tie goes to a state that says something over neutral, then to the higher timeframe', () => {
    const X = 'SPOT_CAPITULATION' as const;
    const N = 'SPOT_NEUTRAL' as const;
    const C = 'SPOT_CHOP' as const;
    expect(primaryRegime([X, X, N, N])).toBe(X);
    expect(primaryRegime([N, N, X, X])).toBe(X);
    expect(primaryRegime([X, N, N, N])).toBe(N);
    expect(primaryRegime([N, C, X, N])).toBe(N);
    expect(primaryRegime([C, X, N, null])).toBe(X);
    expect(regimeConfidence([X, X, N, N], X)).toBe(0.5);
  });

  it('primary regime: most common, ties to the higher timeframe; confidence = agreement / 4', () => {
    const I = 'SPOT_IGNITION' as const;
    const C = 'SPOT_CHOP' as const;
    const N = 'SPOT_NEUTRAL' as const;
    const K = 'SPOT_COOLING' as const;
    expect(primaryRegime([I, I, C, C])).toBe(C);
    expect(primaryRegime([C, C, I, I])).toBe(I);
    expect(primaryRegime([I, I, I, C])).toBe(I);
    expect(primaryRegime([I, C, N, K])).toBe(K);
    expect(primaryRegime([null, I, null, C])).toBe(C);
    expect(primaryRegime([I, null, null, null])).toBe(I);
    expect(primaryRegime([null, null, null, null])).toBeNull();
    expect(regimeConfidence([I, I, I, C], I)).toBe(0.75);
    expect(regimeConfidence([null, I, null, C], C)).toBe(0.25);
    expect(regimeConfidence([null, null, null, null], null)).toBe(0);
  });
});

describe('MultiTimeframeRegimeDetector', () => {
  it('matches naive 1h, 4h and 1d z-scores over previous bars on a synthetic series with gaps', () => {
    // gaps in the first 30 days only, so that the daily lookback (30 complete bars) fills afterwards
    const n = 24 * 75;
    const filler = synthetic(n, 4);
    const candles = synthetic(n, 3, 0.003).map((c, i) => (c === null && i >= 24 * 30 ? filler[i] : c));
    const outs = feed(candles);
    const close = candles.map((c) => (c === null ? NaN : c.close));
    const vol = candles.map((c) => (c === null ? NaN : c.volume));
    const r1 = close.map((x, i) => (i === 0 ? NaN : Math.log(x / close[i - 1])));
    let checked = 0;
    for (let t = 0; t < n; t++) {
      if (candles[t] === null) continue;
      const pz = naiveZ(r1, t, 24);
      const vz = naiveZ(vol, t, 24);
      const o = outs[t]['1h'];
      if (Number.isFinite(pz) && Number.isFinite(vz)) {
        expect(o.price_z).toBeCloseTo(pz, 9);
        expect(o.volume_z).toBeCloseTo(vz, 9);
        expect(o.heat).toBeCloseTo(marketHeat(pz, vz), 12);
        expect(o.regime).toBe(classifySpotRegime(marketHeat(pz, vz), pz, vz, cfg()));
        checked++;
      } else {
        expect(o.price_z).toBeNull();
        expect(o.regime).toBeNull();
      }
    }
    expect(checked).toBeGreaterThan(1000);

    for (const [tf, hours, lookback] of [
      ['4h', 4, 24],
      ['1d', 24, 30],
    ] as const) {
      const present = candles.map((c, i) => ({ c, i })).filter((x) => x.c !== null);
      const bars = resampleColumns(
        {
          ts: Float64Array.from(present, (x) => T0 + x.i * HOUR_MS),
          open: Float64Array.from(present, (x) => x.c!.open),
          high: Float64Array.from(present, (x) => x.c!.high),
          low: Float64Array.from(present, (x) => x.c!.low),
          close: Float64Array.from(present, (x) => x.c!.close),
          volume: Float64Array.from(present, (x) => x.c!.volume),
        },
        tf,
      );
      // a bar's close is real when its last hour is present (its return counts); its volume only when complete
      const bc = Array.from(bars.close, (x, i) => (candles[(bars.ts[i] - T0) / HOUR_MS + hours - 1] !== null ? x : NaN));
      const bv = Array.from(bars.volume, (x, i) => (bars.complete[i] ? x : NaN));
      const br = bc.map((x, i) => (i === 0 ? NaN : Math.log(x / bc[i - 1])));
      let seen = 0;
      for (let i = 0; i < bars.ts.length; i++) {
        const closeHour = (bars.ts[i] - T0) / HOUR_MS + hours - 1;
        const o = outs[closeHour][tf];
        expect(o.bar_ts).toBe(bars.ts[i]);
        const pz = naiveZ(br, i, lookback);
        const vz = naiveZ(bv, i, lookback);
        if (Number.isFinite(pz) && Number.isFinite(vz) && bars.complete[i]) {
          expect(o.price_z).toBeCloseTo(pz, 9);
          expect(o.volume_z).toBeCloseTo(vz, 9);
          seen++;
        } else expect(o.price_z).toBeNull();
        // held until the next bar of the timeframe closes
        if (closeHour + 1 < n && hours > 1) expect(outs[closeHour + 1][tf]).toBe(o);
      }
      expect(seen).toBeGreaterThan(0);
    }
  });

  it('lets external heat replace the market-derived heat', () => {
    const candles = synthetic(60, 8);
    const heat = candles.map(() => 0.9);
    const outs = feed(candles, cfg(), heat);
    const o = outs[59]['1h'];
    expect(o.heat).toBe(0.9);
    expect(o.heat_source).toBe('external');
    const off = feed(candles, cfg({ use_external_heat: false }), heat)[59]['1h'];
    expect(off.heat_source).toBe('market');
    expect(off.heat).toBeCloseTo(marketHeat(off.price_z!, off.volume_z!), 12);
  });

  it('reports primary regime and confidence from the four timeframes', () => {
    const outs = feed(synthetic(24 * 7 * 16, 5));
    const last = outs[outs.length - 1];
    const regimes = [last['1h'].regime, last['4h'].regime, last['1d'].regime, last['1w'].regime];
    expect(regimes.every((r) => r !== null)).toBe(true);
    expect(last.primary).toBe(primaryRegime(regimes));
    expect(last.confidence).toBe(regimeConfidence(regimes, last.primary));
  });

  it('is causal', () => {
    const candles = synthetic(24 * 40, 9, 0.002);
    const a = feed(candles);
    const tampered = candles.map((c, i) => (i >= 24 * 30 && c !== null ? { ...c, close: c.close * 3, volume: c.volume * 50 } : c));
    const b = feed(tampered);
    expect(b.slice(0, 24 * 30)).toEqual(a.slice(0, 24 * 30));
  });
});
