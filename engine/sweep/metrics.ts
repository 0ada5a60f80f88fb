/**
 * The headline numbers of one configuration on one period (train or holdout), straight from engine/score's
 * AlertSetEvaluator on a market prepared once: the same definitions and rounding as scoreOnMarket's overall
 * row (checked in evaluate.test.ts), without the breakdowns, event study and random baseline that make a
 * full scorecard ~100× slower. The sweep's best configuration gets the full scorecard afterwards.
 */
import { EVENT_TYPES, type Alert } from '../pipeline/alerts.ts';
import { toScorable } from '../replay/score-alerts.ts';
import { laggingSide } from '../pipeline/rule-definitions.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { AlertSetEvaluator, compactLayout, INFO_UNPRICED, nabScore, type CompactLayout } from '../score/evaluator.ts';
import { REACH_SATURATED, TRUTH_FALSE, TRUTH_TRUE } from '../score/draw-table.ts';
import type { SymbolRange } from '../score/grid.ts';
import type { Market } from '../score/market.ts';
import { ratio, toPlain } from '../score/stats.ts';
import type { AlertColumns } from './evaluate.ts';
import type { FeatureSet } from './features.ts';
import { lowerBound } from '../sorted-search.ts';

const DAY_MS = 24 * HOUR_MS;

/** the metrics kept per configuration and period; `better` drives selection and the Pareto fronts */
export const METRICS = {
  alerts: { better: null },
  alerts_per_day: { better: null },
  true_alerts: { better: null },
  false_alarms: { better: null },
  precision: { better: 'higher' },
  episodes: { better: null },
  detected: { better: null },
  recall: { better: 'higher' },
  f1: { better: 'higher' },
  nab: { better: 'higher' },
  false_alarms_per_week: { better: 'lower' },
  median_lead_hours: { better: 'higher' },
} as const satisfies Record<string, { better: 'higher' | 'lower' | null }>;

export type BaseMetric = keyof typeof METRICS;

/** forward-return metric per scorer horizon */
export function returnMetric(h: number): string {
  return `mean_abs_return_${h}h`;
}

export function typeCountMetric(type: string): string {
  return `n_${type.toLowerCase()}`;
}

export function metricNames(horizons: readonly number[]): string[] {
  return [...Object.keys(METRICS), ...horizons.map(returnMetric), ...EVENT_TYPES.map(typeCountMetric)];
}

/** one spelling per metric everywhere the console names it */
export function metricLabel(name: string): string {
  return name === 'nab' ? 'NAB' : name;
}

export function metricBetter(name: string): 'higher' | 'lower' | null {
  if (name in METRICS) return METRICS[name as BaseMetric].better;
  return name.startsWith('mean_abs_return_') ? 'higher' : null;
}

export type PeriodMetrics = Record<string, number | null>;

/** alerts as the scorer sees them: hour, the symbol index it is scored on, event type index */
export interface ScorableColumns {
  n: number;
  ts: Float64Array;
  symbol: Int32Array;
  type: Uint8Array;
  /** +1, −1, 0 (none) */
  dir: Int8Array;
  /** ts never decreases (the evaluator's alerts): a period's alerts are then one run, found by binary search */
  ascending?: boolean;
  /** ts as whole hours after hourBase (the evaluator's alerts): the grid index without a division per alert */
  hour?: Int32Array;
  hourBase?: number;
}

/**
 * a pair alert is scored on the symbol the leader is expected to move (the second when none leads), as toScorable
 * does. With `reuse` (an earlier result the caller is done with), its arrays are written again where long enough.
 */
export function scorableColumns(fs: FeatureSet, cols: AlertColumns, reuse?: ScorableColumns): ScorableColumns {
  const nSym = fs.symbols.length;
  const fits = reuse !== undefined && reuse.ts.length >= cols.n;
  // a reused result grows with headroom: the next configuration's alerts are seldom many more
  const size = reuse === undefined ? cols.n : cols.n + (cols.n >> 2);
  const ts = fits ? reuse.ts : new Float64Array(size);
  const symbols = fits ? reuse.symbol : new Int32Array(size);
  const out: ScorableColumns = { n: cols.n, ts, symbol: symbols, type: cols.type, dir: cols.direction, ascending: true, hour: cols.hour, hourBase: fs.firstHour };
  for (let k = 0; k < cols.n; k++) {
    out.ts[k] = fs.firstHour + cols.hour[k] * HOUR_MS;
    let symbol = cols.slot[k];
    if (symbol >= nSym) {
      const p = fs.pairs[symbol - nSym];
      symbol = laggingSide(p.leader[cols.hour[k]]) === 'a' ? p.a : p.b;
    }
    out.symbol[k] = symbol;
  }
  return out;
}

