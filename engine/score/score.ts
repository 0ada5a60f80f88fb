/**
 * Scores alerts against what the price did next: forward returns and excursions, an event study, large-move
 * precision/recall/lead time/NAB, and a random baseline for each, overall and broken down by detector, event
 * type, severity and symbol. The result is plain JSON and identical for identical inputs and seed.
 */
import { UserError } from '../errors.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { metricCount, permutationValues, summariseBaseline, type BaselineSpec } from './baseline.ts';
import { eventCurves, eventOffsets } from './event-study.ts';
import { AlertSetEvaluator, LOWER_TAIL, type Universe } from './evaluator.ts';
import { END, excursionInto, GAP, OK, windowStatus } from './forward.ts';
import { hourIndex, type SymbolRange } from './grid.ts';
import { LARGE, UNKNOWN } from './labels.ts';
import { FALSE_ALARM, prepareMarket, TRUE_ALERT, type Market } from './market.ts';
import { textKey } from './prng.ts';
import { median, ratio, toPlain } from './stats.ts';
import type {
  AlertOutcome,
  BaselineStat,
  BreakdownRow,
  Dimension,
  EventCurve,
  EventStats,
  HorizonStats,
  PriceSeries,
  ScorableAlert,
  Scorecard,
  SymbolSummary,
} from './types.ts';
import { byText, textHead } from '../text-order.ts';

const DAY_MS = 24 * HOUR_MS;
const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'];
const DIMENSIONS: Dimension[] = ['source', 'event_type', 'severity', 'event_severity', 'symbol'];
/** the breakdowns that also get an event curve per row */
const CURVE_DIMENSIONS = ['source', 'event_type', 'severity'] as const;

function checkAlert(a: ScorableAlert, i: number): void {
  if (!Number.isFinite(a.ts) || a.ts % HOUR_MS !== 0) throw new UserError(`${alertName(a, i)}: ts ${a.ts} is not an hour open time`);
  if (!SEVERITIES.includes(a.severity)) throw new UserError(`${alertName(a, i)}: severity '${a.severity}' is not one of ${SEVERITIES.join(', ')}`);
  if (a.direction !== undefined && a.direction !== 1 && a.direction !== -1 && a.direction !== 0) {
    throw new UserError(`${alertName(a, i)}: direction ${a.direction} is not 1, -1 or 0`);
  }
}

/** how an error names the alert: made only for the error (every alert is checked, and the names' strings cost more than the checks) */
function alertName(a: ScorableAlert, i: number): string {
  return `alert ${a.id ?? `#${i}`}`;
}

/** per alert and horizon (index i * horizons + k): window status and, when OK, return and excursions */
interface Outcomes {
  g: Int32Array;
  dir: Int8Array;
  status: Int8Array;
  ret: Float64Array;
  up: Float64Array;
  down: Float64Array;
}

function computeOutcomes(market: Market, alerts: readonly ScorableAlert[]): Outcomes {
  const { grid } = market;
  const hs = market.options.horizons_hours;
  const n = alerts.length;
  const out: Outcomes = {
    g: new Int32Array(n),
    dir: new Int8Array(n),
    status: new Int8Array(n * hs.length).fill(-1),
    ret: new Float64Array(n * hs.length).fill(NaN),
    up: new Float64Array(n * hs.length).fill(NaN),
    down: new Float64Array(n * hs.length).fill(NaN),
  };
  const { status, ret, up, down } = out;
  for (let i = 0; i < n; i++) {
    const a = alerts[i];
    const g = hourIndex(grid, a.symbol, a.ts);
    out.g[i] = g;
    out.dir[i] = a.direction ?? 0;
    if (g < 0) continue;
    const range = grid.bySymbol.get(a.symbol)!;
    for (let k = 0; k < hs.length; k++) {
      const j = i * hs.length + k;
      status[j] = windowStatus(grid, range, g, hs[k]);
      if (status[j] === OK) excursionInto(grid, g, hs[k], ret, up, down, j);
    }
  }
  return out;
}

