import { describe, expect, it } from 'vitest';
import { CorrelationConfig, CorrelationDetector, isCorrelationBreak, leadDirection, pairKey, type CorrelationOutput } from './correlation.ts';
import { naive, seededGaussian, seededRandom } from './synthetic.ts';

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

function run(closes: Float64Array[], c = cfg()): CorrelationOutput[] {
  const d = new CorrelationDetector(SYMS, c);
  const buf = new Float64Array(SYMS.length);
  const outs: CorrelationOutput[] = [];
  for (let t = 0; t < closes[0].length; t++) {
    for (let s = 0; s < SYMS.length; s++) buf[s] = closes[s][t];
    outs.push(d.step(t, buf));
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

  it('is causal', () => {
    const { closes } = market(1100, 4, 1, 0.001);
    const a = run(closes);
    const tampered = closes.map((c) => c.map((x, t) => (t >= 1000 ? x * (1 + (t % 3)) : x)));
    expect(run(tampered).slice(0, 1000)).toEqual(a.slice(0, 1000));
  });
});
