/**
 * Paper P&L of following the alerts: what a simple, fixed strategy per event type would have earned.
 *
 * Strategy. An alert at hour t enters at the close of t in its direction (`follow: continuation`) or against it
 * (`reversal`), holds `hold_hours` and exits at a close; a taker fee is paid on the notional of each side. One
 * position per symbol at a time: an alert on a symbol with an open position is skipped and counted (a position
 * that exits at the close of t frees the symbol for an alert at t). Alerts without a direction or without a
 * close at their hour are skipped and counted. A pair alert is traded on the symbol the scorer scores it on
 * (the lagging one) — the caller passes it so.
 *
 * Gaps and the end of the data. A holding window that would cross a missing hour exits at the last close before
 * the gap, one that would run past the symbol's last hour exits at that last close; both are counted. When no
 * close follows the entry hour at all, the trade is not taken (`skipped.no_exit`). No price is ever filled in.
 *
 * Accounting. The capital is split equally into one sleeve per symbol the row trades, never rebalanced; a
 * sleeve puts all of its value into each trade. A trade of direction d entered at P0 is worth, at a close P,
 *   (1 − f) · (1 + d·(P/P0 − 1))                           per unit of sleeve value before the entry
 * and at the exit (1 − f) · (1 + d·(x − 1) − f·x) with x = P1/P0 (the exit fee is f times the exit notional).
 * The row's equity is the mean of its sleeves, marked at every hourly close (a sleeve keeps its last mark
 * through a missing hour). Each row (every event type alone, and "all": every alert in one book) is compared
 * with buy-and-hold of the same symbols (the same sleeves bought at their first close in range and sold at
 * their last, fees included) and with random entries (below).
 *
 * Metrics. total return = final equity − 1; annualised = equity^(8760 / hours) − 1; Sharpe = mean / sample std
 * of the hourly equity returns × √8760 (no risk-free rate); max drawdown = largest fall from a running peak;
 * win rate = trades with a net return > 0; profit factor = sum of net winning trade returns / |sum of losing|
 * (null when nothing was lost); exposure = symbol-hours held / symbol-hours with a close.
 *
 * Random entries. Per symbol, as many entries as the row's real trades, with the same (direction, hold) pairs
 * shuffled over them, at uniformly random hours with a close spaced at least the longest hold apart (so none
 * would have been skipped as an overlap), through the same exit rule and fees; N seeded draws give
 *   p = (1 + #{random total return ≥ actual}) / (1 + N)     (one-sided: does following the alerts beat chance?).
 */
import { HOUR_MS } from '../pipeline/input.ts';
import { buildGrid, hourIndex, type Grid, type SymbolRange } from './grid.ts';
import { parsePnlOptions, strategyOf, type Follow, type PnlOptions } from './pnl-options.ts';
import { hashSeed, Mulberry32 } from './prng.ts';
import { median, toPlain } from './stats.ts';
import type { PriceSeries, ScorableAlert } from './types.ts';

export const HOURS_PER_YEAR = 8760;

export type ExitKind = 'hold' | 'gap' | 'end';

export interface Trade {
  alert_id: string;
  event_type: string;
  symbol: string;
  direction: 1 | -1;
  entry_ts: number;
  exit_ts: number;
  entry_price: number;
  exit_price: number;
  /** net of both fees, per unit of sleeve value */
  return: number;
  exit: ExitKind;
}

export interface PnlStats {
  trades: number;
  win_rate: number | null;
  total_return: number;
  annualised_return: number | null;
  sharpe: number | null;
  max_drawdown: number;
  profit_factor: number | null;
  gross_profit: number;
  gross_loss: number;
  mean_trade_return: number | null;
  exposure: number | null;
}

export interface RandomEntries {
  permutations: number;
  /** mean number of random trades taken per draw (hours with no close after them take none) */
  mean_trades: number;
  mean_total_return: number;
  median_total_return: number;
  /** one-sided: share of draws whose total return is at least the strategy's */
  p_value: number;
}

export interface PnlRow {
  /** 'all' or an event type */
  key: string;
  follow: Follow | 'mixed';
  hold_hours: number | null;
  symbols: string[];
  alerts: number;
  skipped: { no_direction: number; no_price: number; overlap: number; no_exit: number };
  early_exits: { gap: number; end: number };
  strategy: PnlStats;
  buy_and_hold: PnlStats;
  random: RandomEntries | null;
}

