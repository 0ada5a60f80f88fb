/**
 * Random baseline: the same number of alerts per symbol (and the same directions) at uniformly random hours
 * that have a candle, drawn with replacement, N times. For a metric where higher is better
 *   p = (1 + #{perm ≥ actual}) / (1 + N)          (≤ for lower-is-better metrics)
 * over the permutations where the metric is defined; lift = actual / baseline mean, only when the mean is > 0.
 *
 * Shared placements. In permutation p every anchored alert of the scorecard is placed once, at a random present
 * hour of its symbol chosen by a hash of (seed, the alert's key, p) (engine/score/prng.ts), and every breakdown
 * row is evaluated from those same placements. A row's null distribution is what it was with a stream per row
 * (each of its alerts uniform on its symbol's hours, with replacement, directions kept); rows are now correlated
 * with each other, which per-row p-values do not mind. Because the draws are a pure function of (seed, key, p),
 * a row's baseline depends on its own alerts only, not on the input order or the other rows, and any split of
 * the permutations over threads gives the same bits.
 *
 * Order. The spec lists the alerts grouped by symbol (symbols sorted), by key text within a symbol; a row's
 * members are ascending indices into that list, and every float sum runs over a row's members in that order —
 * here, in the reference (baseline-reference.ts) and in the scorecard's actual values.
 */
import { drawTables, REACH_SATURATED, type SymbolDraws } from './draw-table.ts';
import { metricSpecs, nabScore, type MetricSpec, type Universe } from './evaluator.ts';
import type { Market } from './market.ts';
import { alertStream, permutationSalt, placementBits } from './prng.ts';
import { rowKernel, type RowKernel } from './row-kernel.ts';
import type { BaselineStat } from './types.ts';

/** one breakdown row of a baseline: its alerts (ascending indices into the spec's alerts) and its denominators */
export interface BaselineRowSpec {
  members: Int32Array;
  universe: Universe;
}

/** A scorecard's random baselines, plain data (it is posted to workers as it is). */
export interface BaselineSpec {
  /** the symbols the alerts lie on, sorted; the alerts come grouped in this order, counts[i] on symbols[i] */
  symbols: string[];
  counts: number[];
  /** per alert: its key (textKey of its identity) and its direction */
  keys: Uint32Array;
  dir: Int8Array;
  rows: BaselineRowSpec[];
  seed: number;
  permutations: number;
}

/** metric values per permutation and row */
export function metricCount(market: Market): number {
  return metricSpecs(market.options.horizons_hours).length;
}

/** where value j of row r, permutation p lies in values of permutations [from, to): ((r · (to − from)) + p − from) · m + j */
export function valueOffset(r: number, p: number, from: number, to: number, m: number): number {
  return (r * (to - from) + p - from) * m;
}

/** copies the values of permutations [from, to) into the values of all `permutations` (the same layout) */
export function placeSlice(all: Float64Array, slice: Float64Array, rows: number, permutations: number, from: number, to: number, m: number): void {
  const width = (to - from) * m;
  for (let r = 0; r < rows; r++) all.set(slice.subarray(r * width, (r + 1) * width), valueOffset(r, from, 0, permutations, m));
}

/**
 * Per metric j over the permutations in order: the sum and count of its defined values and how many are as good as
 * actual[j]. Its own function: called once per breakdown row, the loop is optimised on the first call and stays
 * so (inside summariseBaseline it was recompiled for every row, the code after it never having run).
 */
function foldPermutations(values: Float64Array, actual: Float64Array, lower: Uint8Array, sum: Float64Array, defined: Int32Array, asGood: Int32Array): void {
  const m = sum.length;
  const permutations = m === 0 ? 0 : values.length / m;
  for (let p = 0; p < permutations; p++) {
    for (let j = 0; j < m; j++) {
      const v = values[p * m + j];
      if (v !== v) continue;
      sum[j] += v;
      defined[j]++;
      const a = actual[j];
      if (lower[j] ? v <= a + tolerance(a) : v >= a - tolerance(a)) asGood[j]++;
    }
  }
}

/** floating-point sums of the same hours in another order must still count as ties */
function tolerance(x: number): number {
  return 1e-12 * Math.max(1, Math.abs(x));
}

