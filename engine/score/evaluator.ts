/**
 * The metrics of one alert set, in O(alerts) with the market's lookup arrays — the same code scores the real
 * alerts and every random permutation, so the two are compared like with like.
 *
 * With L = lead_window_hours, for an alert at hour a and an episode [s, e] of the same symbol:
 *   true alert   a large-move hour in [a, a + L]              (⇔ a ∈ [s − L, e] for some episode)
 *   false alarm  no large-move hour in [a, a + L], all labelled
 *   unevaluable  neither (unlabelled hours near gaps or the data's ends): left out of precision
 *   detected     an alert in [s − L, s]; lead time = s − the earliest such alert
 * NAB-style score (flat weights, no NAB sigmoid on position in the window; extra alerts in a window neither
 * earn nor cost): raw = 1·TP − 0.11·FP − 1·FN with TP = detected episodes, FN = missed episodes, FP = false
 * alarms; null detector raw = −E, perfect raw = +E, so
 *   NAB = 100 · (raw − null) / (perfect − null) = 100 · (TP − 0.055 · FP) / E.
 */
import { FALSE_ALARM, TRUE_ALERT, type Market } from './market.ts';
import { MAX_EPISODES, metaRecord, truthCode } from './draw-table.ts';
import { float64s, int32s, int8s } from './market-arrays.ts';
import { ReturnRows } from './return-rows.ts';

export const NAB_WEIGHTS = { tp: 1, fp: 0.11, fn: 1 } as const;

export function nabScore(tp: number, fp: number, episodes: number): number {
  const { tp: wTp, fp: wFp, fn: wFn } = NAB_WEIGHTS;
  const raw = wTp * tp - wFp * fp - wFn * (episodes - tp);
  const nullRaw = -wFn * episodes;
  const perfectRaw = wTp * episodes;
  return (100 * (raw - nullRaw)) / (perfectRaw - nullRaw);
}

export interface MetricSpec {
  name: string;
  better: 'higher' | 'lower';
}

export function metricSpecs(horizons: readonly number[]): MetricSpec[] {
  const specs: MetricSpec[] = [
    { name: 'precision', better: 'higher' },
    { name: 'recall', better: 'higher' },
    { name: 'nab', better: 'higher' },
    { name: 'false_alarms_per_week', better: 'lower' },
  ];
  for (const h of horizons) {
    specs.push({ name: `mean_abs_return_${h}h`, better: 'higher' });
    specs.push({ name: `mean_directional_return_${h}h`, better: 'higher' });
    specs.push({ name: `hit_rate_${h}h`, better: 'higher' });
  }
  // The same two directional metrics once more with the other tail, so the baseline also says how unusual a
  // LOW hit rate is (an alert type that reliably reverses); score.ts folds these into p_lower / p_two_sided.
  // Appended after the others: the sweep reads the metrics above by position.
  for (const h of horizons) {
    specs.push({ name: `${LOWER_TAIL}mean_directional_return_${h}h`, better: 'lower' });
    specs.push({ name: `${LOWER_TAIL}hit_rate_${h}h`, better: 'lower' });
  }
  return specs;
}

/** prefix of the lower-tail copies of the directional metrics */
export const LOWER_TAIL = 'lower_tail:';

/** what the metrics are relative to: the episodes an alert set could have caught, and the weeks it covered */
export interface Universe {
  episodes: number;
  weeks: number;
}

export class AlertSetEvaluator {
  readonly specs: MetricSpec[];
  /** per episode: the earliest alert hour that detects it, NOT_DETECTED when none */
  private readonly firstAlert: Int32Array;
  /** countEvents' true alerts and false alarms (countAlerts writes them) */
  private readonly truthCounts = new Int32Array(2);
  private readonly layout: HourLayout;
  /** the last alert set's return rows (evaluateAbsReturns, absReturnsCounted), made on the first call */
  private returnRows: ReturnRows | null = null;
  /** counts of the last evaluate() */
  trueAlerts = 0;
  falseAlarms = 0;
  unevaluable = 0;
  detected = 0;

  /** layout: where evaluate() reads each hour's truth and forward returns; by default the market's own table */
  constructor(readonly market: Market, layout: HourLayout = marketLayout(market)) {
    this.specs = metricSpecs(market.options.horizons_hours);
    this.firstAlert = new Int32Array(market.labels.epStart.length);
    this.layout = layout;
  }