/**
 * the anchored alerts' grid indices into `pos`, grouped by symbol block in alert order (blocks: each block's count at
 * its index + 1, turned into start offsets here); returns how many
 */
function placeBySymbol(grid: Int32Array, symbol: Int32Array, blockOf: Int32Array, blocks: Int32Array, first: number, end: number, pos: Int32Array): number {
  for (let b = 0; b + 1 < blocks.length; b++) blocks[b + 1] += blocks[b];
  const anchored = blocks[blocks.length - 1];
  for (let k = first; k < end; k++) {
    const g = grid[k];
    if (g >= 0) pos[blocks[blockOf[symbol[k]]]++] = g;
  }
  return anchored;
}

/**
 * an alert at grid hour g marked in the episodes after its first one in reach, e0 + 1 … (reach of an info record:
 * REACH_SATURATED means as many as start within the lead window). Rare: its own function, out of locate's loop
 */
function markLater(marks: Int32Array, e0: number, reach: number, epStart: Int32Array, g: number, lead: number): void {
  const episodes = epStart.length;
  const end = reach === REACH_SATURATED ? episodes : e0 + reach;
  for (let e = e0 + 1; e < end && epStart[e] <= g + lead; e++) if (g < marks[e]) marks[e] = g;
}

/** the same from Pipeline alerts (the replay fallback) */
export function scorableFromAlerts(symbols: readonly string[], alerts: readonly Alert[]): ScorableColumns {
  const index = new Map(symbols.map((s, i) => [s, i]));
  const out: ScorableColumns = {
    n: alerts.length,
    ts: new Float64Array(alerts.length),
    symbol: new Int32Array(alerts.length),
    type: new Uint8Array(alerts.length),
    dir: new Int8Array(alerts.length),
  };
  alerts.forEach((a, k) => {
    const s = toScorable(a);
    out.ts[k] = s.ts;
    out.symbol[k] = index.get(s.symbol) ?? -1;
    out.type[k] = EVENT_TYPES.indexOf(a.event_type);
    out.dir[k] = a.direction ?? 0;
  });
  return out;
}

/** a metric's number as toPlain leaves it, NaN for its null (null, NaN, ±Infinity) */
function plainNumber(v: number | null): number {
  const p = toPlain(v);
  return p === null ? NaN : p;
}

/** a market for one period, with what every evaluation needs looked up once */
export class PeriodScorer {
  readonly market: Market;
  /** alerts with from <= ts < to belong to the period */
  readonly from: number;
  readonly to: number;
  private readonly evaluator: AlertSetEvaluator;
  /** per symbol index: its grid range as numbers (length -1: the symbol has no prices in the period) */
  private readonly firstTs: Float64Array;
  /** scratch: per symbol, the grid hour of an alert's hour 0 (score(): alerts with whole hours) */
  private readonly hourShift: Float64Array;
  private readonly length: Float64Array;
  private readonly offset: Float64Array;
  /** per symbol index: its block in name order; the blocks' start offsets (scratch) */
  private readonly blockOf: Int32Array;
  private readonly blockStart: Int32Array;
  private readonly typeCounts = new Int32Array(EVENT_TYPES.length);
  /** the metrics' names in scoreInto's order (metricNames), and score()'s row */
  private readonly names: readonly string[];
  private row: Float64Array | null = null;
  private readonly days: number;
  /** the last evaluation's mean |return| per horizon (AlertSetEvaluator.absReturnsCounted) */
  private readonly out: Float64Array;
  /** lead hours are whole hours in 0 .. lead_window_hours: their median is read from a histogram */
  private readonly leadCounts: Int32Array;
  private pos = new Int32Array(1024);
  /** per alert of the last score(): its grid index, -1 outside the period or unanchored */
  private grid = new Int32Array(1024);
  /** per grid hour, its info record (CompactLayout.info: its truth or unpriced, the episodes it reaches) */
  private readonly info: Int32Array;
  /** the period's true alerts and false alarms, counted by locate() */
  private readonly truthCounts = new Int32Array(2);