/**
 * The metric values of permutations [from, to) of every row of `spec`, laid out as valueOffset says, NaN where
 * a metric is undefined.
 *
 * The same values, bit for bit, as placing each permutation's alerts and calling AlertSetEvaluator.evaluate per
 * row (baseline-reference.ts; the tests compare the two). The placements are bound by cache misses on the
 * per-symbol draw tables (draw-table.ts), so each alert is drawn and gathered once per permutation, with no
 * branch on the loaded data so many misses are in flight at once, into small scratch arrays, a few permutations
 * at a time and one symbol's table at a time (placeChunk); the rows are then counted over that in-cache scratch
 * with branch-free arithmetic for the coin-flip conditions (hit or not, episode seen or not), a fresh seen-stamp
 * per row and permutation.
 *
 * Small functions over typed arrays and numbers only: each is optimised once per thread and stays optimised
 * (one large function was recompiled ≈ 15 times per backtest as new paths and object shapes reached it, ≈ a fifth
 * of the optimising compiler's time on the run, by --trace-opt). Four horizons a pass (sumFourHorizons).
 */
export function permutationValues(market: Market, spec: BaselineSpec, from: number, to: number): Float64Array {
  const k = kernelOf(market, spec);
  const m = metricCount(market);
  const rows = spec.rows;
  const H = k.horizons;
  const values = new Float64Array(rows.length * (to - from) * m);
  const counts = new Int32Array(3);
  const sums = new Float64Array(5 * H);
  for (let p0 = from; p0 < to; p0 += k.drawn.length) {
    const p1 = Math.min(to, p0 + k.drawn.length);
    placeChunk(k, p0, p1);
    for (let p = p0; p < p1; p++) rowValues(k, rows, p - p0, p, from, to, m, counts, sums, values);
  }
  return values;
}

/**
 * Permutations placed one symbol at a time before any of their rows are counted: the draws of one symbol land in
 * its own table only, and a table read through in order first (a cheap streaming read) is then in cache for the
 * random gathers of all of them. Placed a permutation at a time, every permutation's gathers ranged over every
 * symbol's table (≈ 6 MB on the default backtest, past what this machine keeps in cache): a miss each, ≈ 55 ns.
 * Measured on the default backtest's baseline, one thread, 9 rounds alternating in one process: 628 against 877 ms
 * of CPU (the placements alone ≈ 240 against ≈ 550 ms); on a sweep's holdout (≈ 2 MB of tables, not read through)
 * unchanged.
 */
const PLACED_TOGETHER = 8;
/** fewer when their scratch would take more than this: a spec of many alerts places them one permutation at a time */
let scratchBytes = 4 * 2 ** 20;

/** the scratch budget of kernels made from now on (tests lower it to reach one permutation at a time); returns the last */
export function setScratchBytes(bytes: number): number {
  const last = scratchBytes;
  scratchBytes = bytes;
  return last;
}

/** the placements of permutations p0 … p1 − 1 into scratch sets 0 … p1 − p0 − 1 */
function placeChunk(k: Kernel, p0: number, p1: number): void {
  for (let b = 0, a = 0; b < k.draws.length; b++) {
    const t = k.draws[b];
    if (k.readThrough && (p1 - p0) * k.counts[b] * READ_THROUGH_DRAWS >= (t.len * k.horizons) / 8) {
      sink += readThrough(t.ret);
      readsThrough++;
    }
    for (let p = p0; p < p1; p++) placeBlock(k.stream, a, k.counts[b], permutationSalt(p), t.len, t.ret, t.meta, k.horizons, k.drawn[p - p0], k.info[p - p0], k.ret[p - p0]);
    a += k.counts[b];
  }
}

/**
 * The tables are read through when together they are larger than this (smaller ones stay in cache from one
 * permutation to the next: the default backtest's are ≈ 6 MB, a sweep's holdout's ≈ 2 MB)…
 */
const READ_THROUGH_ABOVE = 3 * 2 ** 20;
/** …and then a table only when a chunk's draws in it are at least 1 / READ_THROUGH_DRAWS of its 64-byte lines */
const READ_THROUGH_DRAWS = 8;

/** how many tables this thread has read through (tests check that theirs did) */
let readsThrough = 0;
/** the read-through sums, kept so the loads are not dropped */
let sink = 0;
export function tablesReadThrough(): number {
  return readsThrough;
}