  /** writes one value per spec into out (NaN when undefined) */
  evaluate(pos: Int32Array, dir: Int8Array, n: number, u: Universe, out: Float64Array): void {
    this.countEvents(pos, n);
    const ta = this.trueAlerts;
    const fa = this.falseAlarms;
    const det = this.detected;
    const E = u.episodes;
    out[0] = ta + fa > 0 ? ta / (ta + fa) : NaN;
    out[1] = E > 0 ? det / E : NaN;
    out[2] = E > 0 ? nabScore(det, fa, E) : NaN;
    out[3] = u.weeks > 0 ? fa / u.weeks : NaN;
    const horizons = this.market.stride - 2;
    let k = 0;
    for (; k + 1 < horizons; k += 2) forwardMetricsPair(this.layout, pos, dir, n, k, out);
    if (k < horizons) forwardMetrics(this.layout, pos, dir, n, k, out);
    const tails = 4 + horizons * 3;
    for (let k = 0; k < horizons; k++) {
      out[tails + 2 * k] = out[4 + k * 3 + 1];
      out[tails + 2 * k + 1] = out[4 + k * 3 + 2];
    }
  }

  /**
   * evaluate() without the directional metrics, for a caller that keeps only the counts (trueAlerts … detected) and
   * the mean |forward return| per horizon: out[k] for horizon k, the same bits as evaluate()'s mean_abs_return (the
   * directional sums were a third of a sweep's scoring). The counts from the alerts' truths and episodes, in a pass of
   * their own; a sweep's PeriodScorer counts them while it places the alerts and calls absReturnsCounted instead. The
   * alerts come in blocks of non-decreasing grid indices (ends[b]: block b's end, b < blocks): each alert's returns are
   * copied from the last call's where its block had the same index (ReturnRows), a caller scoring similar sets one
   * after another reads few of them from the table.
   */
  evaluateAbsReturns(pos: Int32Array, n: number, ends: Int32Array, blocks: number, out: Float64Array): void {
    this.countEvents(pos, n);
    this.meanAbsReturns(pos, n, ends, blocks, out);
  }

  /**
   * evaluateAbsReturns for a caller that counted the alerts while it placed them, from a compact layout's info
   * (PeriodScorer: its true alerts and false alarms, each episode's earliest alert marked in episodeMarks() as
   * countAlerts marks them): the same numbers, without a second pass over the alerts' truths and episodes
   */
  absReturnsCounted(pos: Int32Array, n: number, ends: Int32Array, blocks: number, trueAlerts: number, falseAlarms: number, out: Float64Array): void {
    this.settle(n, trueAlerts, falseAlarms);
    this.meanAbsReturns(pos, n, ends, blocks, out);
  }

  /** the counts of n placed alerts, from their true alerts and false alarms and the episode marks (firstAlert) */
  private settle(n: number, trueAlerts: number, falseAlarms: number): void {
    this.trueAlerts = trueAlerts;
    this.falseAlarms = falseAlarms;
    this.unevaluable = n - trueAlerts - falseAlarms;
    this.detected = detectedEpisodes(this.firstAlert);
  }

  private meanAbsReturns(pos: Int32Array, n: number, ends: Int32Array, blocks: number, out: Float64Array): void {
    (this.returnRows ??= new ReturnRows(this.layout, this.market.stride - 2)).meanAbsOf(pos, n, ends, blocks, out);
  }

  /** each episode's earliest alert, reset (NOT_DETECTED), for a caller to mark before absReturnsCounted */
  episodeMarks(): Int32Array {
    return this.firstAlert.fill(NOT_DETECTED);
  }

  /**
   * The truths are counted with numbers, not branches (successive alerts' truths are as good as random, and a
   * mispredicted branch costs more than the rest of the alert's work); each episode keeps its earliest alert by
   * Math.min from NOT_DETECTED, so nothing but the episodes in reach is touched per alert.
   */
  private countEvents(pos: Int32Array, n: number): void {
    const { epStart, nextEpisode } = this.market.labels;
    const { truth, truthStride } = this.layout;
    const first = this.firstAlert.fill(NOT_DETECTED);
    const counts = this.truthCounts;
    countAlerts(pos, n, truth, truthStride, nextEpisode, epStart, this.market.options.lead_window_hours, first, counts);
    this.settle(n, counts[0], counts[1]);
  }