function horizonStats(market: Market, oc: Outcomes, idxs: readonly number[], k: number): HorizonStats {
  // running sums in alert order are the sums stats.ts mean() would take over the same values in that order; only
  // the median needs the returns kept
  const rets = new Float64Array(idxs.length);
  const s = sumHorizon(oc, idxs, market.options.horizons_hours.length, k, rets, HORIZON_SUMS);
  const n = s[N];
  const nd = s[ND];
  const over = (sum: number, count: number) => (count > 0 ? sum / count : null);
  return {
    horizon_hours: market.options.horizons_hours[k],
    n,
    excluded_gap: s[GAPS],
    excluded_end: s[ENDS],
    mean: over(s[SUM_RET], n),
    median: median(rets.subarray(0, n)),
    mean_abs: over(s[SUM_ABS], n),
    mean_max_up: over(s[SUM_UP], n),
    mean_max_down: over(s[SUM_DOWN], n),
    n_directional: nd,
    mean_directional: over(s[SUM_DIRECTIONAL], nd),
    hit_rate: ratio(s[HITS], nd),
    mean_mfe: over(s[SUM_MFE], nd),
    mean_mae: over(s[SUM_MAE], nd),
  };
}

/** sumHorizon's output: counts and sums at these indices */
const [N, ND, GAPS, ENDS, HITS, SUM_RET, SUM_ABS, SUM_UP, SUM_DOWN, SUM_DIRECTIONAL, SUM_MFE, SUM_MAE] = Array.from({ length: 12 }, (_, i) => i);
const HORIZON_SUMS = new Float64Array(12);

/**
 * horizon k's counts and sums over the alerts idxs, in their order, into `out`; the returns of the complete windows
 * into rets[0 .. n). Its own function over arrays and numbers: inside horizonStats, the loop's code compiled on stack
 * failed at the code after it (never run yet) on every later call, ≈ 45 times in a sweep's report (--trace-deopt)
 */
function sumHorizon(oc: Outcomes, idxs: readonly number[], nh: number, k: number, rets: Float64Array, out: Float64Array): Float64Array {
  const { status, ret, up, down, dir } = oc;
  let n = 0;
  let nd = 0;
  let sumRet = 0;
  let sumAbs = 0;
  let sumUp = 0;
  let sumDown = 0;
  let sumDirectional = 0;
  let sumMfe = 0;
  let sumMae = 0;
  let gap = 0;
  let end = 0;
  let hits = 0;
  for (let x = 0; x < idxs.length; x++) {
    const i = idxs[x];
    const j = i * nh + k;
    const s = status[j];
    // counted without a branch: a branch that never ran before this loop was compiled on stack would throw that
    // code away at the first gap
    gap += +(s === GAP);
    end += +(s === END);
    if (s !== OK) continue;
    const r = ret[j];
    rets[n++] = r;
    sumRet += r;
    sumAbs += Math.abs(r);
    sumUp += up[j];
    sumDown += down[j];
    const d = dir[i];
    if (d === 0) continue;
    nd++;
    sumDirectional += d * r;
    if (d * r > 0) hits++;
    sumMfe += d > 0 ? up[j] : -down[j];
    sumMae += d > 0 ? -down[j] : up[j];
  }
  out[N] = n;
  out[ND] = nd;
  out[GAPS] = gap;
  out[ENDS] = end;
  out[HITS] = hits;
  out[SUM_RET] = sumRet;
  out[SUM_ABS] = sumAbs;
  out[SUM_UP] = sumUp;
  out[SUM_DOWN] = sumDown;
  out[SUM_DIRECTIONAL] = sumDirectional;
  out[SUM_MFE] = sumMfe;
  out[SUM_MAE] = sumMae;
  return out;
}

/** returns, per spec, permutationValues() over permutations 0..N-1 (on this thread or a worker pool) */
export type BaselineRunner = (market: Market, specs: readonly BaselineSpec[]) => Promise<Float64Array[]>;