  /** layout: the market's compactLayout when the caller has it (a sweep makes it once, in memory its workers share) */
  constructor(market: Market, symbols: readonly string[], from: number, to: number, layout: CompactLayout = compactLayout(market)) {
    this.market = market;
    this.from = from;
    this.to = to;
    this.evaluator = new AlertSetEvaluator(market, layout);
    this.info = layout.info;
    const ranges: (SymbolRange | undefined)[] = symbols.map((s) => market.grid.bySymbol.get(s));
    this.firstTs = Float64Array.from(ranges, (r) => r?.firstTs ?? 0);
    this.hourShift = new Float64Array(symbols.length);
    this.length = Float64Array.from(ranges, (r) => r?.length ?? -1);
    this.offset = Float64Array.from(ranges, (r) => r?.offset ?? 0);
    const byName = [...symbols].sort();
    this.blockOf = Int32Array.from(symbols, (s) => byName.indexOf(s));
    this.blockStart = new Int32Array(symbols.length + 1);
    this.days = (market.grid.end - market.grid.start) / DAY_MS;
    this.out = new Float64Array(market.options.horizons_hours.length);
    this.leadCounts = new Int32Array(market.options.lead_window_hours + 1);
    this.names = metricNames(market.options.horizons_hours);
  }

  /**
   * the period's metrics; with `counts`, also each symbol's judged alerts (true alerts and false alarms) and true
   * alerts, what PrecisionTest.fromCounts needs, counted here instead of in a pass of their own
   */
  score(alerts: ScorableColumns, counts?: { judged: Int32Array; hits: Int32Array }): PeriodMetrics {
    const row = (this.row ??= new Float64Array(this.names.length));
    this.scoreInto(alerts, counts, row, 0);
    const m: PeriodMetrics = {};
    for (let i = 0; i < row.length; i++) m[this.names[i]] = row[i] === row[i] ? row[i] : null;
    return m;
  }

  /**
   * score() as numbers, in metricNames order from row[at] on, NaN for null: a sweep's worker keeps one row of numbers
   * per configuration, and building the metrics' object to read it back cost more than some of the metrics
   */
  scoreInto(alerts: ScorableColumns, counts: { judged: Int32Array; hits: Int32Array } | undefined, row: Float64Array, at: number): void {
    if (this.pos.length < alerts.n) {
      this.pos = new Int32Array(alerts.n);
      this.grid = new Int32Array(alerts.n);
    }
    const typeCounts = this.typeCounts.fill(0);
    if (counts) {
      counts.judged.fill(0);
      counts.hits.fill(0);
    }
    // grouped by symbol name, in alert order within a symbol, as scoreOnMarket places them: sums add up in
    // the same order and agree to the last bit
    const blocks = this.blockStart.fill(0);
    // ascending: only the period's run of alerts is looked at; the test in locate() still decides for each
    const first = alerts.ascending ? lowerBound(alerts.ts, this.from, alerts.n) : 0;
    const end = alerts.ascending ? lowerBound(alerts.ts, this.to, alerts.n) : alerts.n;
    const e = this.evaluator;
    const truths = this.truthCounts;
    const n = this.locate(alerts, first, end, blocks, typeCounts, counts ?? null, e.episodeMarks(), truths);
    const anchored = placeBySymbol(this.grid, alerts.symbol, this.blockOf, blocks, first, end, this.pos);
    const episodes = this.market.labels.epStart.length;
    const weeks = this.days / 7;
    // the directions only enter the directional metrics, which no sweep column keeps; after placeBySymbol, blocks[b]
    // is block b's end
    e.absReturnsCounted(this.pos, anchored, blocks, this.blockOf.length, truths[0], truths[1], this.out);
    const precision = ratio(e.trueAlerts, e.trueAlerts + e.falseAlarms);
    const recall = ratio(e.detected, episodes);
    // METRICS' order (metricNames), each value as toPlain leaves it, NaN for its null
    let i = at;
    row[i++] = n;
    row[i++] = plainNumber(ratio(n, this.days));
    row[i++] = e.trueAlerts;
    row[i++] = e.falseAlarms;
    row[i++] = plainNumber(precision);
    row[i++] = episodes;
    row[i++] = e.detected;
    row[i++] = plainNumber(recall);
    row[i++] = plainNumber(precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null);
    row[i++] = plainNumber(episodes > 0 ? nabScore(e.detected, e.falseAlarms, episodes) : null);
    row[i++] = plainNumber(ratio(e.falseAlarms, weeks));
    row[i++] = plainNumber(this.medianLead());
    for (let k = 0; k < this.out.length; k++) row[i++] = plainNumber(this.out[k]);
    for (let t = 0; t < typeCounts.length; t++) row[i++] = typeCounts[t];
  }

