/**
 * One breakdown row of the random baseline in WebAssembly, for the scorer's default four horizons: its true alerts,
 * false alarms and first-episode detections (countRow) and its four horizons' sums (sumFourHorizons) in one pass
 * over its members, from the permutation's placements in this kernel's memory.
 *
 * Why it keeps every bit: each sum adds the same terms in the same order as the JavaScript (f64 adds and
 * multiplies round alike, and WebAssembly never fuses them), the counts are integers. Why it is faster: no bounds
 * check per typed-array access and no JavaScript number conversions, in a loop the row runs ≈ 26 k times per
 * permutation of the default backtest.
 *
 * An alert whose draw reaches more than one episode (rare) is listed in `pending` instead of being counted here: the
 * caller counts its later episodes with the same seen-stamps afterwards. A row's detections are the number of
 * distinct episodes its alerts reach, which does not depend on the order in which they are marked.
 */
import { compileModule, F64, I32, instantiate, laidOutMemory, moduleBytes, op } from '../wasm-assembler.ts';

/** the kernel's parameters, byte addresses into its memory but size and round */
const [MEMBERS, SIZE, INFO, DIR, RET, STAMP, ROUND, PENDING, OUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const PARAMS = 9;
// i32 locals after the parameters
const [I, A, X, REACH, FIRST, SEEN, FRESH, SOME, TA, FA, DET, NP, D, P] = Array.from({ length: 14 }, (_, k) => PARAMS + k);
/** per horizon: hits, missing, missing directional (i32) */
const HITS = (h: number) => PARAMS + 14 + 3 * h;
const MISSING = (h: number) => PARAMS + 15 + 3 * h;
const MISSING_DIRECTIONAL = (h: number) => PARAMS + 16 + 3 * h;
const I32_LOCALS = 14 + 12;
// f64 locals after those
const [DF, V, DV] = [0, 1, 2].map((k) => PARAMS + I32_LOCALS + k);
const SUM_ABS = (h: number) => PARAMS + I32_LOCALS + 3 + 2 * h;
const SUM_DIRECTIONAL = (h: number) => PARAMS + I32_LOCALS + 4 + 2 * h;
const F64_LOCALS = 3 + 8;

/** out's layout: ta, fa, det, pending count, then per horizon missing, missing directional, hits, Σ|v|, Σ d·v */
export const OUT_VALUES = 4 + 5 * 4;

const addTo = (local: number, value: number[]) => [...op.get(local), ...value, ...op.i32Add, ...op.set(local)];
/** (x | −x) >>> 31: 1 when x ≠ 0 */
const nonZero = (local: number) => [...op.get(local), ...op.i32Const(0), ...op.get(local), ...op.i32Sub, ...op.i32Or, ...op.i32Const(31), ...op.i32ShrU];

function horizon(h: number): number[] {
  return [
    ...[...op.get(P), ...op.f64Load(8 * h), ...op.tee(V), ...op.get(V), ...op.f64Eq],
    ...op.if,
    ...[...op.get(SUM_ABS(h)), ...op.get(V), ...op.f64Abs, ...op.f64Add, ...op.set(SUM_ABS(h))],
    ...[...op.get(DF), ...op.get(V), ...op.f64Mul, ...op.tee(DV)],
    ...[...op.get(SUM_DIRECTIONAL(h)), ...op.f64Add, ...op.set(SUM_DIRECTIONAL(h))],
    ...addTo(HITS(h), [...op.get(DV), ...op.f64Zero, ...op.f64Gt]),
    ...op.else,
    ...addTo(MISSING(h), op.i32Const(1)),
    ...addTo(MISSING_DIRECTIONAL(h), [...op.get(D), ...op.get(D), ...op.i32Mul]),
    ...op.end,
  ];
}

function kernelBytes(): Uint8Array {
  const at = (base: number, index: number, shift: number) => [...op.get(base), ...op.get(index), ...op.i32Const(shift), ...op.i32Shl, ...op.i32Add];
  const loop = [
    // a = members[i]; x = info[a]
    ...at(MEMBERS, I, 2), ...op.i32Load(), ...op.set(A),
    ...at(INFO, A, 2), ...op.i32Load(), ...op.tee(X),
    // ta += (x >> 1) & 1; fa += x & 1
    ...op.i32Const(1), ...op.i32ShrS, ...op.i32Const(1), ...op.i32And, ...op.get(TA), ...op.i32Add, ...op.set(TA),
    ...addTo(FA, [...op.get(X), ...op.i32Const(1), ...op.i32And]),
    // reach = (x >> 2) & 63; first = x >>> 8
    ...op.get(X), ...op.i32Const(2), ...op.i32ShrS, ...op.i32Const(63), ...op.i32And, ...op.set(REACH),
    ...op.get(X), ...op.i32Const(8), ...op.i32ShrU, ...op.set(FIRST),
    // countRow's seen-stamp of the first episode in reach, without a branch
    ...nonZero(REACH), ...op.set(SOME),
    ...at(STAMP, FIRST, 2), ...op.tee(P), ...op.i32Load(), ...op.tee(SEEN),
    ...op.get(ROUND), ...op.i32Xor, ...op.set(FRESH),
    ...addTo(DET, [...op.get(SOME), ...nonZero(FRESH), ...op.i32And]),
    ...op.get(P), ...op.get(SEEN), ...op.get(FRESH), ...op.i32Const(0), ...op.get(SOME), ...op.i32Sub, ...op.i32And, ...op.i32Xor, ...op.i32Store(),
    // more than one episode in reach: left to the caller
    ...op.get(REACH), ...op.i32Const(1), ...op.i32GtS,
    ...op.if,
    ...at(PENDING, NP, 2), ...op.get(A), ...op.i32Store(),
    ...addTo(NP, op.i32Const(1)),
    ...op.end,
    // the direction, and the alert's four returns side by side (ret[a · 4 + h])
    ...op.get(DIR), ...op.get(A), ...op.i32Add, ...op.i32Load8S(), ...op.tee(D), ...op.f64ConvertI32S, ...op.set(DF),
    ...at(RET, A, 5), ...op.set(P),
    ...[0, 1, 2, 3].flatMap(horizon),
    // i += 1, again while i < size
    ...op.get(I), ...op.i32Const(1), ...op.i32Add, ...op.tee(I), ...op.get(SIZE), ...op.i32LtS, ...op.brIf(0),
  ];
  const store = (k: number, local: number, type: number) => [...op.get(OUT), ...op.get(local), ...(type === I32 ? op.f64ConvertI32S : []), ...op.f64Store(8 * k)];
  const body = [
    ...op.block,
    ...op.get(SIZE), ...op.i32Eqz, ...op.brIf(0),
    ...op.loop, ...loop, ...op.end,
    ...op.end,
    ...store(0, TA, I32), ...store(1, FA, I32), ...store(2, DET, I32), ...store(3, NP, I32),
    ...[0, 1, 2, 3].flatMap((h) => [
      ...store(4 + 5 * h, MISSING(h), I32),
      ...store(5 + 5 * h, MISSING_DIRECTIONAL(h), I32),
      ...store(6 + 5 * h, HITS(h), I32),
      ...store(7 + 5 * h, SUM_ABS(h), F64),
      ...store(8 + 5 * h, SUM_DIRECTIONAL(h), F64),
    ]),
  ];
  return moduleBytes('row', PARAMS, [[I32_LOCALS, I32], [F64_LOCALS, F64]], body);
}

let compiled: object | null = null;

type RowFunction = (members: number, size: number, info: number, dir: number, ret: number, stamp: number, round: number, pending: number, out: number) => void;

/** a spec's arrays in one kernel memory: the views the JavaScript side fills and reads, and the row function */
export interface RowKernel {
  row: RowFunction;
  /** every row's members, one after another (memberAt[r]: row r's byte address) */
  memberAt: Int32Array;
  /** per placement scratch (one per permutation placed before their rows are counted): each alert's meta record */
  info: Int32Array[];
  /** per placement scratch: four returns per alert */
  ret: Float64Array[];
  stamp: Int32Array;
  pending: Int32Array;
  out: Float64Array;
  addresses: { info: number[]; dir: number; ret: number[]; stamp: number; pending: number; out: number };
}

/**
 * The kernel memory of a spec with `alerts` alerts, these rows and `episodes` episodes, with `copies` sets of placement
 * scratch: sized once, so it never grows (growing would detach its buffer, which costs the thread its optimised
 * typed-array code: simd-convolve.ts)
 */
export function rowKernel(alerts: number, rows: readonly Int32Array[], dir: Int8Array, episodes: number, copies = 1): RowKernel {
  const n = Math.max(1, alerts);
  const memberCount = rows.reduce((s, m) => s + m.length, 0);
  const sets = Array.from({ length: copies }, (_, q) => q);
  // f64 arrays first (8-byte aligned), then the i32 arrays, then the directions
  const layout: [string, number][] = [
    ['out', 8 * OUT_VALUES],
    ...sets.map((q): [string, number] => [`ret${q}`, 8 * 4 * n]),
    ['members', 4 * Math.max(1, memberCount)],
    ...sets.map((q): [string, number] => [`info${q}`, 4 * n]),
    ['stamp', 4 * (episodes + 1)],
    ['pending', 4 * n],
    ['dir', n],
  ];
  const { memory, address: addr } = laidOutMemory(layout);
  const buffer = memory.buffer;
  const members = new Int32Array(buffer, addr.members, Math.max(1, memberCount));
  const memberAt = new Int32Array(rows.length);
  let at = 0;
  rows.forEach((m, r) => {
    memberAt[r] = addr.members + 4 * at;
    members.set(m, at);
    at += m.length;
  });
  new Int8Array(buffer, addr.dir, n).set(dir);
  compiled ??= compileModule(kernelBytes());
  return {
    row: instantiate<RowFunction>(compiled, memory, 'row'),
    memberAt,
    info: sets.map((q) => new Int32Array(buffer, addr[`info${q}`], n)),
    ret: sets.map((q) => new Float64Array(buffer, addr[`ret${q}`], 4 * n)),
    stamp: new Int32Array(buffer, addr.stamp, episodes + 1),
    pending: new Int32Array(buffer, addr.pending, n),
    out: new Float64Array(buffer, addr.out, OUT_VALUES),
    addresses: { info: sets.map((q) => addr[`info${q}`]), dir: addr.dir, ret: sets.map((q) => addr[`ret${q}`]), stamp: addr.stamp, pending: addr.pending, out: addr.out },
  };
}