interface Context {
  market: Market;
  alerts: readonly ScorableAlert[];
  oc: Outcomes;
  evaluator: AlertSetEvaluator;
  totalEpisodes: number;
  totalDays: number;
  anchored: AnchoredAlerts;
  /** the random baselines by index, filled in as rows are built: rows with the same alerts and universe share one (sharedBaseline) */
  baselines: BaselineEntry[];
}

/** one random baseline of a scorecard: its alerts and universe, and (once the rows are built) their values and rows */
interface BaselineEntry {
  index: number;
  members: Int32Array;
  universe: Universe;
  actual: Float64Array;
  rows: BreakdownRow[];
}

/** a breakdown row before its numbers: which alerts, over what universe, and the baseline it shares (if any) */
interface RowPlan {
  key: string;
  idxs: readonly number[];
  days: number;
  universe: Universe;
  placement: ReturnType<typeof placementOf>;
  baseline: BaselineEntry | null;
}

/**
 * The anchored alerts in the baseline's order — grouped by symbol (sorted), then by identity text — so the
 * random placements and every float sum over a row are independent of the input order.
 */
interface AnchoredAlerts {
  /** input index of the k-th anchored alert, and the inverse (−1 for an unanchored alert) */
  order: Int32Array;
  rank: Int32Array;
  keys: Uint32Array;
  symbols: string[];
  counts: number[];
}

function anchoredAlerts(alerts: readonly ScorableAlert[], oc: Outcomes): AnchoredAlerts {
  const idxs: number[] = [];
  const text: string[] = [];
  alerts.forEach((a, i) => {
    text.push(`${a.id}@${a.symbol}@${a.ts}@${oc.dir[i]}`);
    if (oc.g[i] >= 0) idxs.push(i);
  });
  // by symbol, then text (byText both): compared first by numbers that keep that order — the symbol's rank among
  // the symbols, the text's first three characters — and by the texts only where those tie
  const symbolRank = new Map([...new Set(alerts.map((a) => a.symbol))].sort(byText).map((s, r) => [s, r]));
  const bySymbol = new Int32Array(alerts.length);
  const head = new Float64Array(alerts.length);
  for (const i of idxs) {
    bySymbol[i] = symbolRank.get(alerts[i].symbol)!;
    head[i] = textHead(text[i]);
  }
  idxs.sort((i, j) => bySymbol[i] - bySymbol[j] || head[i] - head[j] || byText(text[i], text[j]));
  const rank = new Int32Array(alerts.length).fill(-1);
  const keys = new Uint32Array(idxs.length);
  const symbols: string[] = [];
  const counts: number[] = [];
  let copy = 0;
  idxs.forEach((i, k) => {
    rank[i] = k;
    // the same identity twice: the copies are told apart by their place among equals (adjacent once sorted), which
    // no input order changes
    copy = k > 0 && text[idxs[k - 1]] === text[i] ? copy + 1 : 0;
    keys[k] = textKey(copy === 0 ? text[i] : `${text[i]}#${copy}`);
    const s = alerts[i].symbol;
    if (symbols[symbols.length - 1] === s) counts[counts.length - 1]++;
    else {
      symbols.push(s);
      counts.push(1);
    }
  });
  return { order: Int32Array.from(idxs), rank, keys, symbols, counts };
}

/** the row's anchored alerts as ranks (ascending) and, in that order, their grid hours and directions */
function placementOf(ctx: Context, idxs: readonly number[]): { members: Int32Array; pos: Int32Array; dir: Int8Array } {
  const { order, rank } = ctx.anchored;
  let m = 0;
  for (let x = 0; x < idxs.length; x++) if (rank[idxs[x]] >= 0) m++;
  const members = new Int32Array(m);
  m = 0;
  for (let x = 0; x < idxs.length; x++) {
    const k = rank[idxs[x]];
    if (k >= 0) members[m++] = k;
  }
  members.sort();
  const pos = new Int32Array(m);
  const dir = new Int8Array(m);
  const { g, dir: alertDir } = ctx.oc;
  for (let x = 0; x < m; x++) {
    const i = order[members[x]];
    pos[x] = g[i];
    dir[x] = alertDir[i];
  }
  return { members, pos, dir };
}

