/**
 * What a random alert needs, per symbol and indexed by the draw itself (the index into the symbol's present
 * hours), so a placement reads one 32-byte record and one int rather than grid-sized tables: the baseline makes
 * ≈ 26 million random placements per default scorecard and is bound by their cache misses, which the 48-byte
 * grid-wide `Market.hourly` rows (after a lookup in `present`) doubled.
 *
 * For draw j of a symbol (grid hour g = present[j]):
 *   ret[j · H + k]   the forward return of horizon k, exactly Market.hourly's value (NaN when excluded)
 *   meta[j]          bits 0–1 truth (TRUTH_TRUE / TRUTH_FALSE / 0 unevaluable), bits 2–7 how many episodes an
 *                    alert at g lies in the lead window of (REACH_SATURATED: that many or more, count them from
 *                    `hours`), bits 8–31 the first of them (they are consecutive)
 * Built once per market, on first use, so markets that never run a baseline (sweeps) do not pay for it.
 */
import { FALSE_ALARM, TRUE_ALERT, type Market } from './market.ts';
import { float64s, int32s } from './market-arrays.ts';

export interface SymbolDraws {
  len: number;
  /** the grid hour of each draw (the symbol's present hours) */
  hours: Int32Array;
  ret: Float64Array;
  meta: Int32Array;
}

export interface DrawTables {
  horizons: number;
  lead: number;
  epStart: Int32Array;
  bySymbol: Map<string, SymbolDraws>;
}

export const TRUTH_TRUE = 2;
export const TRUTH_FALSE = 1;
export const REACH_SATURATED = 63;
/** what bits 8–31 can index */
export const MAX_EPISODES = 1 << 24;

const cache = new WeakMap<Market, DrawTables>();

export function drawTables(market: Market): DrawTables {
  let tables = cache.get(market);
  if (!tables) {
    tables = buildDrawTables(market);
    cache.set(market, tables);
  }
  return tables;
}

/** the tables of a market cloned from a worker together with it (baseline-pool.ts market()): no rebuild */
export function adoptDrawTables(market: Market, tables: DrawTables): void {
  cache.set(market, tables);
}

function buildDrawTables(market: Market): DrawTables {
  const { hourly, stride, grid } = market;
  const { epStart } = market.labels;
  const episodes = epStart.length;
  if (episodes >= MAX_EPISODES) throw new Error(`random baseline: ${episodes} large-move episodes, more than the ${MAX_EPISODES - 1} it can index`);
  const lead = market.options.lead_window_hours;
  const H = stride - 2;
  const bySymbol = new Map<string, SymbolDraws>();
  for (const range of grid.symbols) bySymbol.set(range.symbol, symbolDraws(hourly, stride, range.present, epStart, lead));
  return { horizons: H, lead, epStart, bySymbol };
}

/** one symbol's draws */
function symbolDraws(hourly: Float64Array, stride: number, hours: Int32Array, epStart: Int32Array, lead: number): SymbolDraws {
  const len = hours.length;
  const ret = float64s(len * (stride - 2));
  const meta = int32s(len);
  fillDraws(hourly, stride, hours, epStart, lead, ret, meta);
  return { len, hours, ret, meta };
}

/**
 * each hour's meta record and returns. A function that ends at its loop: optimised in its loop on the first symbol,
 * it stays so for the next. As the loop inside buildDrawTables it was optimised again for every symbol, ≈ 13 ms of a
 * cold build of ≈ 17 ms on a sweep's holdout market; inside symbolDraws the object made after it, not yet made when
 * the loop was compiled, threw that code away once per symbol in every worker (--trace-deopt)
 */
function fillDraws(hourly: Float64Array, stride: number, hours: Int32Array, epStart: Int32Array, lead: number, ret: Float64Array, meta: Int32Array): void {
  const H = stride - 2;
  for (let j = 0; j < hours.length; j++) {
    const g = hours[j];
    const b = g * stride;
    meta[j] = metaRecord(truthCode(hourly[b]), g, hourly[b + 1] | 0, epStart, lead);
    for (let k = 0; k < H; k++) ret[j * H + k] = hourly[b + 2 + k];
  }
}

/** a market truth's bits in a meta record: TRUTH_TRUE, TRUTH_FALSE, or 0 for unevaluable */
export function truthCode(truth: number): number {
  return truth === TRUE_ALERT ? TRUTH_TRUE : truth === FALSE_ALARM ? TRUTH_FALSE : 0;
}

/**
 * the meta record of an alert at grid hour g (truth bits `code`, its next episode `first`): the episodes from `first`
 * on that start within its lead window, counted up to REACH_SATURATED. The compact layout's info is the same record
 * for every hour (evaluator.ts)
 */
export function metaRecord(code: number, g: number, first: number, epStart: Int32Array, lead: number): number {
  let e = first;
  while (e < epStart.length && epStart[e] <= g + lead && e - first < REACH_SATURATED) e++;
  return code | ((e - first) << 2) | (first << 8);
}