  /** adds 1 to counts[lead] for each episode the last evaluate() detected: leads are whole hours in 0 .. lead_window_hours */
  countLeads(counts: Int32Array): void {
    const { epStart } = this.market.labels;
    const first = this.firstAlert;
    for (let e = 0; e < epStart.length; e++) {
      if (first[e] !== NOT_DETECTED) counts[epStart[e] - first[e]]++;
    }
  }

  /** hours from the earliest alert in the lead window to the start, for each episode the last evaluate() detected, in episode order */
  leadHours(): number[] {
    const { epStart } = this.market.labels;
    const leads: number[] = [];
    for (let e = 0; e < epStart.length; e++) {
      if (this.firstAlert[e] !== NOT_DETECTED) leads.push(epStart[e] - this.firstAlert[e]);
    }
    return leads;
  }
}

/**
 * Where an alert at grid hour g finds its precision truth (truth[g * truthStride]) and its forward return at horizon
 * k (returns[g * returnStride + returnOffset + k]); its first episode at or after g is labels.nextEpisode[g].
 */
export interface HourLayout {
  truth: Float64Array | Int8Array;
  truthStride: number;
  returns: Float64Array;
  returnStride: number;
  returnOffset: number;
}

/** the market's hourly table as it is: nothing copied */
function marketLayout(market: Market): HourLayout {
  const { hourly, stride } = market;
  return { truth: hourly, truthStride: stride, returns: hourly, returnStride: stride, returnOffset: 2 };
}

/** a compact layout's truth at an hour without a close: no alert is placed there, so evaluate() never reads it (PeriodScorer skips them) */
export const UNPRICED = 2;

export interface CompactLayout extends HourLayout {
  /** the precision truth, or UNPRICED */
  truth: Int8Array;
  /**
   * per hour, what counting an alert there needs, in one number (one read where the truth and the first episode were
   * two, each a cache miss): the random baseline's meta record (draw-table.ts: bits 0–1 TRUTH_TRUE, TRUTH_FALSE or 0
   * for unevaluable, bits 2–7 how many episodes it reaches, REACH_SATURATED for that many or more, bits 8–31 the first
   * of them), with INFO_UNPRICED in bits 0–1 for an hour without a close
   */
  info: Int32Array;
}

/** an info record's truth bits at an hour without a close */
export const INFO_UNPRICED = 3;

/**
 * A copy of the market's hourly table for a market scored many times (a sweep's period): the truths one byte per
 * hour, also marking the hours without a close (PeriodScorer places alerts by them, so evaluate() then reads each
 * alert's truth where the placement just read it), and the forward returns alone, 32 bytes per hour for 4 horizons
 * instead of a 48-byte row. With the market's table, the truth and first episode that the episode loop's branch
 * waits for were a cache miss per alert, one after another. Not worth it for a market scored a few times (a
 * backtest's scorecard): the copy's first touch would cost more than the misses it saves.
 */
export function compactLayout(market: Market): CompactLayout {
  const { hourly, stride } = market;
  const { close } = market.grid;
  const horizons = stride - 2;
  const hours = hourly.length / stride;
  const truth = int8s(hours);
  const returns = float64s(hours * horizons);
  for (let g = 0; g < hours; g++) {
    truth[g] = close[g] === close[g] ? hourly[g * stride] : UNPRICED;
    for (let k = 0; k < horizons; k++) returns[g * horizons + k] = hourly[g * stride + 2 + k];
  }
  const info = int32s(hours);
  const { epStart, nextEpisode } = market.labels;
  if (epStart.length >= MAX_EPISODES) throw new Error(`compact layout: ${epStart.length} large-move episodes, more than the ${MAX_EPISODES - 1} it can index`);
  fillInfo(truth, nextEpisode, epStart, market.options.lead_window_hours, info);
  return { truth, truthStride: 1, returns, returnStride: horizons, returnOffset: 0, info };
}

/** each hour's info record (CompactLayout.info): countAlerts' reach, looked up once */
function fillInfo(truth: Int8Array, nextEpisode: Int32Array, epStart: Int32Array, lead: number, info: Int32Array): void {
  for (let g = 0; g < info.length; g++) {
    const t = truth[g];
    info[g] = metaRecord(t === UNPRICED ? INFO_UNPRICED : truthCode(t), g, nextEpisode[g], epStart, lead);
  }
}

/** above every grid index: Math.min with any alert hour replaces it */
const NOT_DETECTED = 0x7fffffff;

