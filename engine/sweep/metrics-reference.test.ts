// PeriodScorer against its previous implementation (kept below with the reference evaluator), bit for bit: on
// SYNTHETIC gappy walks with made-up alert columns (unaligned, outside the period, unknown symbols, a symbol
// without prices in the period, ascending or not), and on the bundled data with the alerts of the bench spec's
// configurations scored on its train and holdout markets, as a sweep does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { EVENT_TYPES } from '../pipeline/alerts.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { parseConfig } from '../pipeline/config.ts';
import { loadReplayData, type ReplayData } from '../replay/replay-data.ts';
import { ReferenceEvaluator } from '../score/evaluator-reference.ts';
import type { SymbolRange } from '../score/grid.ts';
import { FALSE_ALARM, TRUE_ALERT, prepareMarket, type Market } from '../score/market.ts';
import { Mulberry32 } from '../score/prng.ts';
import { median, ratio, toPlain } from '../score/stats.ts';
import { syntheticRandomWalk } from '../score/synthetic.ts';
import type { PriceSeries } from '../score/types.ts';
import { lowerBound } from '../sorted-search.ts';
import { BENCH_SPEC } from './bench.ts';
import { ColumnarEvaluator } from './evaluate.ts';
import { applyParams, randomVariants } from './expand.ts';
import { computeFeatures } from './features.ts';
import { planEvaluation } from './keys.ts';
import { REACH_SATURATED } from '../score/draw-table.ts';
import { compactLayout } from '../score/evaluator.ts';
import { PeriodScorer, returnMetric, scorableColumns, typeCountMetric, type PeriodMetrics, type ScorableColumns } from './metrics.ts';
import { parseSweepSpec } from './spec.ts';
import { periodsOf, resolveFrame } from './sweep.ts';

const DAY_MS = 24 * HOUR_MS;

const NO_PRICE = 0;
const JUDGED_TRUE = 1;
const JUDGED_FALSE = 2;
const NOT_JUDGED = 3;

/** PeriodScorer's verdict per grid hour: an hour without a close anchors no alert, else its precision truth */
function verdicts(market: Market): Uint8Array {
  const { hourly, stride } = market;
  const close = market.grid.close;
  const out = new Uint8Array(close.length);
  for (let g = 0; g < close.length; g++) {
    const c = close[g];
    if (c !== c) continue;
    const truth = hourly[g * stride];
    out[g] = truth === TRUE_ALERT ? JUDGED_TRUE : truth === FALSE_ALARM ? JUDGED_FALSE : NOT_JUDGED;
  }
  return out;
}

/** a market for one period, with what every evaluation needs looked up once */
class ReferenceScorer {
  readonly market: Market;
  /** alerts with from <= ts < to belong to the period */
  readonly from: number;
  readonly to: number;
  private readonly evaluator: ReferenceEvaluator;
  /** per symbol index: its grid range as numbers (length -1: the symbol has no prices in the period) */
  private readonly firstTs: Float64Array;
  private readonly length: Float64Array;
  private readonly offset: Float64Array;
  /** per symbol index: its block in name order; the blocks' start offsets (scratch) */
  private readonly blockOf: Int32Array;
  private readonly blockStart: Int32Array;
  private readonly typeCounts = new Int32Array(EVENT_TYPES.length);
  private readonly days: number;
  private readonly out: Float64Array;
  /** lead hours are whole hours in 0 .. lead_window_hours: their median is read from a histogram */
  private readonly leadCounts: Int32Array;
  private pos = new Int32Array(1024);
  private dir = new Int8Array(1024);
  /** per alert of the last score(): its grid index, -1 outside the period or unanchored */
  private grid = new Int32Array(1024);
  /**
   * per grid hour, what placing an alert there means: NO_PRICE (unanchored), else its precision truth (JUDGED_TRUE,
   * JUDGED_FALSE or NOT_JUDGED). One byte per hour instead of a close and a truth 40 bytes apart in the market's
   * tables: the alerts' placement reads a table that stays in cache instead of two cache misses per alert
   */
  private readonly verdict: Uint8Array;