/** one load per 64-byte line of the table, in order; its sum goes to `sink` */
function readThrough(table: Float64Array): number {
  let s = 0;
  for (let i = 0; i < table.length; i += 8) s += table[i];
  return s;
}

/** the metric values of every row in permutation p, from scratch set q */
function rowValues(k: Kernel, rows: readonly BaselineRowSpec[], q: number, p: number, from: number, to: number, m: number, counts: Int32Array, sums: Float64Array, values: Float64Array): void {
  const H = k.horizons;
  for (let r = 0; r < rows.length; r++) {
    const { members, universe } = rows[r];
    k.round++;
    if (k.rows) countAndSumRow(k, q, r, members.length, k.directional[r], counts, sums);
    else countRow(members, k.info[q], k.drawn[q], k.blockOf, k.draws, k.stamp, k.round, k.epStart, k.lead, counts);
    const ta = counts[0];
    const fa = counts[1];
    const det = counts[2];
    const E = universe.episodes;
    const weeks = universe.weeks;
    const out = valueOffset(r, p, from, to, m);
    values[out] = ta + fa > 0 ? ta / (ta + fa) : NaN;
    values[out + 1] = E > 0 ? det / E : NaN;
    values[out + 2] = E > 0 ? nabScore(det, fa, E) : NaN;
    values[out + 3] = weeks > 0 ? fa / weeks : NaN;
    // the WebAssembly row has already summed all four horizons
    let h = k.rows ? H : 0;
    for (; h + 4 <= H; h += 4) sumFourHorizons(members, k.ret[q], k.dir, H, h, k.directional[r], sums, h * 5);
    for (; h < H; h++) sumHorizon(members, k.ret[q], k.dir, H, h, k.directional[r], sums, h * 5);
    const tails = out + 4 + H * 3;
    for (let h = 0; h < H; h++) {
      const s = h * 5;
      const defined = sums[s];
      const directional = sums[s + 1];
      const at = out + 4 + h * 3;
      values[at] = defined > 0 ? sums[s + 3] / defined : NaN;
      values[at + 1] = directional > 0 ? sums[s + 4] / directional : NaN;
      values[at + 2] = directional > 0 ? sums[s + 2] / directional : NaN;
      values[tails + 2 * h] = values[at + 1];
      values[tails + 2 * h + 1] = values[at + 2];
    }
  }
}

/** what permutationValues needs of a (market, spec), built once: a pool's thread computes many slices of one spec */
interface Kernel {
  horizons: number;
  lead: number;
  epStart: Int32Array;
  draws: SymbolDraws[];
  counts: number[];
  stream: Uint32Array;
  blockOf: Int32Array;
  dir: Int8Array;
  /**
   * up to PLACED_TOGETHER sets of scratch, one per permutation of a chunk: per alert its draw, its meta record and
   * its H forward returns (ret[a · H + h])
   */
  drawn: Int32Array[];
  info: Int32Array[];
  ret: Float64Array[];
  /** whether the tables are read through before each chunk's placements (READ_THROUGH_ABOVE) */
  readThrough: boolean;
  /** one slot past the episodes: the first episode of a draw that reaches none may be `episodes` */
  stamp: Int32Array;
  round: number;
  /** per row, its members' Σ d²: the directional count of a horizon where every return is defined */
  directional: Int32Array;
  /** four horizons: the rows counted and summed in WebAssembly (row-kernel.ts), info, ret and stamp in its memory */
  rows: RowKernel | null;
}

const kernels = new WeakMap<BaselineSpec, { market: Market; kernel: Kernel }>();

/** whether kernels made from now on count four-horizon rows in WebAssembly: false only to test the JavaScript rows; returns the last setting */
let useRowKernel = true;
export function setRowKernel(on: boolean): boolean {
  const last = useRowKernel;
  useRowKernel = on;
  return last;
}