export interface PnlSummary {
  options: PnlOptions;
  /** first hour open .. last hour close of the priced range, epoch ms */
  start: number;
  end: number;
  rows: PnlRow[];
}

/** hourly marks of one row: its equity, its drawdown and buy-and-hold's equity at each hour close of the row's range */
export interface EquityCurve {
  key: string;
  /** hour open times */
  ts: Float64Array;
  equity: Float64Array;
  drawdown: Float64Array;
  buy_and_hold: Float64Array;
}

export interface PaperPnl {
  summary: PnlSummary;
  curves: EquityCurve[];
  /** every row's trades, keyed like the rows */
  trades: Map<string, Trade[]>;
}

/** a trade on the grid */
interface Leg {
  g: number;
  e: number;
  d: number;
  fee: number;
  /** the planned hold (e is earlier when a gap or the end cut it short) */
  hold: number;
}

function tradeMultiplier(x: number, d: number, f: number): number {
  return Math.max(0, (1 - f) * (1 + d * (x - 1) - f * x));
}

/** the last hour a position entered at g can hold to: g + hold, or the last close before a gap / the end */
function exitIndex(grid: Grid, range: SymbolRange, g: number, hold: number): { e: number; exit: ExitKind } {
  const firstMissing = grid.nextMissing[g + 1];
  if (firstMissing > g + hold) return { e: g + hold, exit: 'hold' };
  return { e: firstMissing - 1, exit: firstMissing >= range.offset + range.length ? 'end' : 'gap' };
}

interface Book {
  key: string;
  alerts: readonly ScorableAlert[];
}

interface Simulated {
  legs: Map<string, Leg[]>;
  trades: Trade[];
  skipped: PnlRow['skipped'];
  early: PnlRow['early_exits'];
}

function simulate(grid: Grid, book: Book, o: PnlOptions): Simulated {
  const legs = new Map<string, Leg[]>();
  const busyUntil = new Map<string, number>();
  const trades: Trade[] = [];
  const skipped = { no_direction: 0, no_price: 0, overlap: 0, no_exit: 0 };
  const early = { gap: 0, end: 0 };
  const fee = o.fee_pct / 100;
  for (const a of book.alerts) {
    const g = hourIndex(grid, a.symbol, a.ts);
    if (g < 0) {
      skipped.no_price++;
      continue;
    }
    if (!a.direction) {
      skipped.no_direction++;
      continue;
    }
    if (g < (busyUntil.get(a.symbol) ?? -1)) {
      skipped.overlap++;
      continue;
    }
    const s = strategyOf(o, a.event_type);
    const range = grid.bySymbol.get(a.symbol)!;
    const { e, exit } = exitIndex(grid, range, g, s.hold_hours);
    if (e <= g) {
      skipped.no_exit++;
      continue;
    }
    if (exit !== 'hold') early[exit]++;
    const d = s.follow === 'reversal' ? -a.direction : a.direction;
    busyUntil.set(a.symbol, e);
    const list = legs.get(a.symbol) ?? [];
    list.push({ g, e, d, fee, hold: s.hold_hours });
    legs.set(a.symbol, list);
    const x = grid.close[e] / grid.close[g];
    trades.push({
      alert_id: a.id,
      event_type: a.event_type,
      symbol: a.symbol,
      direction: d as 1 | -1,
      entry_ts: a.ts,
      exit_ts: a.ts + (e - g) * HOUR_MS,
      entry_price: grid.close[g],
      exit_price: grid.close[e],
      return: tradeMultiplier(x, d, fee) - 1,
      exit,
    });
  }
  return { legs, trades, skipped, early };
}

/** the row's hourly timeline: from the first open to the last close of its symbols */
interface Timeline {
  start: number;
  hours: number;
}

function timelineOf(ranges: readonly SymbolRange[]): Timeline {
  if (ranges.length === 0) return { start: 0, hours: 0 };
  const start = Math.min(...ranges.map((r) => r.firstTs));
  const end = Math.max(...ranges.map((r) => r.firstTs + r.length * HOUR_MS));
  return { start, hours: (end - start) / HOUR_MS };
}

// The loops over hours are small functions of their own: inside markSleeve and rowFor each was optimised on
// entry (OSR) and thrown away when the code after it first ran (≈ 30 deoptimisations per backtest).