/** moves each lower-tail copy's p-value onto its metric as p_lower, with the two-sided p beside it */
function foldLowerTails(stats: Record<string, BaselineStat>): Record<string, BaselineStat> {
  const out: Record<string, BaselineStat> = {};
  for (const [name, stat] of Object.entries(stats)) if (!name.startsWith(LOWER_TAIL)) out[name] = stat;
  for (const [name, stat] of Object.entries(stats)) {
    if (!name.startsWith(LOWER_TAIL)) continue;
    const main = out[name.slice(LOWER_TAIL.length)];
    const lower = stat.p_value;
    main.p_lower = lower;
    main.p_two_sided = main.p_value === null || lower === null ? null : Math.min(1, 2 * Math.min(main.p_value, lower));
  }
  return out;
}

/** a row's alerts and universe; rows with the same ones (a detector with one event type) share one baseline */
function planRow(ctx: Context, dim: Dimension | 'overall', key: string, idxs: readonly number[]): RowPlan {
  const { market } = ctx;
  const o = market.options;
  const range: SymbolRange | undefined = dim === 'symbol' ? market.grid.bySymbol.get(key) : undefined;
  const days = range ? range.length / 24 : ctx.totalDays;
  const universe: Universe = {
    episodes: dim === 'symbol' ? market.labels.episodesBySymbol.get(key) ?? 0 : ctx.totalEpisodes,
    weeks: days / 7,
  };
  const placement = placementOf(ctx, idxs);
  let baseline: BaselineEntry | null = null;
  if (o.permutations > 0 && placement.pos.length > 0 && (dim === 'overall' || o.baseline_rows === 'all')) {
    baseline = sharedBaseline(ctx.baselines, placement.members, universe);
  }
  return { key, idxs, days, universe, placement, baseline };
}

/**
 * the baseline entry of these alerts over this universe, made when none has them yet: compared entry by entry (a
 * scorecard has a few dozen rows) rather than keyed by the members' text, which was tens of KB a row
 */