  constructor(market: Market, symbols: readonly string[], from: number, to: number) {
    this.market = market;
    this.from = from;
    this.to = to;
    this.evaluator = new ReferenceEvaluator(market);
    const ranges: (SymbolRange | undefined)[] = symbols.map((s) => market.grid.bySymbol.get(s));
    this.firstTs = Float64Array.from(ranges, (r) => r?.firstTs ?? 0);
    this.length = Float64Array.from(ranges, (r) => r?.length ?? -1);
    this.offset = Float64Array.from(ranges, (r) => r?.offset ?? 0);
    const byName = [...symbols].sort();
    this.blockOf = Int32Array.from(symbols, (s) => byName.indexOf(s));
    this.blockStart = new Int32Array(symbols.length + 1);
    this.days = (market.grid.end - market.grid.start) / DAY_MS;
    this.out = new Float64Array(this.evaluator.specs.length);
    this.leadCounts = new Int32Array(market.options.lead_window_hours + 1);
    this.verdict = verdicts(market);
  }

  /**
   * the period's metrics; with `counts`, also each symbol's judged alerts (true alerts and false alarms) and true
   * alerts, what PrecisionTest.fromCounts needs, counted here instead of in a pass of their own
   */
  score(alerts: ScorableColumns, counts?: { judged: Int32Array; hits: Int32Array }): PeriodMetrics {
    if (this.pos.length < alerts.n) {
      this.pos = new Int32Array(alerts.n);
      this.dir = new Int8Array(alerts.n);
      this.grid = new Int32Array(alerts.n);
    }
    const typeCounts = this.typeCounts.fill(0);
    if (counts) {
      counts.judged.fill(0);
      counts.hits.fill(0);
    }
    const { firstTs, length, offset, blockOf, from, to, verdict } = this;
    // grouped by symbol name, in alert order within a symbol, as scoreOnMarket places them: sums add up in
    // the same order and agree to the last bit
    const blocks = this.blockStart.fill(0);
    const grid = this.grid;
    const ats = alerts.ts;
    const asym = alerts.symbol;
    const atype = alerts.type;
    // ascending: only the period's run of alerts is looked at; the test below still decides for each
    const first = alerts.ascending ? lowerBound(ats, from, alerts.n) : 0;
    const end = alerts.ascending ? lowerBound(ats, to, alerts.n) : alerts.n;
    let n = 0;
    for (let k = first; k < end; k++) {
      const ts = ats[k];
      grid[k] = -1;
      if (ts < from || ts >= to) continue;
      n++;
      typeCounts[atype[k]]++;
      const s = asym[k];
      if (s < 0) continue;
      // the hour's grid index; unanchored (no price there): -1
      const i = (ts - firstTs[s]) / HOUR_MS;
      if (!(i >= 0 && i < length[s])) continue;
      const g = offset[s] + i;
      const v = verdict[g];
      if (v === NO_PRICE) continue;
      grid[k] = g;
      blocks[blockOf[s] + 1]++;
      if (counts) {
        if (v === JUDGED_TRUE) {
          counts.judged[s]++;
          counts.hits[s]++;
        } else if (v === JUDGED_FALSE) counts.judged[s]++;
      }
    }
    for (let b = 0; b + 1 < blocks.length; b++) blocks[b + 1] += blocks[b];
    const anchored = blocks[blocks.length - 1];
    const pos = this.pos;
    const dir = this.dir;
    const adir = alerts.dir;
    for (let k = first; k < end; k++) {
      const g = grid[k];
      if (g >= 0) {
        const at = blocks[blockOf[asym[k]]]++;
        pos[at] = g;
        dir[at] = adir[k];
      }
    }
    const alertsCount = n;
    const e = this.evaluator;
    const o = this.market.options;
    const episodes = this.market.labels.epStart.length;
    const weeks = this.days / 7;
    e.evaluate(pos, dir, anchored, { episodes, weeks }, this.out);
    const precision = ratio(e.trueAlerts, e.trueAlerts + e.falseAlarms);
    const recall = ratio(e.detected, episodes);
    const m: PeriodMetrics = {
      alerts: alertsCount,
      alerts_per_day: ratio(alertsCount, this.days),
      true_alerts: e.trueAlerts,
      false_alarms: e.falseAlarms,
      precision,
      episodes,
      detected: e.detected,
      recall,
      f1: precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null,
      nab: Number.isFinite(this.out[2]) ? this.out[2] : null,
      false_alarms_per_week: ratio(e.falseAlarms, weeks),
      median_lead_hours: this.medianLead(e.leadHours()),
    };
    o.horizons_hours.forEach((h, k) => (m[returnMetric(h)] = this.out[4 + k * 3]));
    EVENT_TYPES.forEach((t, i) => (m[typeCountMetric(t)] = typeCounts[i]));
    return toPlain(m);
  }

