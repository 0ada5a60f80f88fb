/**
 * One breakdown row of the random baseline in WebAssembly, for the scorer's default four horizons: its true alerts,
 * false alarms and first-episode detections (countRow) and its four horizons' sums (sumFourHorizons) in one pass
 * over its members, from the permutation's placements in this kernel's memory.
 *
 * Why it keeps every bit: each sum adds the same terms in the same order as the JavaScript (f64 adds and
 * multiplies round alike, and WebAssembly never fuses them; an undefined return adds +0, which changes no sum:
 * horizonPair), the counts are integers. Why it is faster: no bounds check per typed-array access and no JavaScript
 * number conversions, in a loop the row runs ≈ 26 k times per permutation of the default backtest; and the four
 * horizons two at a time in SIMD lanes, without a branch (one thread, 9 rounds alternating in one process against
 * the same kernel a horizon at a time with a branch on each return: the default backtest's whole baseline 651
 * against 790 and 731 against 928 ms of CPU, a sweep's holdout baseline 368 against 517 ms).
 *
 * An alert whose draw reaches more than one episode (rare) is listed in `pending` instead of being counted here: the
 * caller counts its later episodes with the same seen-stamps afterwards. A row's detections are the number of
 * distinct episodes its alerts reach, which does not depend on the order in which they are marked.
 */
import { compileModule, F64, I32, instantiate, laidOutMemory, moduleBytes, op, V128 } from '../wasm-assembler.ts';