function kernelOf(market: Market, spec: BaselineSpec): Kernel {
  const known = kernels.get(spec);
  if (known && known.market === market) return known.kernel;
  const tables = drawTables(market);
  const n = spec.keys.length;
  const draws = spec.symbols.map((symbol) => {
    const d = tables.bySymbol.get(symbol);
    if (!d) throw new Error(`random baseline: symbol ${symbol} is not in the market`);
    return d;
  });
  const stream = new Uint32Array(n);
  for (let a = 0; a < n; a++) stream[a] = alertStream(spec.seed, spec.keys[a]);
  const blockOf = new Int32Array(n);
  for (let b = 0, a = 0; b < draws.length; b++) for (let c = 0; c < spec.counts[b]; c++) blockOf[a++] = b;
  const H = tables.horizons;
  const setCount = Math.max(1, Math.min(PLACED_TOGETHER, Math.floor(scratchBytes / (Math.max(1, n) * (8 + 8 * H)))));
  const rows = H === 4 && useRowKernel ? rowKernel(n, spec.rows.map((r) => r.members), spec.dir, tables.epStart.length, setCount) : null;
  const sets = Array.from({ length: setCount }, (_, q) => q);
  const kernel: Kernel = {
    horizons: H,
    lead: tables.lead,
    epStart: tables.epStart,
    draws,
    counts: spec.counts,
    stream,
    blockOf,
    dir: spec.dir,
    drawn: sets.map(() => new Int32Array(n)),
    info: rows?.info ?? sets.map(() => new Int32Array(n)),
    ret: rows?.ret ?? sets.map(() => new Float64Array(n * H)),
    readThrough: draws.reduce((bytes, d) => bytes + d.ret.byteLength, 0) > READ_THROUGH_ABOVE,
    stamp: rows?.stamp ?? new Int32Array(tables.epStart.length + 1),
    round: 0,
    directional: Int32Array.from(spec.rows, (row) => squaredDirections(row.members, spec.dir)),
    rows,
  };
  kernels.set(spec, { market, kernel });
  return kernel;
}

/** Σ d² over a row's members */
function squaredDirections(members: Int32Array, dir: Int8Array): number {
  let total = 0;
  for (let i = 0; i < members.length; i++) total += dir[members[i]] * dir[members[i]];
  return total;
}

/**
 * places alerts a0 … a0+count−1 (one symbol) in the permutation of `salt` and gathers what their rows read.
 * In passes — all the draws, then the meta records, then the returns — because the gathers are random reads of a
 * table larger than the caches: a loop of loads alone keeps many of them in flight at once, where one loop doing
 * everything per alert waited on each (≈ 20–25 % less CPU for the whole permutation, same values). An alert's
 * returns are one row of the table and one row of `ret` (alert-major): the row sums then read one cache line per
 * member for four horizons, not four (≈ 6 % less CPU for the permutations than horizon-major, same values).
 */
function placeBlock(stream: Uint32Array, a0: number, count: number, salt: number, len: number, table: Float64Array, meta: Int32Array, H: number, drawn: Int32Array, info: Int32Array, ret: Float64Array): void {
  const end = a0 + count;
  // drawIndex written out: the call made this kernel 10–30 % slower (a synthetic 6,000-alert spec, one thread)
  for (let a = a0; a < end; a++) drawn[a] = ((placementBits(stream[a], salt) / 4294967296) * len) | 0;
  for (let a = a0; a < end; a++) info[a] = meta[drawn[a]];
  if (H === 4) {
    // the scorer's default horizons, the copy written out: the loop over h cost more than the rest of the placement
    for (let a = a0; a < end; a++) {
      const from = drawn[a] * 4;
      const to = a * 4;
      ret[to] = table[from];
      ret[to + 1] = table[from + 1];
      ret[to + 2] = table[from + 2];
      ret[to + 3] = table[from + 3];
    }
    return;
  }
  for (let a = a0; a < end; a++) {
    const from = drawn[a] * H;
    const to = a * H;
    for (let h = 0; h < H; h++) ret[to + h] = table[from + h];
  }
}

/** a row's true and false alerts and detected episodes in the current placements: counts = [ta, fa, det] */
function countRow(members: Int32Array, info: Int32Array, drawn: Int32Array, blockOf: Int32Array, draws: SymbolDraws[], stamp: Int32Array, round: number, epStart: Int32Array, lead: number, counts: Int32Array): void {
  let ta = 0;
  let fa = 0;
  let det = 0;
  const size = members.length;
  for (let i = 0; i < size; i++) {
    const a = members[i];
    const x = info[a];
    ta += (x >> 1) & 1;
    fa += x & 1;
    const reach = (x >> 2) & REACH_SATURATED;
    const first = x >>> 8;
    // the first episode in reach, without a branch: seen[first] becomes round when reach > 0
    const some = (reach | -reach) >>> 31;
    const seen = stamp[first];
    const fresh = seen ^ round;
    det += some & ((fresh | -fresh) >>> 31);
    stamp[first] = seen ^ (fresh & -some);
    if (reach > 1) det += reach === REACH_SATURATED ? saturatedEpisodes(stamp, round, first, epStart, draws[blockOf[a]].hours[drawn[a]] + lead) : laterEpisodes(stamp, round, first, reach);
  }
  counts[0] = ta;
  counts[1] = fa;
  counts[2] = det;
}

