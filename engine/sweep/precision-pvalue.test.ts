// The exact precision p-value against the scorer's own permutation baseline, on SYNTHETIC random walks.
import { describe, expect, it } from 'vitest';
import { prepareMarket, scoreOnMarket } from '../score/index.ts';
import { FALSE_ALARM, TRUE_ALERT } from '../score/market.ts';
import { syntheticRandomWalk } from '../score/synthetic.ts';
import type { ScorableAlert } from '../score/types.ts';
import { PeriodScorer, type ScorableColumns } from './metrics.ts';
import { binomialPmf, binomialSumTail, PrecisionTest } from './precision-pvalue.ts';
import bundledCounts from './precision-pvalue.bundled-counts.json' with { type: 'json' };

const H = 3_600_000;
const symbols = ['AAA', 'BBB'];
const prices = [syntheticRandomWalk('AAA', 3000, 0.01, 11), syntheticRandomWalk('BBB', 3000, 0.02, 12)];

/** n alerts on a symbol's interior hours, `hits` of them at true-alert hours, the rest at false alarms */
function craft(market: ReturnType<typeof prepareMarket>, symbol: string, n: number, hits: number): ScorableAlert[] {
  const r = market.grid.bySymbol.get(symbol)!;
  const out: ScorableAlert[] = [];
  let h = 0;
  let f = 0;
  for (let i = 100; i < r.length - 100 && out.length < n; i += 7) {
    const truth = market.hourly[(r.offset + i) * market.stride];
    const take = (truth === TRUE_ALERT && h < hits && ++h) || (truth === FALSE_ALARM && f < n - hits && ++f);
    if (take) out.push({ id: `${symbol}${i}`, ts: r.firstTs + i * H, symbol, event_type: 'X', severity: 'INFO', source: 'synthetic' });
  }
  return out;
}

function columns(alerts: readonly ScorableAlert[]): ScorableColumns {
  return {
    n: alerts.length,
    ts: Float64Array.from(alerts, (a) => a.ts),
    symbol: Int32Array.from(alerts, (a) => symbols.indexOf(a.symbol)),
    type: new Uint8Array(alerts.length),
    dir: new Int8Array(alerts.length),
  };
}

describe('PrecisionTest', () => {
  const market = prepareMarket(prices, { permutations: 4000, seed: 3 });
  const test = new PrecisionTest(market, symbols, market.grid.start, market.grid.end);

  it('agrees with the permutation baseline of the scorer (the null it computes exactly)', () => {
    for (const [hitsA, hitsB] of [
      [14, 12],
      [20, 16],
      [9, 8],
    ]) {
      const alerts = [...craft(market, 'AAA', 40, hitsA), ...craft(market, 'BBB', 40, hitsB)];
      expect(alerts).toHaveLength(80);
      const exact = test.pValue(columns(alerts));
      const perm = scoreOnMarket(market, alerts).overall.baseline!.precision.p_value!;
      // 4,000 permutations: a standard error of at most 0.008. The permutations also redraw how many alerts can
      // be judged (2 % of hours cannot), the exact test keeps the observed 80: measured 0.241 vs 0.214 at 20,000
      // permutations for the first case, so the bound allows for that conditioning
      expect(Math.abs(exact - perm)).toBeLessThan(0.05);
      if (perm < 0.01) expect(exact).toBeLessThan(0.01);
    }
  });

  it('is 1 with nothing to judge, and falls as hits rise', () => {
    expect(test.pValue(columns([]))).toBe(1);
    const p = [8, 14, 20, 30].map((hits) => test.pValue(columns(craft(market, 'AAA', 40, hits))));
    for (let k = 1; k < p.length; k++) expect(p[k]).toBeLessThan(p[k - 1]);
    expect(p[3]).toBeLessThan(1e-6);
  });

  it('counts only alerts inside its period', () => {
    const alerts = craft(market, 'AAA', 40, 20);
    const none = new PrecisionTest(market, symbols, market.grid.start, alerts[0].ts);
    expect(none.pValue(columns(alerts))).toBe(1);
  });

  it('gives the same p-value from the counts the period scorer takes while placing the alerts (the sweep\'s path)', () => {
    // a period that cuts the alerts, an alert without a price (outside every range) and one on no symbol
    const from = market.grid.start + 600 * H;
    const to = market.grid.end - 900 * H;
    const scorer = new PeriodScorer(market, symbols, from, to);
    const part = new PrecisionTest(market, symbols, from, to);
    const counts = { judged: new Int32Array(2), hits: new Int32Array(2) };
    for (const [hitsA, hitsB] of [[14, 12], [30, 5], [0, 0]]) {
      const cols = columns([...craft(market, 'AAA', 40, hitsA), ...craft(market, 'BBB', 40, hitsB)].sort((a, b) => a.ts - b.ts));
      const extra = { ...cols, n: cols.n + 2, ts: Float64Array.of(...cols.ts, market.grid.end + 5000 * H, from), symbol: Int32Array.of(...cols.symbol, 0, -1), type: new Uint8Array(cols.n + 2), dir: new Int8Array(cols.n + 2) };
      const metrics = scorer.score(extra, counts);
      expect(counts.judged.reduce((a, b) => a + b, 0)).toBe(metrics.true_alerts! + metrics.false_alarms!);
      expect(counts.hits.reduce((a, b) => a + b, 0)).toBe(metrics.true_alerts);
      expect(Object.is(part.fromCounts(counts.judged, counts.hits), part.pValue(extra))).toBe(true);
      // the metrics do not depend on whether the counts were asked for
      expect(scorer.score(extra)).toEqual(metrics);
    }
  });
});