/** adds one sleeve's hourly marks (starting value 1) to `sum`; legs in time order, never overlapping */
function markSleeve(grid: Grid, range: SymbolRange, legs: readonly Leg[], tl: Timeline, sum: Float64Array): void {
  const shift = (range.firstTs - tl.start) / HOUR_MS - range.offset; // timeline index of grid index g = g + shift
  const v = new Float64Array(tl.hours).fill(NaN);
  let cash = 1;
  for (const { g, e, d, fee } of legs) {
    // an entry at the hour the previous leg exited overwrites that mark: the close pays the new entry fee
    const base = cash * (1 - fee);
    const p0 = grid.close[g];
    v[g + shift] = base;
    markHeld(grid.close, v, shift, g, e, d, base, p0);
    cash *= tradeMultiplier(grid.close[e] / p0, d, fee);
    v[e + shift] = cash;
  }
  carryMarks(v, sum);
}

/** the marks of the hours a leg entered at g holds before its exit e */
function markHeld(close: Float64Array, v: Float64Array, shift: number, g: number, e: number, d: number, base: number, p0: number): void {
  for (let j = g + 1; j < e; j++) v[j + shift] = Math.max(0, base * (1 + d * (close[j] / p0 - 1)));
}

/** adds the marks to `sum`, flat hours and missing hours keeping the last mark */
function carryMarks(v: Float64Array, sum: Float64Array): void {
  let last = 1;
  for (let t = 0; t < v.length; t++) {
    if (v[t] === v[t]) last = v[t];
    sum[t] += last;
  }
}

/** buy at the first close, mark every close (carrying through missing hours), sell at the last */
function markBuyAndHold(grid: Grid, range: SymbolRange, fee: number, tl: Timeline, sum: Float64Array): number {
  const shift = (range.firstTs - tl.start) / HOUR_MS - range.offset;
  const first = range.present[0];
  const last = range.present[range.present.length - 1];
  const p0 = grid.close[first];
  let t = 0;
  for (; t < first + shift; t++) sum[t] += 1;
  let mark = 1 - fee;
  for (let g = first; g <= last; g++, t++) {
    const c = grid.close[g];
    if (c === c) mark = (1 - fee) * (c / p0) * (g === last ? 1 - fee : 1);
    sum[t] += mark;
  }
  for (; t < tl.hours; t++) sum[t] += mark;
  return mark - 1;
}

function sampleStd(xs: Float64Array, mean: number): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - mean) * (xs[i] - mean);
  return Math.sqrt(s / (xs.length - 1));
}

/**
 * The hourly returns and drawdowns of an equity curve, their sum and the largest drawdown. Its own function, like
 * sampleStd: the loop is optimised once for every row's curve, not recompiled for each (as the code after it,
 * not yet run when the loop was optimised, threw the optimised code away).
 */
function walkCurve(equity: Float64Array, rets: Float64Array, drawdown: Float64Array): { sum: number; maxDd: number } {
  let peak = 1;
  let prev = 1;
  let maxDd = 0;
  let sum = 0;
  for (let t = 0; t < equity.length; t++) {
    const v = equity[t];
    rets[t] = prev > 0 ? v / prev - 1 : 0;
    sum += rets[t];
    prev = v;
    if (v > peak) peak = v;
    drawdown[t] = peak > 0 ? 1 - v / peak : 0;
    if (drawdown[t] > maxDd) maxDd = drawdown[t];
  }
  return { sum, maxDd };
}

/** the equity-curve metrics; trade metrics are filled in by the caller */
function curveStats(equity: Float64Array): { total: number; annualised: number | null; sharpe: number | null; maxDrawdown: number; drawdown: Float64Array } {
  const n = equity.length;
  const drawdown = new Float64Array(n);
  const rets = new Float64Array(n);
  const { sum, maxDd } = walkCurve(equity, rets, drawdown);
  const final = n ? equity[n - 1] : 1;
  const mean = n ? sum / n : 0;
  const std = n > 1 ? sampleStd(rets, mean) : 0;
  // a std of rounding residue (a flat curve) is no volatility
  const sharpe = std > 1e-12 ? (mean / std) * Math.sqrt(HOURS_PER_YEAR) : null;
  const annualised = n > 0 ? Math.pow(Math.max(final, 0), HOURS_PER_YEAR / n) - 1 : null;
  return { total: final - 1, annualised, sharpe, maxDrawdown: maxDd, drawdown };
}

