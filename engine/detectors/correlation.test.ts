import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../pipeline/config.ts';
import { CorrelationConfig, CorrelationDetector, correlationPairs, correlationPairsProblem, isCorrelationBreak, leadDirection, pairKey, type CorrelationOutput } from './correlation.ts';
import { naive, seededGaussian, seededRandom, stressCloses } from './synthetic.ts';

const cfg = (over: object = {}) => CorrelationConfig.parse(over);
const SYMS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

/** closes for three symbols; ETH follows BTC with `lag` hours, SOL is independent; returns[s][t] */
function market(n: number, seed: number, lag: number, gapRate: number) {
  const g = seededGaussian(seed);
  const u = seededRandom(seed + 1);
  const r = SYMS.map(() => new Float64Array(n));
  for (let t = 0; t < n; t++) {
    r[0][t] = 0.01 * g();
    r[1][t] = (t >= lag ? 0.8 * r[0][t - lag] : 0) + 0.006 * g();
    r[2][t] = 0.01 * g();
  }
  const closes = SYMS.map((_, s) => {
    const out = new Float64Array(n);
    let p = 100;
    for (let t = 0; t < n; t++) {
      p *= Math.exp(r[s][t]);
      out[t] = u() < gapRate ? NaN : p;
    }
    return out;
  });
  const returns = closes.map((c) => Float64Array.from(c, (x, t) => (t === 0 ? NaN : Math.log(x / c[t - 1]))));
  return { closes, returns };
}

/** each hour's pairs, read during the step (the columns behind them move on with the next one) */
function run(closes: Float64Array[], c = cfg()): Pick<CorrelationOutput, 'ts' | 'pairs'>[] {
  const d = new CorrelationDetector(SYMS, c);
  const buf = new Float64Array(SYMS.length);
  const outs: Pick<CorrelationOutput, 'ts' | 'pairs'>[] = [];
  for (let t = 0; t < closes[0].length; t++) {
    for (let s = 0; s < SYMS.length; s++) buf[s] = closes[s][t];
    const out = d.step(t, buf);
    outs.push({ ts: out.ts, pairs: out.pairs });
  }
  return outs;
}

function windowCorr(x: Float64Array, y: Float64Array, from: number, to: number, lag = 0): number {
  const xs = x.slice(from - lag, to + 1 - lag);
  const ys = y.slice(from, to + 1);
  if (![...xs, ...ys].every(Number.isFinite)) return NaN;
  return naive.correlation(xs, ys);
}

describe('correlation rules', () => {
  it('breaks on a drop of 0.3 vs normal or a level of −0.5 (inclusive)', () => {
    const c = cfg();
    expect(isCorrelationBreak(0.5, 0.8, c)).toBe(true);
    expect(isCorrelationBreak(0.55, 0.8, c)).toBe(false);
    expect(isCorrelationBreak(-0.5, null, c)).toBe(true);
    expect(isCorrelationBreak(-0.49, null, c)).toBe(false);
    expect(isCorrelationBreak(0.9, 0.1, c)).toBe(false);
  });

  it('needs a leader to beat the other direction by the margin', () => {
    expect(leadDirection(0.5, 0.3, 0.05)).toBe(1);
    expect(leadDirection(0.3, 0.5, 0.05)).toBe(-1);
    expect(leadDirection(0.32, 0.3, 0.05)).toBe(0);
    expect(leadDirection(NaN, NaN, 0.05)).toBe(0);
    expect(leadDirection(0.2, NaN, 0.05)).toBe(1);
  });

  it('names pairs in lower case', () => {
    expect(pairKey('BTCUSDT', 'ETHUSDT')).toBe('btcusdt_ethusdt');
  });
});