  /**
   * each alert's grid index into this.grid (-1: outside the period, or unanchored), the anchored ones counted per
   * symbol block (blocks[block + 1]), the period's alerts per type, the anchored ones' true alerts and false alarms
   * (truths[0], truths[1]) and each episode's earliest anchored alert in reach (marks: countAlerts' marks, from one
   * info record per alert), and with `counts` each symbol's judged and true alerts; returns how many alerts lie in
   * the period. A function of its own, like placeBySymbol: score() then has no long loop, so it is never compiled on
   * stack in its first call, before the code after the loops has run (that compiled code, entered again at its loop
   * on every later call, failed at once each time: hundreds of times a run)
   */
  private locate(
    alerts: ScorableColumns,
    first: number,
    end: number,
    blocks: Int32Array,
    typeCounts: Int32Array,
    counts: { judged: Int32Array; hits: Int32Array } | null,
    marks: Int32Array,
    truths: Int32Array,
  ): number {
    const { firstTs, length, offset, blockOf, from, to, info, grid } = this;
    const { epStart } = this.market.labels;
    const lead = this.market.options.lead_window_hours;
    const hours = this.wholeHours(alerts);
    const shift = this.hourShift;
    const ats = alerts.ts;
    const asym = alerts.symbol;
    const atype = alerts.type;
    let n = 0;
    let ta = 0;
    let fa = 0;
    for (let k = first; k < end; k++) {
      const ts = ats[k];
      grid[k] = -1;
      if (ts < from || ts >= to) continue;
      n++;
      typeCounts[atype[k]]++;
      const s = asym[k];
      if (s < 0) continue;
      // the hour's grid index; unanchored (no price there): -1. From whole hours the same number: (base + h·HOUR_MS −
      // firstTs) / HOUR_MS = h + (base − firstTs) / HOUR_MS exactly when both are whole hours
      const i = hours !== null ? hours[k] + shift[s] : (ts - firstTs[s]) / HOUR_MS;
      if (!(i >= 0 && i < length[s])) continue;
      const g = offset[s] + i;
      // an alert between two hours (made-up columns only; a sweep's alerts are whole hours) reads no record: it is
      // anchored and stored at the hour before (grid holds whole numbers) and counted there, but judged for the
      // p-value by no one, as the placement before this one did
      const own = info[g];
      const whole = own !== undefined;
      const x = whole ? own : info[g | 0];
      const cls = x & 3;
      if (whole && cls === INFO_UNPRICED) continue;
      grid[k] = g;
      blocks[blockOf[s] + 1]++;
      // counted with numbers, not branches: successive alerts' truths are as good as random to a branch predictor
      const hit = +(cls === TRUTH_TRUE);
      const miss = +(cls === TRUTH_FALSE);
      ta += hit;
      fa += miss;
      if (counts && whole) {
        counts.judged[s] += hit + miss;
        counts.hits[s] += hit;
      }
      const reach = (x >> 2) & REACH_SATURATED;
      if (reach !== 0) {
        const e0 = x >>> 8;
        if (g < marks[e0]) marks[e0] = g;
        if (reach > 1) markLater(marks, e0, reach, epStart, g, lead);
      }
    }
    truths[0] = ta;
    truths[1] = fa;
    return n;
  }

  /**
   * the alerts' whole hours when they have them and every symbol's grid starts a whole number of hours from their base
   * (hourShift filled), else null: then each grid index is computed from ts
   */
  private wholeHours(alerts: ScorableColumns): Int32Array | null {
    const { hour, hourBase } = alerts;
    if (hour === undefined || hourBase === undefined) return null;
    for (let s = 0; s < this.hourShift.length; s++) {
      const shift = (hourBase - this.firstTs[s]) / HOUR_MS;
      if (!Number.isInteger(shift)) return null;
      this.hourShift[s] = shift;
    }
    return hour;
  }

  /** median() of the last evaluation's lead hours, from their counts: leads are whole hours in 0 .. lead_window_hours */
  private medianLead(): number | null {
    const n = this.evaluator.detected;
    if (n === 0) return null;
    const counts = this.leadCounts.fill(0);
    this.evaluator.countLeads(counts);
    // the values of ranks lo and hi (0-based, ascending): the same entry for an odd count
    const lo = (n - 1) >> 1;
    const hi = n >> 1;
    let seen = 0;
    let a = -1;
    for (let v = 0; v < counts.length; v++) {
      seen += counts[v];
      if (a < 0 && seen > lo) a = v;
      if (seen > hi) return a === v ? v : (a + v) / 2;
    }
    // a lead outside 0 .. lead_window_hours is not counted: fail loudly rather than report a wrong median
    throw new Error(`median lead: ${n} episodes detected, ${seen} leads within the lead window`);
  }
}