function tradeStats(returns: readonly number[], exposure: number | null): Pick<PnlStats, 'trades' | 'win_rate' | 'profit_factor' | 'gross_profit' | 'gross_loss' | 'mean_trade_return' | 'exposure'> {
  let wins = 0;
  let gain = 0;
  let loss = 0;
  let sum = 0;
  for (const r of returns) {
    sum += r;
    if (r > 0) {
      wins++;
      gain += r;
    } else loss -= r;
  }
  const n = returns.length;
  return {
    trades: n,
    win_rate: n ? wins / n : null,
    profit_factor: loss > 0 ? gain / loss : null,
    gross_profit: gain,
    gross_loss: loss,
    mean_trade_return: n ? sum / n : null,
    exposure,
  };
}

function shuffle(xs: Int32Array, random: Mulberry32): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const x = xs[i];
    xs[i] = xs[j];
    xs[j] = x;
  }
}

/** scratch of spacedSample: a bit set of the values of [0, m) taken (cleared after each draw) and the picks */
interface SampleScratch {
  taken: Int32Array;
  picks: Int32Array;
}

export function sampleScratch(maxSize: number, maxK: number): SampleScratch {
  return { taken: new Int32Array((Math.max(1, maxSize) + 31) >>> 5), picks: new Int32Array(Math.max(1, maxK)) };
}

/** below this many picks sorting them beats reading the bit set back in order */
const SORT_BELOW = 64;

/**
 * k distinct sorted indices in [0, size) at least `spacing` apart (spacing shrinks only if k such do not fit). Its
 * loops are functions of their own, each ending right after its loop: code compiled on stack inside a loop in its
 * first call, before the code after that loop had run, was entered again on every later call and thrown away at
 * once each time (≈ 1,100 times in the backtest's P&L worker).
 */
export function spacedSample(random: Mulberry32, size: number, k: number, spacing: number, scratch: SampleScratch): Int32Array {
  let s = spacing;
  if (k > 1 && size - (k - 1) * (s - 1) < k) s = Math.max(1, Math.floor((size - k) / (k - 1)) + 1);
  const m = size - (k - 1) * (s - 1);
  const { taken } = scratch;
  const picks = scratch.picks.subarray(0, k);
  floydPicks(random, m, k, taken, picks);
  if (k < SORT_BELOW) {
    picks.sort();
    clearTaken(taken, picks, k);
  } else readTakenInOrder(taken, picks, k);
  spreadPicks(picks, k, s - 1);
  return picks;
}

/** Floyd's algorithm: k distinct values from [0, m) in O(k), marked in the bit set `taken` */
function floydPicks(random: Mulberry32, m: number, k: number, taken: Int32Array, picks: Int32Array): void {
  let n = 0;
  for (let j = m - k; j < m; j++) {
    const t = random.below(j + 1);
    const v = taken[t >>> 5] & (1 << (t & 31)) ? j : t;
    taken[v >>> 5] |= 1 << (v & 31);
    picks[n++] = v;
  }
}

function clearTaken(taken: Int32Array, picks: Int32Array, k: number): void {
  for (let i = 0; i < k; i++) taken[picks[i] >>> 5] = 0;
}

/** the same ascending order, read off the bit set (cleared on the way): O(m / 32) rather than O(k log k) */
function readTakenInOrder(taken: Int32Array, picks: Int32Array, k: number): void {
  let n = 0;
  for (let w = 0; n < k; w++) {
    let bits = taken[w];
    taken[w] = 0;
    while (bits !== 0) {
      const low = bits & -bits;
      picks[n++] = (w << 5) + 31 - Math.clz32(low);
      bits ^= low;
    }
  }
}

/** the i-th pick moved up by i · gap: k picks from the shrunk range become k picks `gap` + 1 apart */
function spreadPicks(picks: Int32Array, k: number, gap: number): void {
  for (let i = 0; i < k; i++) picks[i] += i * gap;
}

/**
 * The exit / entry price ratio of a trade held `hold` hours from each present hour of a symbol (NaN where no
 * close follows the entry). The random entries read these instead of walking to the exit for each draw; rows and
 * directions share them (every event type's row trades some of the "all" row's symbols and holds).
 */
class EntryRatios {
  private readonly tables = new Map<string, Float64Array>();

  constructor(private readonly grid: Grid) {}

  of(range: SymbolRange, hold: number): Float64Array {
    const key = `${range.symbol}|${hold}`;
    let table = this.tables.get(key);
    if (!table) {
      const { grid } = this;
      const present = range.present;
      table = new Float64Array(present.length);
      for (let j = 0; j < present.length; j++) {
        const g = present[j];
        const { e } = exitIndex(grid, range, g, hold);
        table[j] = e <= g ? NaN : grid.close[e] / grid.close[g];
      }
      this.tables.set(key, table);
    }
    return table;
  }
}