describe('CorrelationDetector', () => {
  it('matches naive Pearson correlation and the normal on a synthetic market with gaps', () => {
    const n = 900;
    const { closes, returns } = market(n, 1, 0, 0.002);
    const c = cfg({ window_hours: 48, normal_hours: 100 });
    const outs = run(closes, c);
    const corrHist = SYMS.map(() => SYMS.map(() => new Float64Array(n).fill(NaN)));
    let checked = 0;
    for (let t = 0; t < n; t++) {
      for (const p of outs[t].pairs) {
        const a = SYMS.indexOf(p.a);
        const b = SYMS.indexOf(p.b);
        const want = t >= 48 ? windowCorr(returns[a], returns[b], t - 47, t) : NaN;
        corrHist[a][b][t] = want;
        if (Number.isFinite(want)) {
          expect(p.corr).toBeCloseTo(want, 9);
          checked++;
        } else expect(p.corr).toBeNull();
        const prev = corrHist[a][b].subarray(Math.max(0, t - 100), t);
        const cov = naive.valid(prev).length / 100;
        expect(p.normal_coverage).toBeCloseTo(cov, 12);
        if (cov >= 0.9) expect(p.normal).toBeCloseTo(naive.mean(prev), 9);
        else expect(p.normal).toBeNull();
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('finds the leading asset and its lag from lagged cross-correlation', () => {
    const n = 600;
    const { closes, returns } = market(n, 2, 2, 0);
    const outs = run(closes, cfg());
    const last = outs[n - 1].pairs.find((p) => p.a === 'BTCUSDT' && p.b === 'ETHUSDT')!;
    expect(last.leader).toBe('BTCUSDT');
    expect(last.lag_hours).toBe(2);
    expect(last.lead_strength).toBeCloseTo(windowCorr(returns[0], returns[1], n - 168, n - 1, 2), 9);
    expect(last.lead_strength!).toBeGreaterThan(0.5);
    const reversed = outs[n - 1].pairs.find((p) => p.a === 'ETHUSDT' && p.b === 'SOLUSDT')!;
    expect(reversed.leader).toBeNull();
  });

  it('nulls every pair of a symbol for a full window after its gap', () => {
    const { closes } = market(500, 3, 0, 0);
    closes[2][300] = NaN;
    const outs = run(closes, cfg());
    const pair = (t: number, a: string, b: string) => outs[t].pairs.find((p) => p.a === a && p.b === b)!;
    expect(pair(299, 'BTCUSDT', 'SOLUSDT').corr).not.toBeNull();
    for (const t of [300, 301, 350, 468]) {
      expect(pair(t, 'BTCUSDT', 'SOLUSDT').corr).toBeNull();
      expect(pair(t, 'BTCUSDT', 'SOLUSDT').status).toBe('gap_in_window');
      expect(pair(t, 'BTCUSDT', 'ETHUSDT').corr).not.toBeNull();
    }
    // returns at 300 and 301 are missing, so the window is whole again from 301 + 168
    expect(pair(469, 'BTCUSDT', 'SOLUSDT').corr).not.toBeNull();
  });

  it('pairs read during the step stay as they were; a first read after the next step throws', () => {
    const { closes } = market(260, 5, 1, 0.01);
    const d = new CorrelationDetector(SYMS, cfg({ window_hours: 24, normal_hours: 48 }));
    const buf = new Float64Array(SYMS.length);
    const step = (t: number) => {
      for (let s = 0; s < SYMS.length; s++) buf[s] = closes[s][t];
      return d.step(t, buf);
    };
    for (let t = 0; t < 200; t++) step(t);
    const read = step(200);
    const kept = read.pairs.map((p) => ({ ...p }));
    expect(kept.some((p) => p.corr !== null && p.normal !== null)).toBe(true);
    const unread = step(201);
    for (let t = 202; t < 260; t++) step(t);
    expect(read.pairs).toEqual(kept);
    expect(() => unread.pairs).toThrow(/read after the detector stepped on/);
    expect(() => unread.columns).toThrow(/read after the detector stepped on/);
    // and the values read at hour 200 are what a fresh detector says there
    expect(run(closes.map((c) => c.slice(0, 201)), cfg({ window_hours: 24, normal_hours: 48 }))[200].pairs).toEqual(kept);
  });

  it('rebuilds the normals once per normal length, whether it follows pairs or none (one symbol)', () => {
    const nh = 48;
    for (const syms of [SYMS, ['BTCUSDT']]) {
      const d = new CorrelationDetector(syms, cfg({ window_hours: 24, normal_hours: nh }));
      const rebuilds = vi.spyOn(d as unknown as { rebuildNormals(): void }, 'rebuildNormals');
      const closes = new Float64Array(syms.length);
      for (let t = 0; t < 10 * nh; t++) {
        closes.fill(100 + (t % 7));
        d.step(t, closes);
      }
      expect(rebuilds).toHaveBeenCalledTimes(10);
    }
  });

  it('is causal', () => {
    const { closes } = market(1100, 4, 1, 0.001);
    const a = run(closes);
    const tampered = closes.map((c) => c.map((x, t) => (t >= 1000 ? x * (1 + (t % 3)) : x)));
    expect(run(tampered).slice(0, 1000)).toEqual(a.slice(0, 1000));
  });
});

describe('pair lists: correlation.pairs "all" | "anchors"', () => {
  const syms = ['AUSDT', 'BTCUSDT', 'CUSDT', 'ETHUSDT', 'DUSDT'];

  it('anchors: each anchor against every other symbol, once, in all-pairs order', () => {
    const pairs = correlationPairs(syms, cfg({ pairs: 'anchors' }));
    expect(pairs.map(([a, b]) => `${syms[a]}/${syms[b]}`)).toEqual([
      'AUSDT/BTCUSDT',
      'AUSDT/ETHUSDT',
      'BTCUSDT/CUSDT',
      'BTCUSDT/ETHUSDT',
      'BTCUSDT/DUSDT',
      'CUSDT/ETHUSDT',
      'ETHUSDT/DUSDT',
    ]);
    expect(correlationPairs(syms, cfg({ pairs: 'all' }))).toHaveLength(10);
    expect(correlationPairs(syms, cfg())).toHaveLength(10);
  });

  it('an anchors detector gives the same values as the all-pairs detector for the pairs it keeps', () => {
    const { closes } = market(700, 7, 1, 0.002);
    const five = [...closes, closes[0].map((x, t) => x * Math.exp(0.001 * Math.sin(t))), closes[2].map((x) => x * 1.5)];
    const all = new CorrelationDetector(syms, cfg({ pairs: 'all' }));
    const anchors = new CorrelationDetector(syms, cfg({ pairs: 'anchors', anchors: ['BTCUSDT', 'ETHUSDT'] }));
    const buf = new Float64Array(5);
    let compared = 0;
    for (let t = 0; t < 700; t++) {
      for (let s = 0; s < 5; s++) buf[s] = five[s][t];
      const full = new Map(all.step(t, buf).pairs.map((p) => [p.key, p]));
      for (const p of anchors.step(t, buf).pairs) {
        expect(p).toEqual(full.get(p.key));
        compared++;
      }
    }
    expect(compared).toBe(700 * 7);
  });

  it('more than 30 symbols need an explicit choice; anchors must name a configured symbol', () => {
    const many = Array.from({ length: 31 }, (_, i) => `S${i}USDT`);
    expect(correlationPairsProblem(many, cfg())?.key).toBe('pairs');
    expect(correlationPairsProblem(many, cfg({ pairs: 'all' }))).toBeNull();
    expect(correlationPairsProblem(syms.slice(0, 3), cfg())).toBeNull();
    expect(correlationPairsProblem(['XUSDT', 'YUSDT'], cfg({ pairs: 'anchors' }))?.message).toMatch(/none of BTCUSDT, ETHUSDT is among/);
    expect(() => parseConfig({ symbols: many })).toThrow(/config\.correlation\.pairs: 31 symbols: set "all" \(465 pairs\) or "anchors"/);
    expect(() => parseConfig({ symbols: ['XUSDT', 'YUSDT'], correlation: { pairs: 'anchors' } })).toThrow(/config\.correlation\.anchors: none of/);
    expect(() => parseConfig({ correlation: { pairs: 'some' } })).toThrow(/config\.correlation\.pairs: expected "all" or "anchors"/);
    expect(parseConfig({ symbols: many, correlation: { pairs: 'anchors', anchors: ['S3USDT'] } }).correlation.anchors).toEqual(['S3USDT']);
  });
});

describe('structure-of-arrays state against a two-pass Pearson, many symbols, every lag', () => {
  /** two-pass Pearson of x[t−lag−w+1 .. t−lag] against y[t−w+1 .. t]; NaN when incomplete or flat */
  function twoPassCorr(x: Float64Array, y: Float64Array, t: number, w: number, lag: number): number {
    if (t - lag - w + 1 < 1) return NaN;
    const xs = x.subarray(t - lag - w + 1, t - lag + 1);
    const ys = y.subarray(t - w + 1, t + 1);
    if (!xs.every(Number.isFinite) || !ys.every(Number.isFinite)) return NaN;
    const mx = xs.reduce((s, v) => s + v, 0) / w;
    const my = ys.reduce((s, v) => s + v, 0) / w;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < w; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
      syy += (ys[i] - my) ** 2;
    }
    return sxy / Math.sqrt(sxx * syy);
  }

  it('8 symbols with gaps, a trend, a volatility collapse and a flat stretch: every pair, lag-0 and the leader lag within 1e-9', () => {
    const n = 8;
    const hours = 1400;
    const names = Array.from({ length: n }, (_, i) => `S${i}USDT`);
    const closes = stressCloses(n, hours);
    const rets = closes.map((c) => Float64Array.from(c, (x, t) => (t === 0 ? NaN : Math.log(x / c[t - 1]))));
    const c = cfg({ window_hours: 48, pairs: 'all' });
    const det = new CorrelationDetector(names, c);
    const buf = new Float64Array(n);
    let compared = 0;
    let lagged = 0;
    let flat = 0;
    let broken = 0;
    /** pairs checked against the reference leader, by its verdict: b leads, neither, a leads */
    const led = [0, 0, 0];
    for (let t = 0; t < hours; t++) {
      for (let s = 0; s < n; s++) buf[s] = closes[s][t];
      const out = det.step(t, buf);
      const brokenNow = out.pairs.filter((p) => p.broken === true).length;
      expect(out.columns.brokenCount).toBe(brokenNow);
      broken += brokenNow;
      out.pairs.forEach((p, j) => {
        const [a, b] = det.pairIndices[j];
        const ref = twoPassCorr(rets[a], rets[b], t, 48, 0);
        if (p.status === 'flat_window') flat++;
        if (Number.isNaN(ref) || p.status === 'flat_window') {
          if (p.status !== 'flat_window') expect(p.corr).toBeNull();
          return;
        }
        if (!(Math.abs(p.corr! - ref) <= 1e-9)) throw new Error(`${p.key} hour ${t}: ${p.corr} vs ${ref}`);
        compared++;
        // the leader and its lag as leadDirection picks them from two-pass values (unless a near-tie lets rounding decide)
        const best = (x: Float64Array, y: Float64Array) => {
          let v = NaN;
          let lag = 0;
          let gap = Infinity;
          for (let k = 1; k <= c.max_lag_hours; k++) {
            const r = Math.abs(twoPassCorr(x, y, t, 48, k));
            if (Number.isNaN(r)) continue;
            if (!Number.isNaN(v)) gap = Math.min(gap, Math.abs(r - v));
            if (Number.isNaN(v) || r > v) [v, lag] = [r, k];
          }
          return { v, lag, gap };
        };
        const ab = best(rets[a], rets[b]);
        const ba = best(rets[b], rets[a]);
        const dir = leadDirection(ab.v, ba.v, c.leader_margin);
        const nearTie = Math.min(ab.gap, ba.gap, Math.abs(Math.abs(ab.v - ba.v) - c.leader_margin)) < 1e-9;
        if (!nearTie) {
          expect(p.leader).toBe(dir === 1 ? p.a : dir === -1 ? p.b : null);
          if (dir !== 0) expect(p.lag_hours).toBe(dir === 1 ? ab.lag : ba.lag);
          led[dir + 1]++;
        }
        if (p.leader === null) return;
        const lead = p.leader === p.a ? rets[a] : rets[b];
        const follow = p.leader === p.a ? rets[b] : rets[a];
        const lref = twoPassCorr(lead, follow, t, 48, p.lag_hours!);
        if (!(Math.abs(p.lead_strength! - lref) <= 1e-9)) throw new Error(`${p.key} hour ${t} lag ${p.lag_hours}: ${p.lead_strength} vs ${lref}`);
        lagged++;
      });
    }
    expect(compared).toBeGreaterThan(20_000);
    expect(lagged).toBeGreaterThan(1_000);
    expect(flat).toBeGreaterThan(1_000);
    expect(broken).toBeGreaterThan(0);
    for (const count of led) expect(count).toBeGreaterThan(1_000);
  });

  it('stays within 1e-9 over 30,000 hours while rebuilding each pair only every few thousand hours', () => {
    const hours = 30_000;
    const { closes, returns } = market(hours, 31, 2, 0.0005);
    const det = new CorrelationDetector(SYMS, cfg());
    const buf = new Float64Array(SYMS.length);
    let compared = 0;
    for (let t = 0; t < hours; t++) {
      for (let s = 0; s < SYMS.length; s++) buf[s] = closes[s][t];
      const out = det.step(t, buf);
      if (t % 97 !== 0) continue;
      out.pairs.forEach((p, j) => {
        const [a, b] = det.pairIndices[j];
        const ref = twoPassCorr(returns[a], returns[b], t, 168, 0);
        if (Number.isNaN(ref)) return expect(p.corr).toBeNull();
        if (!(Math.abs(p.corr! - ref) <= 1e-9)) throw new Error(`${p.key} hour ${t}: ${p.corr} vs ${ref}`);
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(700);
    // exact O(window) rebuilds: once when each pair's windows fill, after gaps, then every few thousand hours
    expect(det.rebuilds).toBeLessThan((hours / 1000) * det.pairIndices.length);
  });
});