describe('binomialSumTail trimmed to ±14σ', () => {
  /** the untrimmed sum of binomials, convolved in full */
  function naiveTail(parts: { n: number; q: number }[], k: number): number {
    let pmf = [1];
    for (const { n, q } of parts) {
      const b = Array.from(binomialPmf(n, q));
      const out = new Array(pmf.length + b.length - 1).fill(0);
      pmf.forEach((x, i) => b.forEach((y, j) => (out[i + j] += x * y)));
      pmf = out;
    }
    let tail = 0;
    for (let j = pmf.length - 1; j >= k; j--) tail += pmf[j];
    return Math.min(1, tail);
  }

  it('equals the full convolution to 1e-9 relative across the range, tiny tails included', () => {
    const parts = [
      { n: 2500, q: 0.31 },
      { n: 1800, q: 0.27 },
      { n: 900, q: 0.35 },
    ];
    const mean = parts.reduce((a, p) => a + p.n * p.q, 0);
    for (const k of [0, 1, Math.round(mean) - 200, Math.round(mean) - 30, Math.round(mean), Math.round(mean) + 30, Math.round(mean) + 120, Math.round(mean) + 400, 5200]) {
      const want = naiveTail(parts, k);
      const got = binomialSumTail(parts, k);
      if (want === 0) expect(got).toBe(0);
      else expect(Math.abs(got - want) / want).toBeLessThan(1e-9);
    }
  });
});