  /** median() of whole lead hours by counting them (the same value: the middle one, or the mean of the middle two) */
  private medianLead(leads: readonly number[]): number | null {
    const counts = this.leadCounts.fill(0);
    const top = counts.length - 1;
    for (const x of leads) {
      if (!(Number.isInteger(x) && x >= 0 && x <= top)) return median(leads);
      counts[x]++;
    }
    const n = leads.length;
    if (n === 0) return null;
    // the values of ranks lo and hi (0-based, ascending): the same entry for an odd count
    const lo = (n - 1) >> 1;
    const hi = n >> 1;
    let seen = 0;
    let a = -1;
    for (let v = 0; v <= top; v++) {
      seen += counts[v];
      if (a < 0 && seen > lo) a = v;
      if (seen > hi) return a === v ? v : (a + v) / 2;
    }
    return median(leads);
  }
}

type Counts = { judged: Int32Array; hits: Int32Array };

/** both scorers on the same columns: metrics and per-symbol counts alike, to the bit (-0 and NaN included) */
function expectSameScores(fast: PeriodScorer, plain: ReferenceScorer, cols: ScorableColumns, symbols: number): PeriodMetrics {
  const counts = (): Counts => ({ judged: new Int32Array(symbols).fill(-7), hits: new Int32Array(symbols).fill(-7) });
  const [got, want] = [counts(), counts()];
  const metrics = fast.score(cols, got);
  expect(metrics).toStrictEqual(plain.score(cols, want));
  expect([got.judged, got.hits]).toStrictEqual([want.judged, want.hits]);
  // without counts: the same metrics
  expect(fast.score(cols)).toStrictEqual(metrics);
  return metrics;
}

function withGaps(series: PriceSeries, gap: (h: number) => boolean): PriceSeries {
  const keep = Array.from(series.ts, (_, i) => i).filter((i) => !gap(i));
  return { symbol: series.symbol, ts: Float64Array.from(keep, (i) => series.ts[i]), close: Float64Array.from(keep, (i) => series.close[i]) };
}