/** the kernel's parameters, byte addresses into its memory but size and round */
const [MEMBERS, SIZE, INFO, DIR, RET, STAMP, ROUND, PENDING, OUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
const PARAMS = 9;
// i32 locals after the parameters
const [I, A, X, REACH, FIRST, SEEN, FRESH, SOME, TA, FA, DET, NP, D, P] = Array.from({ length: 14 }, (_, k) => PARAMS + k);
const I32_LOCALS = 14;
// one f64 local after those: the direction as a number
const DF = PARAMS + I32_LOCALS;
const F64_LOCALS = 1;
/**
 * v128 locals after that: horizons 0 and 1 in one pair of lanes, 2 and 3 in the other (pair q = h >> 1, lane h & 1).
 * Per pair: the returns, their defined mask, d·v, Σ|v|, Σ d·v (f64 lanes), hits, defined, missing Σ d² (i64 lanes)
 */
const V128_BASE = PARAMS + I32_LOCALS + F64_LOCALS;
const [DF2, ZERO, DD] = [0, 1, 2].map((k) => V128_BASE + k);
const PAIR = (q: number, k: number) => V128_BASE + 3 + 8 * q + k;
const [VALUES, DEFINED_MASK, DV, SUM_ABS, SUM_DIRECTIONAL, HITS, DEFINED, MISSING_DIRECTIONAL] = [0, 1, 2, 3, 4, 5, 6, 7];
const V128_LOCALS = 3 + 16;

/** out's layout: ta, fa, det, pending count, then per horizon missing, missing directional, hits, Σ|v|, Σ d·v */
export const OUT_VALUES = 4 + 5 * 4;

const addTo = (local: number, value: number[]) => [...op.get(local), ...value, ...op.i32Add, ...op.set(local)];
/** (x | −x) >>> 31: 1 when x ≠ 0 */
const nonZero = (local: number) => [...op.get(local), ...op.i32Const(0), ...op.get(local), ...op.i32Sub, ...op.i32Or, ...op.i32Const(31), ...op.i32ShrU];

/**
 * Two horizons side by side in the lanes of pair q. An undefined return (NaN) adds +0 to its sums, where the scalar
 * loop skipped it: a sum that starts at +0 never becomes −0 (x + y is −0 only when both are), and s + (+0) is s
 * for every other s, so the bits are the same. The masks are all ones in a lane where the return is defined
 * (v = v) or d·v > 0, so subtracting them counts.
 */
function horizonPair(q: number): number[] {
  const L = (k: number) => PAIR(q, k);
  return [
    ...[...op.get(P), ...op.v128Load(16 * q), ...op.tee(L(VALUES)), ...op.get(L(VALUES)), ...op.f64x2Eq, ...op.set(L(DEFINED_MASK))],
    ...[...op.get(L(SUM_ABS)), ...op.get(L(VALUES)), ...op.f64x2Abs, ...op.get(L(DEFINED_MASK)), ...op.v128And, ...op.f64x2Add, ...op.set(L(SUM_ABS))],
    ...[...op.get(DF2), ...op.get(L(VALUES)), ...op.f64x2Mul, ...op.set(L(DV))],
    ...[...op.get(L(SUM_DIRECTIONAL)), ...op.get(L(DV)), ...op.get(L(DEFINED_MASK)), ...op.v128And, ...op.f64x2Add, ...op.set(L(SUM_DIRECTIONAL))],
    ...[...op.get(L(HITS)), ...op.get(L(DV)), ...op.get(ZERO), ...op.f64x2Gt, ...op.i64x2Sub, ...op.set(L(HITS))],
    ...[...op.get(L(DEFINED)), ...op.get(L(DEFINED_MASK)), ...op.i64x2Sub, ...op.set(L(DEFINED))],
    ...[...op.get(L(MISSING_DIRECTIONAL)), ...op.get(DD), ...op.get(L(DEFINED_MASK)), ...op.v128AndNot, ...op.i64x2Add, ...op.set(L(MISSING_DIRECTIONAL))],
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
    ...op.get(DIR), ...op.get(A), ...op.i32Add, ...op.i32Load8S(), ...op.tee(D), ...op.f64ConvertI32S, ...op.tee(DF),
    ...op.f64x2Splat, ...op.set(DF2),
    ...op.get(D), ...op.get(D), ...op.i32Mul, ...op.i64ExtendI32S, ...op.i64x2Splat, ...op.set(DD),
    ...at(RET, A, 5), ...op.set(P),
    ...horizonPair(0),
    ...horizonPair(1),
    // i += 1, again while i < size
    ...op.get(I), ...op.i32Const(1), ...op.i32Add, ...op.tee(I), ...op.get(SIZE), ...op.i32LtS, ...op.brIf(0),
  ];
  const storeValue = (k: number, value: number[]) => [...op.get(OUT), ...value, ...op.f64Store(8 * k)];
  const storeI32 = (k: number, local: number) => storeValue(k, [...op.get(local), ...op.f64ConvertI32S]);
  const laneI64 = (local: number, lane: number) => [...op.get(local), ...op.i64x2ExtractLane(lane)];
  const body = [
    ...op.f64Zero, ...op.f64x2Splat, ...op.set(ZERO),
    ...op.block,
    ...op.get(SIZE), ...op.i32Eqz, ...op.brIf(0),
    ...op.loop, ...loop, ...op.end,
    ...op.end,
    ...storeI32(0, TA), ...storeI32(1, FA), ...storeI32(2, DET), ...storeI32(3, NP),
    ...[0, 1, 2, 3].flatMap((h) => {
      const L = (k: number) => PAIR(h >> 1, k);
      const lane = h & 1;
      return [
        // missing = size − defined
        ...storeValue(4 + 5 * h, [...op.get(SIZE), ...op.i64ExtendI32S, ...laneI64(L(DEFINED), lane), ...op.i64Sub, ...op.f64ConvertI64S]),
        ...storeValue(5 + 5 * h, [...laneI64(L(MISSING_DIRECTIONAL), lane), ...op.f64ConvertI64S]),
        ...storeValue(6 + 5 * h, [...laneI64(L(HITS), lane), ...op.f64ConvertI64S]),
        ...storeValue(7 + 5 * h, [...op.get(L(SUM_ABS)), ...op.f64x2ExtractLane(lane)]),
        ...storeValue(8 + 5 * h, [...op.get(L(SUM_DIRECTIONAL)), ...op.f64x2ExtractLane(lane)]),
      ];
    }),
  ];
  return moduleBytes('row', PARAMS, [[I32_LOCALS, I32], [F64_LOCALS, F64], [V128_LOCALS, V128]], body);
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