describe('binomialSumTail keeps its bits', () => {
  // the textbook implementation the fast one replaced (a scatter convolution, exp on every entry), kept here as
  // the reference: the sweep's p-values must not move by a single bit
  function refPmf(n: number, q: number): Float64Array {
    const pmf = new Float64Array(n + 1);
    if (q <= 0) pmf[0] = 1;
    else if (q >= 1) pmf[n] = 1;
    else {
      const logOdds = Math.log(q / (1 - q));
      const log = new Float64Array(n + 1);
      log[0] = n * Math.log1p(-q);
      let max = log[0];
      for (let k = 0; k < n; k++) {
        log[k + 1] = log[k] + Math.log((n - k) / (k + 1)) + logOdds;
        if (log[k + 1] > max) max = log[k + 1];
      }
      let sum = 0;
      for (let k = 0; k <= n; k++) sum += pmf[k] = Math.exp(log[k] - max);
      for (let k = 0; k <= n; k++) pmf[k] /= sum;
    }
    return pmf;
  }
  function refConvolve(a: Float64Array, b: Float64Array): Float64Array {
    const out = new Float64Array(a.length + b.length - 1);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if (x === 0) continue;
      for (let j = 0; j < b.length; j++) out[i + j] += x * b[j];
    }
    return out;
  }
  function refSupport(a: Float64Array, trim: number): [number, number] {
    let max = 0;
    for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi && !(a[lo] > max * trim)) lo++;
    while (hi > lo && !(a[hi] > max * trim)) hi--;
    return [lo, hi];
  }
  /** the distribution of the sum, trimmed as the reference trims it, and the sum its first entry stands for */
  function refDistribution(parts: readonly { n: number; q: number }[], trim: number) {
    let pmf: Float64Array = Float64Array.of(1);
    let offset = 0;
    for (const { n, q } of parts) {
      if (n <= 0) continue;
      const b = refPmf(n, q);
      const [lo, hi] = refSupport(b, trim);
      pmf = refConvolve(pmf, b.subarray(lo, hi + 1));
      offset += lo;
      const [plo, phi] = refSupport(pmf, trim);
      pmf = pmf.slice(plo, phi + 1);
      offset += plo;
    }
    return { pmf, offset };
  }
  function refTail({ pmf, offset }: { pmf: Float64Array; offset: number }, k: number): number {
    let tail = 0;
    for (let j = pmf.length - 1; j >= 0 && j + offset >= k; j--) tail += pmf[j];
    return Math.min(1, tail);
  }
  /** the reference P(sum ≥ k) as a function of k: the distributions convolved once per set of parts */
  const ref = (parts: { n: number; q: number }[]) => {
    const trimmed = refDistribution(parts, 1e-40);
    let exact: ReturnType<typeof refDistribution> | undefined;
    return (k: number) => {
      if (k <= 0) return 1;
      const fast = refTail(trimmed, k);
      return fast >= 1e-25 ? fast : refTail((exact ??= refDistribution(parts, 0)), k);
    };
  };

  it('equals the scatter convolution bit for bit: sizes odd and even, one to four symbols, tails far and near (seeded)', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let c = 0; c < 60; c++) {
      const parts = Array.from({ length: 1 + (c % 4) }, () => ({ n: Math.floor(rnd() * (rnd() < 0.3 ? 12 : 2500)), q: c === 5 ? 0 : rnd() }));
      const mean = parts.reduce((a, p) => a + p.n * p.q, 0);
      const want = ref(parts);
      for (const k of [1, Math.round(mean * 0.8), Math.round(mean), Math.round(mean * 1.1) + 3, Math.round(mean * 1.5) + 10]) {
        expect(Object.is(binomialSumTail(parts, k), want(k)), `${JSON.stringify(parts)} k=${k}`).toBe(true);
      }
      for (const p of parts) expect(binomialPmf(p.n, p.q)).toEqual(refPmf(p.n, p.q));
    }
  });

  const seeded = (seed: number) => () => (seed = (seed * 16807) % 2147483647) / 2147483647;

  it('equals it bit for bit in the sweep\'s regime: three symbols of hundreds to thousands of alerts, p from 1 to below the exact fallback', () => {
    const rnd = seeded(11);
    for (let c = 0; c < 24; c++) {
      const parts = Array.from({ length: 3 }, () => ({ n: 200 + Math.floor(rnd() * 2800), q: 0.3 + rnd() * 0.12 }));
      const mean = parts.reduce((a, p) => a + p.n * p.q, 0);
      const sd = Math.sqrt(parts.reduce((a, p) => a + p.n * p.q * (1 - p.q), 0));
      const want = ref(parts);
      for (const z of [-14, -11, -9, -8.5, -7, -5, -3, -1, 0, 1, 3, 6, 9, 12, 16, (rnd() - 0.5) * 24]) {
        const k = Math.round(mean + z * sd);
        expect(Object.is(binomialSumTail(parts, k), want(k)), `${JSON.stringify(parts)} k=${k}`).toBe(true);
      }
    }
  });

  it('equals it bit for bit with symbols that have nothing to judge first, between and last, one symbol alone, certain and extreme rates', () => {
    const cases: { n: number; q: number }[][] = [
      [{ n: 0, q: 0.3 }, { n: 900, q: 0.35 }, { n: 0, q: 0.4 }, { n: 700, q: 0.38 }, { n: 0, q: 0.2 }],
      [{ n: 0, q: 0.3 }, { n: 1500, q: 0.37 }, { n: 0, q: 0.4 }],
      [{ n: 40, q: 0 }, { n: 300, q: 0.36 }, { n: 25, q: 1 }],
      [{ n: 12, q: 1 }],
      [{ n: 3, q: 0.5 }, { n: 2, q: 0.25 }],
      [{ n: 0, q: 0.3 }, { n: 0, q: 0.4 }],
      // modes at or next to either end: tails that only fall, or only rise
      [{ n: 3000, q: 0.0004 }, { n: 2000, q: 0.9993 }, { n: 5000, q: 0.02 }],
      [{ n: 4000, q: 0.997 }, { n: 60, q: 0.01 }],
    ];
    for (const parts of cases) {
      const top = parts.reduce((a, p) => a + p.n, 0);
      const want = ref(parts);
      for (const k of [1, 2, 5, Math.round(top * 0.3), Math.round(top * 0.37), Math.round(top * 0.45), top - 1, top, top + 1]) {
        expect(Object.is(binomialSumTail(parts, k), want(k)), `${JSON.stringify(parts)} k=${k}`).toBe(true);
      }
    }
  });

  it('equals it bit for bit on the bench sweep\'s counts from the bundled data', () => {
    // every tenth of the first 1,000 configurations of engine/sweep/bench.ts's BENCH_SPEC on the bundled history, as
    // the sweep counts them: both periods' per-symbol rates, and per configuration the judged alerts of each
    // symbol and the true alerts among them
    for (const { rates, counts } of bundledCounts.periods) {
      for (const row of counts) {
        const parts = rates.map((q, s) => ({ n: row[s], q }));
        const k = row[rates.length];
        expect(Object.is(binomialSumTail(parts, k), ref(parts)(k)), `${JSON.stringify(parts)} k=${k}`).toBe(true);
      }
    }
  });
});