describe('PeriodScorer ≡ its previous implementation on SYNTHETIC markets', () => {
  const prices = [
    withGaps(syntheticRandomWalk('BBB', 5000, 0.012, 51), (h) => h % 331 === 3 || (h > 1200 && h < 1240)),
    withGaps(syntheticRandomWalk('AAA', 3000, 0.02, 52), (h) => h % 89 === 0),
    // starts late: no prices in the early periods
    { ...syntheticRandomWalk('CCC', 1500, 0.006, 53), ts: syntheticRandomWalk('CCC', 1500, 0.006, 53).ts.map((t) => t + 3000 * HOUR_MS) },
  ];
  // a symbol the market does not know, and names out of grid order: blocks by name are not the grid's order
  const symbols = ['BBB', 'AAA', 'CCC', 'ZZZ'];
  const t0 = prices[0].ts[0];
  const end = t0 + 5000 * HOUR_MS;

  /** SYNTHETIC alert columns: hour-aligned mostly, some between hours (unless wholeHours), some before or after the data */
  function columns(random: Mulberry32, n: number, ascending: boolean, wholeHours: boolean): ScorableColumns {
    const ts = Float64Array.from({ length: n }, () => {
      const u = random.next();
      const hour = Math.floor(random.next() * 5400) - 200;
      const offset = u < 0.03 ? Math.floor(random.next() * HOUR_MS) : 0;
      return t0 + hour * HOUR_MS + (wholeHours ? 0 : offset);
    });
    if (ascending) ts.sort();
    return {
      n,
      ts,
      symbol: Int32Array.from({ length: n }, () => (random.next() < 0.03 ? -1 : Math.floor(random.next() * symbols.length))),
      type: Uint8Array.from({ length: n }, () => Math.floor(random.next() * EVENT_TYPES.length)),
      dir: Int8Array.from({ length: n }, () => Math.floor(random.next() * 3) - 1),
      ascending: ascending || undefined,
    };
  }

  // lead 6000 h: alerts that reach dozens of episodes each. Its alerts are whole hours, as a sweep's: one between two
  // hours, over an hour without a price and labelled a true alert there, is placed at that hour by both but judged
  // only by the reference, which reads the market's own truths (it takes a lead this long for such an hour to be
  // labelled)
  for (const options of [{ lead_window_hours: 24, horizons_hours: [1, 4, 24, 72] }, { lead_window_hours: 3, horizons_hours: [1, 5, 48] }, { lead_window_hours: 0, horizons_hours: [2] }, { lead_window_hours: 6000, horizons_hours: [1] }]) {
    it(`scores every alert set as before (lead ${options.lead_window_hours} h, horizons ${options.horizons_hours.join(' ')})`, () => {
      const market: Market = prepareMarket(prices, { ...options, permutations: 0 });
      const random = new Mulberry32(options.lead_window_hours + 7);
      const periods = [[-Infinity, Infinity], [t0, t0 + 2000 * HOUR_MS], [t0 + 2000 * HOUR_MS, end], [t0 + 777.5 * HOUR_MS, t0 + 4321 * HOUR_MS]];
      const scorers = periods.map(([from, to]) => [new PeriodScorer(market, symbols, from, to), new ReferenceScorer(market, symbols, from, to)] as const);
      let detected = 0;
      // one scorer per period over many alert sets, small and large: nothing of one set may leak into the next
      for (const n of [0, 1, 5, 40, 700, 4000, 30, 2500]) {
        for (const ascending of [true, false]) {
          const cols = columns(random, n, ascending, options.lead_window_hours > 24);
          for (const [fast, plain] of scorers) detected += Number(expectSameScores(fast, plain, cols, symbols.length).detected);
          // whole hours given as hours from a base, as the sweep's evaluator gives them (PeriodScorer's integer path)
          const whole = columns(random, n, ascending, true);
          const base = t0 - 500 * HOUR_MS;
          const withHours: ScorableColumns = { ...whole, hour: Int32Array.from(whole.ts, (t) => (t - base) / HOUR_MS), hourBase: base };
          for (const [fast, plain] of scorers) expect(fast.score(whole)).toStrictEqual(expectSameScores(fast, plain, withHours, symbols.length));
        }
      }
      expect(detected).toBeGreaterThan(0);
    });
  }
  it('counts every episode an alert reaches, past the reach an info record holds (lead 6000 h)', () => {
    // a lead window as long as the walk: its first third reaches more episodes than an info record counts (REACH_SATURATED)
    const market: Market = prepareMarket([syntheticRandomWalk('AAA', 6000, 0.02, 52)], { lead_window_hours: 6000, horizons_hours: [1], permutations: 0 });
    const { info } = compactLayout(market);
    const scorer = new PeriodScorer(market, ['AAA'], -Infinity, Infinity);
    const reference = new ReferenceScorer(market, ['AAA'], -Infinity, Infinity);
    const range = market.grid.symbols[0];
    let saturated = 0;
    // one alert alone at each hour whose record is saturated: it detects every episode it reaches
    for (let i = 0; i < range.length; i += 37) {
      const g = range.offset + i;
      if (((info[g] >> 2) & REACH_SATURATED) !== REACH_SATURATED) continue;
      saturated++;
      const cols: ScorableColumns = { n: 1, ts: Float64Array.of(range.firstTs + i * HOUR_MS), symbol: Int32Array.of(0), type: Uint8Array.of(0), dir: Int8Array.of(1) };
      expect(expectSameScores(scorer, reference, cols, 1).detected).toBeGreaterThanOrEqual(REACH_SATURATED);
    }
    expect(saturated).toBeGreaterThan(10);
  });
});

describe('PeriodScorer ≡ its previous implementation on the bundled data', () => {
  let store: Store;
  let data: ReplayData;
  beforeAll(async () => {
    store = await openStore();
    data = await loadReplayData(store, [...parseSweepSpec(BENCH_SPEC).baseConfig.symbols]);
  });
  afterAll(() => store.close());

  it("scores the bench spec's configurations on its train and holdout markets as before", () => {
    const spec = parseSweepSpec(BENCH_SPEC);
    const frame = resolveFrame(spec, data);
    const periods = periodsOf(frame, data, spec);
    const configs = [...randomVariants(spec.random!)].slice(0, 40).map((p) => parseConfig(applyParams(spec.base, p)));
    const plan = planEvaluation(configs[0]);
    const features = computeFeatures(data, plan.featureConfig, plan.featureKey);
    const evaluator = new ColumnarEvaluator(features);
    const scorers = periods.map((p) => [new PeriodScorer(p.market, data.symbols, p.from, p.to), new ReferenceScorer(p.market, data.symbols, p.from, p.to)] as const);
    let scorable: ScorableColumns | undefined;
    let alerts = 0;
    for (const config of configs) {
      scorable = scorableColumns(features, evaluator.evaluate(config, { from: frame.emitFrom, until: frame.emitUntil }, true), scorable);
      for (const [fast, plain] of scorers) alerts += Number(expectSameScores(fast, plain, scorable, data.symbols.length).alerts);
    }
    expect(alerts).toBeGreaterThan(40 * 1000);
  });
});