/**
 * countRow and sumFourHorizons of row r for four horizons, by the WebAssembly row (row-kernel.ts), then the later
 * episodes of the alerts it left pending: the same counts and the same bits
 */
function countAndSumRow(k: Kernel, q: number, r: number, size: number, directional: number, counts: Int32Array, sums: Float64Array): void {
  const rk = k.rows!;
  const at = rk.addresses;
  rk.row(rk.memberAt[r], size, at.info[q], at.dir, at.ret[q], at.stamp, k.round, at.pending, at.out);
  const o = rk.out;
  let det = o[2];
  const info = k.info[q];
  const drawn = k.drawn[q];
  for (let i = 0; i < o[3]; i++) {
    const a = rk.pending[i];
    const x = info[a];
    const reach = (x >> 2) & REACH_SATURATED;
    const first = x >>> 8;
    det += reach === REACH_SATURATED ? saturatedEpisodes(k.stamp, k.round, first, k.epStart, k.draws[k.blockOf[a]].hours[drawn[a]] + k.lead) : laterEpisodes(k.stamp, k.round, first, reach);
  }
  counts[0] = o[0];
  counts[1] = o[1];
  counts[2] = det;
  for (let h = 0; h < 4; h++) store(sums, h * 5, size - o[4 + 5 * h], directional - o[5 + 5 * h], o[6 + 5 * h], o[7 + 5 * h], o[8 + 5 * h]);
}

/**
 * episodes first+1 … first+reach−1, those the row had not yet detected (rare: its own function, so its first use
 * does not discard countRow's optimised code). All are in reach by the draw table's count, so the alert's hour is
 * not read: a random load, missed on most of these alerts.
 */
function laterEpisodes(stamp: Int32Array, round: number, first: number, reach: number): number {
  let det = 0;
  for (let e = first + 1; e < first + reach; e++) {
    if (stamp[e] !== round) {
      stamp[e] = round;
      det++;
    }
  }
  return det;
}

/** laterEpisodes for an alert in reach of REACH_SATURATED episodes or more: those up to `limit` (its hour + the lead window) */
function saturatedEpisodes(stamp: Int32Array, round: number, first: number, epStart: Int32Array, limit: number): number {
  let det = 0;
  for (let e = first + 1; e < epStart.length && epStart[e] <= limit; e++) {
    if (stamp[e] !== round) {
      stamp[e] = round;
      det++;
    }
  }
  return det;
}

/**
 * A row's sums of one horizon, over its members with a defined return, in member order: sums[at … at+4] = defined,
 * directional (Σ d²), hits (d·v > 0), Σ |v|, Σ d·v. Undefined returns are rare, so the two counts are the row's
 * (its size, its Σ d²) less those of its undefined members, counted on the rare branch.
 */
function sumHorizon(members: Int32Array, ret: Float64Array, dir: Int8Array, H: number, h: number, directional: number, sums: Float64Array, at: number): void {
  let hits = 0;
  let sumAbs = 0;
  let sumDirectional = 0;
  let missing = 0;
  let missingDirectional = 0;
  const size = members.length;
  for (let i = 0; i < size; i++) {
    const a = members[i];
    const d = dir[a];
    const v = ret[a * H + h];
    if (v === v) {
      const dv = d * v;
      sumAbs += Math.abs(v);
      sumDirectional += dv;
      hits += Number(dv > 0);
    } else {
      missing++;
      missingDirectional += d * d;
    }
  }
  store(sums, at, size - missing, directional - missingDirectional, hits, sumAbs, sumDirectional);
}