/** one symbol's legs in a row's random entries, as typed arrays: drawPlan stays monomorphic whatever the row */
interface EntryPlan {
  /** present hours of the symbol: the random entries are drawn among them */
  size: number;
  /** the exit/entry ratio tables of the legs' holds, and per leg the index of its table */
  tables: Float64Array[];
  tableOf: Int32Array;
  d: Float64Array;
  fee: Float64Array;
  /** legs[order[i]] is the i-th leg after the shuffles so far */
  order: Int32Array;
  spacing: number;
}

/**
 * One draw of one plan: the legs shuffled onto k spaced random hours, the product of their trade multipliers
 * (a leg with no close after its hour takes no trade). count[0] += trades taken. Its own function over typed
 * arrays: inside randomEntries the loop ran ≈ 5× slower than the same loop alone (its arrays' shapes differed
 * from row to row, and the optimiser kept discarding it).
 */
function drawPlan(plan: EntryPlan, random: Mulberry32, scratch: SampleScratch, count: Int32Array): number {
  const { order, d, fee } = plan;
  const k = d.length;
  shuffle(order, random);
  const idx = spacedSample(random, plan.size, k, plan.spacing, scratch);
  let value = 1;
  let taken = 0;
  if (plan.tables.length === 1) {
    const table = plan.tables[0];
    for (let i = 0; i < k; i++) {
      const leg = order[i];
      const x = table[idx[i]];
      if (x !== x) continue;
      taken++;
      value *= tradeMultiplier(x, d[leg], fee[leg]);
    }
  } else {
    const { tables, tableOf } = plan;
    for (let i = 0; i < k; i++) {
      const leg = order[i];
      const x = tables[tableOf[leg]][idx[i]];
      if (x !== x) continue;
      taken++;
      value *= tradeMultiplier(x, d[leg], fee[leg]);
    }
  }
  count[0] += taken;
  return value;
}

function entryPlan(range: SymbolRange, legs: readonly Leg[], ratios: EntryRatios): EntryPlan {
  const tables: Float64Array[] = [];
  const tableOf = new Int32Array(legs.length);
  legs.forEach((l, i) => {
    const t = ratios.of(range, l.hold);
    let at = tables.indexOf(t);
    if (at < 0) at = tables.push(t) - 1;
    tableOf[i] = at;
  });
  return {
    size: range.present.length,
    tables,
    tableOf,
    d: Float64Array.from(legs, (l) => l.d),
    fee: Float64Array.from(legs, (l) => l.fee),
    order: Int32Array.from(legs, (_, i) => i),
    spacing: Math.max(1, ...legs.map((l) => l.hold)),
  };
}

function randomEntries(sim: Simulated, ranges: readonly SymbolRange[], actual: number, o: PnlOptions, key: string, ratios: EntryRatios): RandomEntries | null {
  const n = o.random_entries;
  if (n === 0 || sim.trades.length === 0) return null;
  const random = new Mulberry32(hashSeed(o.seed, `pnl|${key}`));
  const plans = ranges.map((range) => entryPlan(range, sim.legs.get(range.symbol) ?? [], ratios));
  const totals = new Float64Array(n);
  const count = new Int32Array(1);
  let asGood = 0;
  const scratch = sampleScratch(Math.max(1, ...plans.map((p) => p.size)), Math.max(1, ...plans.map((p) => p.d.length)));
  for (let p = 0; p < n; p++) {
    let sum = 0;
    for (let q = 0; q < plans.length; q++) sum += plans[q].d.length === 0 ? 1 : drawPlan(plans[q], random, scratch, count);
    const total = sum / plans.length - 1;
    totals[p] = total;
    if (total >= actual - 1e-12 * Math.max(1, Math.abs(actual))) asGood++;
  }
  let s = 0;
  for (const t of totals) s += t;
  return {
    permutations: n,
    mean_trades: count[0] / n,
    mean_total_return: s / n,
    median_total_return: median(Array.from(totals))!,
    p_value: (1 + asGood) / (1 + n),
  };
}