/**
 * the alerts at grid indices pos[0 .. n): their true alerts and false alarms into counts[0] and counts[1], and each
 * episode's earliest alert in reach into first (left at NOT_DETECTED for none). Its own function, ending at its loop,
 * like detectedEpisodes: in countEvents the loop was compiled on stack and the code after it, not yet run, threw that
 * code away (--trace-deopt)
 */
function countAlerts(pos: Int32Array, n: number, truths: Float64Array | Int8Array, truthStride: number, nextEpisode: Int32Array, epStart: Int32Array, lead: number, first: Int32Array, counts: Int32Array): void {
  const episodes = epStart.length;
  let ta = 0;
  let fa = 0;
  for (let i = 0; i < n; i++) {
    const a = pos[i];
    const truth = truths[a * truthStride];
    ta += +(truth === TRUE_ALERT);
    fa += +(truth === FALSE_ALARM);
    const reach = a + lead;
    for (let e = nextEpisode[a]; e < episodes && epStart[e] <= reach; e++) first[e] = Math.min(first[e], a);
  }
  counts[0] = ta;
  counts[1] = fa;
}

/** how many episodes have an alert (first[e] set) */
function detectedEpisodes(first: Int32Array): number {
  let det = 0;
  for (let e = 0; e < first.length; e++) det += +(first[e] !== NOT_DETECTED);
  return det;
}

/**
 * The forward-return metrics of horizons k and k + 1 in one pass: each horizon's sums are chains of dependent
 * additions, and two horizons side by side keep more of them in flight (measured ≈ 25 % faster than one horizon
 * per pass; four side by side were no faster). Each sum adds the same terms in the same order as forwardMetrics.
 * Hits are counted with +(dr > 0), a number: V8 compiles `dr > 0 ? 1 : 0` to a branch, mispredicted on half the
 * alerts. With the branch-free counts, evaluate() on the sweep bench's alert sets: 0.29 → 0.17 ms per configuration.
 */
function forwardMetricsPair(layout: HourLayout, pos: Int32Array, dir: Int8Array, n: number, k: number, out: Float64Array): void {
  const { returns, returnStride: stride } = layout;
  const col = layout.returnOffset + k;
  let count0 = 0;
  let sumAbs0 = 0;
  let directional0 = 0;
  let sumDirectional0 = 0;
  let hits0 = 0;
  let count1 = 0;
  let sumAbs1 = 0;
  let directional1 = 0;
  let sumDirectional1 = 0;
  let hits1 = 0;
  for (let i = 0; i < n; i++) {
    const b = pos[i] * stride + col;
    const r0 = returns[b];
    const r1 = returns[b + 1];
    const d = dir[i];
    if (r0 === r0) {
      const dr = d * r0;
      count0++;
      sumAbs0 += Math.abs(r0);
      directional0 += d * d;
      sumDirectional0 += dr;
      hits0 += +(dr > 0);
    }
    if (r1 === r1) {
      const dr = d * r1;
      count1++;
      sumAbs1 += Math.abs(r1);
      directional1 += d * d;
      sumDirectional1 += dr;
      hits1 += +(dr > 0);
    }
  }
  writeForward(out, 4 + k * 3, count0, sumAbs0, directional0, sumDirectional0, hits0);
  writeForward(out, 4 + (k + 1) * 3, count1, sumAbs1, directional1, sumDirectional1, hits1);
}

/** horizon k alone (the last of an odd number of horizons) */
function forwardMetrics(layout: HourLayout, pos: Int32Array, dir: Int8Array, n: number, k: number, out: Float64Array): void {
  const { returns, returnStride: stride } = layout;
  const col = layout.returnOffset + k;
  let count = 0;
  let sumAbs = 0;
  let directional = 0;
  let sumDirectional = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[pos[i] * stride + col];
    if (r !== r) continue;
    const d = dir[i];
    const dr = d * r;
    count++;
    sumAbs += Math.abs(r);
    directional += d * d;
    sumDirectional += dr;
    hits += +(dr > 0);
  }
  writeForward(out, 4 + k * 3, count, sumAbs, directional, sumDirectional, hits);
}

function writeForward(out: Float64Array, at: number, count: number, sumAbs: number, directional: number, sumDirectional: number, hits: number): void {
  out[at] = count > 0 ? sumAbs / count : NaN;
  out[at + 1] = directional > 0 ? sumDirectional / directional : NaN;
  out[at + 2] = directional > 0 ? hits / directional : NaN;
}