/** sums[at … at+4] as sumHorizon lays them out */
function store(sums: Float64Array, at: number, defined: number, directional: number, hits: number, sumAbs: number, sumDirectional: number): void {
  sums[at] = defined;
  sums[at + 1] = directional;
  sums[at + 2] = hits;
  sums[at + 3] = sumAbs;
  sums[at + 4] = sumDirectional;
}

/**
 * sumHorizon of horizons h … h + 3 (side by side in an alert's row of ret) in one pass, into sums[at … at+19]. Written
 * out: eight independent float chains hide the latency of each add, and each member and direction is read once
 * (≈ 25 % less CPU for the whole permutation than one horizon a pass; the counts as sumHorizon's leave few
 * accumulators).
 */
function sumFourHorizons(members: Int32Array, ret: Float64Array, dir: Int8Array, H: number, h: number, directional: number, sums: Float64Array, at: number): void {
  let hits0 = 0, sumAbs0 = 0, sumDirectional0 = 0, missing0 = 0, missingDirectional0 = 0;
  let hits1 = 0, sumAbs1 = 0, sumDirectional1 = 0, missing1 = 0, missingDirectional1 = 0;
  let hits2 = 0, sumAbs2 = 0, sumDirectional2 = 0, missing2 = 0, missingDirectional2 = 0;
  let hits3 = 0, sumAbs3 = 0, sumDirectional3 = 0, missing3 = 0, missingDirectional3 = 0;
  const size = members.length;
  for (let i = 0; i < size; i++) {
    const a = members[i];
    const d = dir[a];
    const j = a * H + h;
    const v0 = ret[j];
    const v1 = ret[j + 1];
    const v2 = ret[j + 2];
    const v3 = ret[j + 3];
    if (v0 === v0) {
      const dv = d * v0;
      sumAbs0 += Math.abs(v0);
      sumDirectional0 += dv;
      hits0 += Number(dv > 0);
    } else {
      missing0++;
      missingDirectional0 += d * d;
    }
    if (v1 === v1) {
      const dv = d * v1;
      sumAbs1 += Math.abs(v1);
      sumDirectional1 += dv;
      hits1 += Number(dv > 0);
    } else {
      missing1++;
      missingDirectional1 += d * d;
    }
    if (v2 === v2) {
      const dv = d * v2;
      sumAbs2 += Math.abs(v2);
      sumDirectional2 += dv;
      hits2 += Number(dv > 0);
    } else {
      missing2++;
      missingDirectional2 += d * d;
    }
    if (v3 === v3) {
      const dv = d * v3;
      sumAbs3 += Math.abs(v3);
      sumDirectional3 += dv;
      hits3 += Number(dv > 0);
    } else {
      missing3++;
      missingDirectional3 += d * d;
    }
  }
  store(sums, at, size - missing0, directional - missingDirectional0, hits0, sumAbs0, sumDirectional0);
  store(sums, at + 5, size - missing1, directional - missingDirectional1, hits1, sumAbs1, sumDirectional1);
  store(sums, at + 10, size - missing2, directional - missingDirectional2, hits2, sumAbs2, sumDirectional2);
  store(sums, at + 15, size - missing3, directional - missingDirectional3, hits3, sumAbs3, sumDirectional3);
}

/** p-values, means and lifts from the values of permutations 0..N-1 in order (the order fixes the float sums) */
export function summariseBaseline(specs: readonly MetricSpec[], actual: Float64Array, values: Float64Array): Record<string, BaselineStat> {
  const m = specs.length;
  const sum = new Float64Array(m);
  const defined = new Int32Array(m);
  const asGood = new Int32Array(m);
  const lower = Uint8Array.from(specs, (s) => Number(s.better === 'lower'));
  foldPermutations(values, actual, lower, sum, defined, asGood);
  const stats: Record<string, BaselineStat> = {};
  specs.forEach((spec, j) => {
    const a = actual[j];
    const mean = defined[j] > 0 ? sum[j] / defined[j] : NaN;
    stats[spec.name] = {
      actual: Number.isFinite(a) ? a : null,
      mean: Number.isFinite(mean) ? mean : null,
      lift: Number.isFinite(a) && mean > 0 ? a / mean : null,
      p_value: Number.isFinite(a) && defined[j] > 0 ? (1 + asGood[j]) / (1 + defined[j]) : null,
      better: spec.better,
      n_perm: defined[j],
    };
  });
  return stats;
}