function sharedBaseline(baselines: BaselineEntry[], members: Int32Array, universe: Universe): BaselineEntry {
  for (const e of baselines) {
    if (e.universe.episodes === universe.episodes && e.universe.weeks === universe.weeks && sameInts(e.members, members)) return e;
  }
  const entry = { index: baselines.length, members, universe, actual: new Float64Array(0), rows: [] };
  baselines.push(entry);
  return entry;
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function buildRow(ctx: Context, plan: RowPlan): BreakdownRow {
  const { market, evaluator } = ctx;
  const o = market.options;
  const { key, idxs, days, universe, placement } = plan;
  const n = placement.pos.length;
  const actual = new Float64Array(evaluator.specs.length);
  evaluator.evaluate(placement.pos, placement.dir, n, universe, actual);
  const events: EventStats = {
    true_alerts: evaluator.trueAlerts,
    false_alarms: evaluator.falseAlarms,
    precision_unevaluable: evaluator.unevaluable,
    precision: ratio(evaluator.trueAlerts, evaluator.trueAlerts + evaluator.falseAlarms),
    episodes: universe.episodes,
    detected: evaluator.detected,
    recall: ratio(evaluator.detected, universe.episodes),
    median_lead_hours: median(evaluator.leadHours()),
    alerts_per_day: ratio(idxs.length, days),
    false_alarms_per_week: ratio(evaluator.falseAlarms, universe.weeks),
    nab: Number.isFinite(actual[2]) ? actual[2] : null,
  };
  const row: BreakdownRow = {
    key,
    n_alerts: idxs.length,
    unanchored: idxs.length - n,
    forward: o.horizons_hours.map((_, k) => horizonStats(market, ctx.oc, idxs, k)),
    events,
    baseline: null,
  };
  const entry = plan.baseline;
  if (entry) {
    // the first row of the entry's alerts gives its values (every row sharing it has the same)
    if (entry.rows.length === 0) entry.actual = actual;
    entry.rows.push(row);
  }
  return row;
}

function groupKeys(dim: Dimension, alerts: readonly ScorableAlert[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  alerts.forEach((a, i) => {
    const k = dim === 'event_severity' ? `${a.event_type} ${a.severity}` : String(a[dim]);
    const list = groups.get(k);
    if (list) list.push(i);
    else groups.set(k, [i]);
  });
  const order = (k: string) =>
    dim === 'severity' ? String(SEVERITIES.indexOf(k)) : dim === 'event_severity' ? k.replace(/ (\w+)$/, (_, sev: string) => ` ${SEVERITIES.indexOf(sev)}`) : k;
  return new Map([...groups].sort(([a], [b]) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0)));
}

function symbolSummaries(market: Market): SymbolSummary[] {
  const { grid, labels } = market;
  const counts = new Int32Array(2);
  return grid.symbols.map((r) => {
    countLabels(labels.label, r.offset, r.offset + r.length, counts);
    return {
      symbol: r.symbol,
      first_ts: r.firstTs,
      last_ts: r.firstTs + (r.length - 1) * HOUR_MS,
      hours: r.length,
      missing_hours: r.length - r.present.length,
      labelled_hours: counts[0],
      large_move_hours: counts[1],
      episodes: labels.episodesBySymbol.get(r.symbol) ?? 0,
    };
  });
}

/**
 * the labelled hours and the large-move hours among from .. end − 1 into counts[0] and counts[1], counted there. A
 * function with nothing after its loop: inside symbolSummaries' callback the loop was compiled on stack and the object
 * made after it, not yet made then, threw that code away for each symbol (--trace-deopt)
 */
function countLabels(label: Int8Array, from: number, end: number, counts: Int32Array): void {
  counts[0] = 0;
  counts[1] = 0;
  for (let g = from; g < end; g++) {
    counts[0] += +(label[g] !== UNKNOWN);
    counts[1] += +(label[g] === LARGE);
  }
}

function truthOf(market: Market, g: number): boolean | null {
  const t = market.hourly[g * market.stride];
  return t === TRUE_ALERT ? true : t === FALSE_ALARM ? false : null;
}

function alertOutcomes(ctx: Context): AlertOutcome[] {
  const nh = ctx.market.options.horizons_hours.length;
  return ctx.alerts.map((a, i) => {
    const g = ctx.oc.g[i];
    return {
      id: a.id,
      symbol: a.symbol,
      ts: a.ts,
      anchored: g >= 0,
      forward: Array.from({ length: nh }, (_, k) => ctx.oc.ret[i * nh + k]),
      true_alert: g >= 0 ? truthOf(ctx.market, g) : null,
    };
  });
}

/** a scorecard's rows planned, each with the baseline it shares: enough to start the random baselines */
interface CardPlan {
  ctx: Context;
  groups: Record<Dimension, Map<string, number[]>>;
  rows: Record<Dimension, RowPlan[]>;
  overall: RowPlan;
}

function planCard(market: Market, alerts: readonly ScorableAlert[]): CardPlan {
  alerts.forEach(checkAlert);
  const oc = computeOutcomes(market, alerts);
  const ctx: Context = {
    market,
    alerts,
    oc,
    anchored: anchoredAlerts(alerts, oc),
    evaluator: new AlertSetEvaluator(market),
    totalEpisodes: market.labels.epStart.length,
    totalDays: (market.grid.end - market.grid.start) / DAY_MS,
    baselines: [],
  };
  const all = alerts.map((_, i) => i);
  const groups = {} as CardPlan['groups'];
  const rows = {} as CardPlan['rows'];
  for (const dim of DIMENSIONS) {
    groups[dim] = groupKeys(dim, alerts);
    rows[dim] = [...groups[dim]].map(([key, idxs]) => planRow(ctx, dim, key, idxs));
  }
  return { ctx, groups, rows, overall: planRow(ctx, 'overall', 'all', all) };
}

/** the scorecard with its baselines still to compute */
function finishCard(plan: CardPlan): Scorecard {
  const { ctx, groups, rows } = plan;
  const { market, alerts } = ctx;
  const o = market.options;
  const breakdowns = {} as Record<Dimension, BreakdownRow[]>;
  const curves = {} as Record<(typeof CURVE_DIMENSIONS)[number], EventCurve[]>;
  const { before_hours: before, after_hours: after } = o.event_window;
  for (const dim of DIMENSIONS) breakdowns[dim] = rows[dim].map((r) => buildRow(ctx, r));
  const overall = buildRow(ctx, plan.overall);
  const study = eventCurves(market.grid, before, after, ctx.oc.g, CURVE_DIMENSIONS.map((dim) => groups[dim]));
  CURVE_DIMENSIONS.forEach((dim, d) => (curves[dim] = study.breakdowns[d]));
  const card: Scorecard = {
    options: o,
    data: { symbols: symbolSummaries(market), days: ctx.totalDays },
    alerts: { total: alerts.length, unanchored: overall.unanchored },
    overall,
    breakdowns,
    event_study: {
      offsets: eventOffsets(before, after),
      overall: study.overall,
      ...curves,
    },
  };
  if (o.include_alerts) card.alert_outcomes = alertOutcomes(ctx);
  return card;
}

/** the scorecard's random baselines: none, or one spec holding every row that has one */
function baselineSpecs(ctx: Context): BaselineSpec[] {
  if (ctx.baselines.length === 0) return [];
  const { anchored, oc } = ctx;
  return [
    {
      symbols: anchored.symbols,
      counts: anchored.counts,
      keys: anchored.keys,
      dir: Int8Array.from(anchored.order, (i) => oc.dir[i]),
      rows: ctx.baselines.map((e) => ({ members: e.members, universe: e.universe })),
      seed: ctx.market.options.seed,
      permutations: ctx.market.options.permutations,
    },
  ];
}

function completeCard(card: Scorecard, ctx: Context, values: readonly Float64Array[]): Scorecard {
  const m = metricCount(ctx.market);
  const width = ctx.market.options.permutations * m;
  for (const entry of ctx.baselines) {
    const own = values[0].subarray(entry.index * width, (entry.index + 1) * width);
    const stats = foldLowerTails(summariseBaseline(ctx.evaluator.specs, entry.actual, own));
    for (const row of entry.rows) row.baseline = stats;
  }
  return toPlain(card);
}

/** Scores a new alert set against an already prepared market (labels and lookups are built once per market). */
export function scoreOnMarket(market: Market, alerts: readonly ScorableAlert[]): Scorecard {
  const plan = planCard(market, alerts);
  const card = finishCard(plan);
  const values = baselineSpecs(plan.ctx).map((s) => permutationValues(market, s, 0, s.permutations));
  return completeCard(card, plan.ctx, values);
}

/** scoreOnMarket with the random baselines computed by `runner` (a worker pool): the same scorecard, bit for bit */
export async function scoreOnMarketWith(market: Market, alerts: readonly ScorableAlert[], runner: BaselineRunner): Promise<Scorecard> {
  const plan = planCard(market, alerts);
  // the baselines need only the rows' alerts: the runner's threads start on them while this one builds the rows
  const values = runner(market, baselineSpecs(plan.ctx));
  // awaited below; should the rows fail first, the runner's failure must not count as unhandled
  values.catch(() => {});
  const card = finishCard(plan);
  return completeCard(card, plan.ctx, await values);
}

/** the random baselines a scorecard of these alerts would compute (benches and tests time and check them) */
export function baselineSpecsOf(market: Market, alerts: readonly ScorableAlert[]): BaselineSpec[] {
  return baselineSpecs(planCard(market, alerts).ctx);
}

export function scoreAlerts(prices: readonly PriceSeries[], alerts: readonly ScorableAlert[], options?: unknown): Scorecard {
  return scoreOnMarket(prepareMarket(prices, options), alerts);
}