function rowFor(grid: Grid, book: Book, o: PnlOptions, ratios: EntryRatios): { row: PnlRow; curve: EquityCurve; trades: Trade[] } {
  const sim = simulate(grid, book, o);
  const symbols = [...new Set(book.alerts.filter((a) => hourIndex(grid, a.symbol, a.ts) >= 0).map((a) => a.symbol))].sort();
  const ranges = symbols.map((s) => grid.bySymbol.get(s)!);
  const tl = timelineOf(ranges);
  const fee = o.fee_pct / 100;
  const sum = new Float64Array(tl.hours);
  const bhSum = new Float64Array(tl.hours);
  const bhReturns: number[] = [];
  let held = 0;
  let present = 0;
  ranges.forEach((r) => {
    const legs = sim.legs.get(r.symbol) ?? [];
    markSleeve(grid, r, legs, tl, sum);
    bhReturns.push(markBuyAndHold(grid, r, fee, tl, bhSum));
    for (const l of legs) held += l.e - l.g;
    present += r.present.length;
  });
  const n = Math.max(1, ranges.length);
  const equity = dividedBy(sum, n);
  const bh = dividedBy(bhSum, n);
  const c = curveStats(equity);
  const b = curveStats(bh);
  const strategy: PnlStats = {
    ...tradeStats(sim.trades.map((t) => t.return), present ? held / present : null),
    total_return: c.total,
    annualised_return: c.annualised,
    sharpe: c.sharpe,
    max_drawdown: c.maxDrawdown,
  };
  const buyAndHold: PnlStats = {
    ...tradeStats(bhReturns, present ? 1 : null),
    total_return: b.total,
    annualised_return: b.annualised,
    sharpe: b.sharpe,
    max_drawdown: b.maxDrawdown,
  };
  const types = [...new Set(book.alerts.map((a) => a.event_type))];
  const strategies = types.map((t) => strategyOf(o, t));
  const follows = new Set(strategies.map((s) => s.follow));
  const holds = new Set(strategies.map((s) => s.hold_hours));
  const row: PnlRow = {
    key: book.key,
    follow: follows.size === 1 ? [...follows][0] : follows.size === 0 ? o.follow : 'mixed',
    hold_hours: holds.size === 1 ? [...holds][0] : holds.size === 0 ? o.hold_hours : null,
    symbols,
    alerts: book.alerts.length,
    skipped: sim.skipped,
    early_exits: sim.early,
    strategy,
    buy_and_hold: buyAndHold,
    random: randomEntries(sim, ranges, c.total, o, book.key, ratios),
  };
  const ts = hourTimes(tl);
  return { row, curve: { key: book.key, ts, equity, drawdown: c.drawdown, buy_and_hold: bh }, trades: sim.trades };
}

function dividedBy(xs: Float64Array, n: number): Float64Array {
  const out = new Float64Array(xs.length);
  for (let t = 0; t < xs.length; t++) out[t] = xs[t] / n;
  return out;
}

function hourTimes(tl: Timeline): Float64Array {
  const ts = new Float64Array(tl.hours);
  for (let i = 0; i < tl.hours; i++) ts[i] = tl.start + i * HOUR_MS;
  return ts;
}

/** the order alerts are taken in: by hour, then event type and id, so equal inputs give equal books */
function byTime(a: ScorableAlert, b: ScorableAlert): number {
  return a.ts - b.ts || (a.event_type < b.event_type ? -1 : a.event_type > b.event_type ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Paper P&L of every event type's strategy and of all alerts in one book. `alerts` carry the symbol they are
 * traded on (a pair alert's lagging symbol) and their direction.
 */
export function paperPnl(prices: readonly PriceSeries[], alerts: readonly ScorableAlert[], options?: unknown): PaperPnl {
  const o = parsePnlOptions(options);
  const grid = buildGrid(prices, 1);
  const sorted = [...alerts].sort(byTime);
  const types = [...new Set(sorted.map((a) => a.event_type))].sort();
  const books: Book[] = [{ key: 'all', alerts: sorted }, ...types.map((t) => ({ key: t, alerts: sorted.filter((a) => a.event_type === t) }))];
  const rows: PnlRow[] = [];
  const curves: EquityCurve[] = [];
  const trades = new Map<string, Trade[]>();
  const ratios = new EntryRatios(grid);
  for (const book of books) {
    const r = rowFor(grid, book, o, ratios);
    rows.push(r.row);
    curves.push(r.curve);
    trades.set(book.key, r.trades);
  }
  return { summary: toPlain({ options: o, start: grid.start, end: grid.end, rows }), curves, trades };
}
