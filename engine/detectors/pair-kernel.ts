/**
 * The correlation detector's hour for every followed pair (CorrelationDetector.updatePairs) in WebAssembly: the
 * running product sums, their rounding bound, the lagged correlations, the normal, the status and the leader, pair
 * by pair over the detector's state, which lives in this kernel's memory.
 *
 * Why it keeps every bit: each value comes from the same f64 operations in the same order as the JavaScript loop
 * (WebAssembly rounds alike and never fuses a multiply into an add); selects and lane masks stand where that loop
 * picks without a branch, and NaN passes through untouched (no min or max, which would make a NaN canonical). Lags
 * 1..L run both directions as the two lanes of one vector (a leading b, b leading a; their sums side by side). A
 * NaN product is masked to +0 and added rather than skipped, which leaves the sum as it was: a sum starts at +0,
 * and adding numbers gives −0 only when both are −0, so no sum is ever −0. pair-kernel.test.ts runs this kernel
 * and the JavaScript loop on the same data and compares every output bit. Why it is faster: at 100 symbols this
 * loop is most of the replay; here it has no bounds check per array access, and two lanes per operation.
 *
 * A pair whose sums must be rebuilt (a shift reset made them stale, or their rounding bound grew too large) stops
 * the kernel: it leaves the pair's index in the header, the detector rebuilds the sums in JavaScript and calls it
 * again from that pair with `resume` set, which goes on where it stopped.
 */
import { compileModule, F64, I32, instantiate, laidOutMemory, moduleBytes, op, V128 } from '../wasm-assembler.ts';

/** twice the unit roundoff */
export const EPS = 2 ** -52;
/** a pair's running product sums are rebuilt when their rounding could move a correlation by this much */
export const CORR_ACCURACY = 1e-11;

/**
 * A pair's fields after its sums in the state (f64 each): lag-0 products valid in the window and pushes since the
 * first valid one (saturating), for the status; at the last rebuild the largest Σ|product| over its windows and
 * each side's sumSq minus the deviations still to be paired; hours since then; 1 when a shift reset made its sums
 * stale; the normal's running sum and count.
 */
export const [F_VALID0, F_STARTED0, F_ABS0, F_SQA0, F_SQB0, F_SINCE, F_STALE, F_NSUM, F_NCOUNT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
export const FIELDS = 9;

/**
 * where a pair's lag-k sums sit among its 2L + 1 (lag 0 first): a leading by k and b leading by k side by side, so
 * the kernel updates and reads both directions as one two-lane vector
 */
export const sumAB = (k: number): number => 2 * k - 1;
export const sumBA = (k: number): number => 2 * k;

/** pair status codes (PairColumns.status) */
export const [ST_OK, ST_NO_DATA, ST_WARMING_UP, ST_GAP, ST_FLAT] = [0, 1, 2, 3, 4];

/** the header: the configuration's numbers (f64), the sizes and the arrays' byte addresses (i32), then the results */
const H_F64 = ['w', 'margin', 'minCoverage', 'normalHours', 'breakLevel', 'breakDrop'] as const;
/** the arrays' addresses are named with `At`: their values are locals of the plain names */
const H_I32 = ['pairs', 'lags', 'lagRow', 'stride', 'sums', 'stateAt', 'ringAt', 'curAt', 'oldAt', 'dmvAt', 'ivvAt', 'maxIvAt', 'maxDmAt', 'sumSqAt', 'flatAt', 'paAt', 'pbAt', 'statusAt', 'corrAt', 'normalAt', 'coverageAt', 'brokenAt', 'leaderAt', 'lagAt', 'strengthAt'] as const;
/** where the kernel leaves the pair to rebuild (−1: none, the hour is done), and the count of broken pairs */
const H_STOP = 8 * H_F64.length + 4 * H_I32.length;
const H_BROKEN = H_STOP + 4;
const HEADER_BYTES = H_BROKEN + 4;

/** run(from, resume, leaving, normalRow, header) */
const PARAMS = ['from', 'resume', 'leaving', 'normalRow', 'header'] as const;
const I32_LOCALS = [...H_I32, 'j', 'a', 'b', 'a8', 'b8', 'row', 'f', 'ok', 'k', 'k8', 'k16', 'lagAB', 'lagBA', 'corrOk', 'status', 'brokenCount', 'broken', 'leadsA', 'leadsB', 'ring8'] as const;
const F64_LOCALS = [...H_F64, 'xa', 'xb', 'ya', 'yb', 'v0', 'st', 'sn', 'q', 'ia', 'ib', 'sa', 'sb', 'qa', 'qb', 'err', 'dA0', 'iA0', 'dB0', 'iB0', 'corr', 'c', 'bestAB', 'bestBA', 'corrAB', 'corrBA', 'count', 'coverage', 'normal'] as const;
/** two-lane locals: lane 0 for a leading b, lane 1 for b leading a */
const V128_LOCALS = ['vx', 'vy', 'dOther', 'iOther', 'vq', 'vc', 'vabs', 'vtake', 'best', 'corrs', 'lagv'] as const;
type Name = (typeof PARAMS)[number] | (typeof I32_LOCALS)[number] | (typeof F64_LOCALS)[number] | (typeof V128_LOCALS)[number];
const NAMES = [...PARAMS, ...I32_LOCALS, ...F64_LOCALS, ...V128_LOCALS];
const INDEX = new Map<Name, number>(NAMES.map((name, i) => [name, i]));
if (INDEX.size !== NAMES.length) throw new Error('pair-kernel.ts: two locals share a name');

const get = (name: Name) => op.get(INDEX.get(name)!);
const set = (name: Name) => op.set(INDEX.get(name)!);
const tee = (name: Name) => op.tee(INDEX.get(name)!);
type Code = readonly number[];
const seq = (...parts: Code[]): number[] => parts.flatMap((x) => [...x]);
/** local + local (i32) */
const plus = (x: Name, y: Name) => seq(get(x), get(y), op.i32Add);
/** i32 x << s */
const shl = (x: Code, s: number) => seq(x, op.i32Const(s), op.i32Shl);
/** a != a is NaN; this is 1 when the f64 local is a number */
const isNumber = (x: Name) => seq(get(x), get(x), op.f64Eq);
const ifThen = (cond: Code, then: Code, otherwise?: Code) => seq(cond, op.if, then, otherwise ? seq(op.else, otherwise) : [], op.end);

/** this pair's field k (its fields start at byte address f) */
const field = (k: number) => seq(get('f'), op.f64Load(8 * k));
const setField = (k: number, value: Code) => seq(get('f'), value, op.f64Store(8 * k));
/** a per-symbol f64 of symbol a or b (maxIv, maxDm, sumSq) */
const ofSymbol = (array: Name, s: 'a' | 'b') => seq(get(array), shl(get(s), 3), op.i32Add, op.f64Load());
/** a lag row value of side a or b at lag k (cur, old, dmv, ivv: [symbol · (L + 1) + k]) */
const lagged = (array: Name, side: 'a8' | 'b8', lag0 = false) => seq(plus(array, side), lag0 ? [] : seq(get('k8'), op.i32Add), op.f64Load());
/** the two sides' lag-k values of a per-symbol array as one vector: (array[a, k], array[b, k]) */
const bothSides = (array: Name) => seq(lagged(array, 'a8'), op.f64x2Splat, lagged(array, 'b8'), op.f64x2ReplaceLane(1));
/** the row's lag-k sums (sumAB(k), sumBA(k)) as one vector at row + 16(k − 1) + 8: its address, then load/store offset 8 */
const lagSums = () => plus('row', 'k16');
/** the vector vq with its NaN lanes made +0: added to or taken from a sum, +0 leaves it as skipping it would (no sum is ever −0) */
const numbersOnly = seq(get('vq'), get('vq'), get('vq'), op.f64x2Eq, op.v128And, set('vq'));
/** sums ±= vq */
const addToLagSums = (subtract: boolean) => seq(lagSums(), lagSums(), op.v128Load(8), get('vq'), subtract ? op.f64x2Sub : op.f64x2Add, op.v128Store(8));
const splat = (x: number) => seq(op.f64Const(x), op.f64x2Splat);
/** lag 0's sum: if (q === q) sum at `address` ±= q */
const addIfNumber = (address: () => Code, subtract: boolean) =>
  ifThen(isNumber('q'), seq(address(), address(), op.f64Load(), get('q'), subtract ? op.f64Sub : op.f64Add, op.f64Store()));
/** x > 1 ? 1 : x < −1 ? −1 : x on the local c, with selects (a NaN goes through unchanged) */
const clampC = seq(
  op.f64Const(1), get('c'), get('c'), op.f64Const(1), op.f64Gt, op.select, set('c'),
  op.f64Const(-1), get('c'), get('c'), op.f64Const(-1), op.f64Lt, op.select, set('c'),
);
/** leave pair j to the caller for a rebuild */
const stop = seq(get('header'), get('j'), op.i32Store(H_STOP), get('header'), get('brokenCount'), op.i32Store(H_BROKEN), op.return);
/** for k = 1 .. L (k8 = 8k, k16 = 16(k − 1)) */
const forLags = (body: Code) => seq(
  op.i32Const(1), set('k'), op.i32Const(8), set('k8'), op.i32Const(0), set('k16'),
  op.block,
  get('k'), get('lags'), op.i32GtS, op.brIf(0),
  op.loop,
  body,
  get('k8'), op.i32Const(8), op.i32Add, set('k8'),
  get('k16'), op.i32Const(16), op.i32Add, set('k16'),
  get('k'), op.i32Const(1), op.i32Add, tee('k'), get('lags'), op.i32GtS, op.i32Eqz, op.brIf(0),
  op.end,
  op.end,
);

/** the sums' update for this hour, up to the rounding bound; stops for a rebuild */
const updateSums = seq(
  // lag-0 status bookkeeping
  get('xa'), get('xa'), op.f64Eq, get('xb'), get('xb'), op.f64Eq, op.i32And, set('ok'),
  field(F_VALID0), get('ok'), op.f64ConvertI32S, op.f64Add, set('v0'),
  ifThen(seq(get('leaving'), isNumber('ya'), op.i32And, isNumber('yb'), op.i32And), seq(get('v0'), op.f64Const(1), op.f64Sub, set('v0'))),
  setField(F_VALID0, get('v0')),
  field(F_STARTED0), set('st'),
  ifThen(seq(get('st'), op.f64Const(0), op.f64Eq), seq(get('ok'), op.f64ConvertI32S, set('st')), ifThen(seq(get('st'), get('w'), op.f64Le), seq(get('st'), op.f64Const(1), op.f64Add, set('st')))),
  setField(F_STARTED0, get('st')),
  ifThen(seq(field(F_STALE), op.f64Const(1), op.f64Eq), stop),
  field(F_SINCE), op.f64Const(1), op.f64Add, set('sn'),
  setField(F_SINCE, get('sn')),
  // lag 0, entering and leaving
  get('xa'), get('xb'), op.f64Mul, set('q'),
  addIfNumber(() => get('row'), false),
  ifThen(get('leaving'), seq(get('ya'), get('yb'), op.f64Mul, set('q'), addIfNumber(() => get('row'), true))),
  // lags 1..L, both directions at once: (cur[a, k]·xb, cur[b, k]·xa) entering, (old[a, k]·yb, old[b, k]·ya) leaving
  get('xb'), op.f64x2Splat, get('xa'), op.f64x2ReplaceLane(1), set('vx'),
  get('yb'), op.f64x2Splat, get('ya'), op.f64x2ReplaceLane(1), set('vy'),
  forLags(seq(
    bothSides('curAt'), get('vx'), op.f64x2Mul, set('vq'), numbersOnly,
    addToLagSums(false),
    ifThen(get('leaving'), seq(bothSides('oldAt'), get('vy'), op.f64x2Mul, set('vq'), numbersOnly, addToLagSums(true))),
  )),
  // the rounding bound, each product and sum in the JavaScript's order
  ofSymbol('maxIvAt', 'a'), set('ia'),
  ofSymbol('maxIvAt', 'b'), set('ib'),
  ifThen(seq(get('ia'), op.f64Const(0), op.f64Gt, get('ib'), op.f64Const(0), op.f64Gt, op.i32And), seq(
    ofSymbol('sumSqAt', 'a'), set('sa'),
    ofSymbol('sumSqAt', 'b'), set('sb'),
    // qa = (sa − SQA0 + 8·EPS·sa)·ia·ia
    get('sa'), field(F_SQA0), op.f64Sub, op.f64Const(8 * EPS), get('sa'), op.f64Mul, op.f64Add, get('ia'), op.f64Mul, get('ia'), op.f64Mul, set('qa'),
    get('sb'), field(F_SQB0), op.f64Sub, op.f64Const(8 * EPS), get('sb'), op.f64Mul, op.f64Add, get('ib'), op.f64Mul, get('ib'), op.f64Mul, set('qb'),
    // err = EPS·((2·sn + w + 2)·(ABS0·ia·ib + 0.5·(qa + qb)) + w·maxDm[a]·ia·maxDm[b]·ib)
    op.f64Const(EPS),
    op.f64Const(2), get('sn'), op.f64Mul, get('w'), op.f64Add, op.f64Const(2), op.f64Add,
    field(F_ABS0), get('ia'), op.f64Mul, get('ib'), op.f64Mul, op.f64Const(0.5), get('qa'), get('qb'), op.f64Add, op.f64Mul, op.f64Add,
    op.f64Mul,
    get('w'), ofSymbol('maxDmAt', 'a'), op.f64Mul, get('ia'), op.f64Mul, ofSymbol('maxDmAt', 'b'), op.f64Mul, get('ib'), op.f64Mul,
    op.f64Add,
    op.f64Mul, set('err'),
    ifThen(seq(get('err'), op.f64Const(CORR_ACCURACY), op.f64Gt), stop),
  )),
);

/** lag 0's correlation: (sum − w·dm·dB)·iv·iB, clamped, into c */
const lagCorrelation = (sum: Code, dm: Code, iv: Code, dOther: Name, iOther: Name) =>
  seq(sum, get('w'), dm, op.f64Mul, get(dOther), op.f64Mul, op.f64Sub, iv, op.f64Mul, get(iOther), op.f64Mul, set('c'), clampC);
/**
 * both directions' lag-k correlations, (sums − w·dm·dOther)·iv·iOther clamped to [−1, 1], and where |corr| beats
 * the best so far (a NaN never does) it and lag k become the best: lane by lane, with masks instead of branches
 */
const lagCorrelations = seq(
  lagSums(), op.v128Load(8),
  get('w'), op.f64x2Splat, bothSides('dmvAt'), op.f64x2Mul, get('dOther'), op.f64x2Mul,
  op.f64x2Sub,
  bothSides('ivvAt'), op.f64x2Mul,
  get('iOther'), op.f64x2Mul, set('vc'),
  splat(1), get('vc'), get('vc'), splat(1), op.f64x2Gt, op.v128Bitselect, set('vc'),
  splat(-1), get('vc'), get('vc'), splat(-1), op.f64x2Lt, op.v128Bitselect, set('vc'),
  get('vc'), op.f64x2Abs, set('vabs'),
  get('vabs'), get('best'), op.f64x2Gt, set('vtake'),
  get('vabs'), get('best'), get('vtake'), op.v128Bitselect, set('best'),
  get('vc'), get('corrs'), get('vtake'), op.v128Bitselect, set('corrs'),
  get('k'), op.f64ConvertI32S, op.f64x2Splat, get('lagv'), get('vtake'), op.v128Bitselect, set('lagv'),
);

/** the correlations, the normal, the status and the leader of pair j, into the output columns */
const correlate = seq(
  lagged('dmvAt', 'a8', true), set('dA0'), lagged('ivvAt', 'a8', true), set('iA0'),
  lagged('dmvAt', 'b8', true), set('dB0'), lagged('ivvAt', 'b8', true), set('iB0'),
  lagCorrelation(seq(get('row'), op.f64Load()), get('dA0'), get('iA0'), 'dB0', 'iB0'),
  get('c'), set('corr'),
  // lags 1..L: the best |corr| per direction (−Infinity where none), its correlation (NaN) and its lag (0)
  get('dB0'), op.f64x2Splat, get('dA0'), op.f64x2ReplaceLane(1), set('dOther'),
  get('iB0'), op.f64x2Splat, get('iA0'), op.f64x2ReplaceLane(1), set('iOther'),
  splat(-Infinity), set('best'), splat(NaN), set('corrs'), splat(0), set('lagv'),
  forLags(lagCorrelations),
  get('best'), op.f64x2ExtractLane(0), set('bestAB'), get('best'), op.f64x2ExtractLane(1), set('bestBA'),
  get('corrs'), op.f64x2ExtractLane(0), set('corrAB'), get('corrs'), op.f64x2ExtractLane(1), set('corrBA'),
  get('lagv'), op.f64x2ExtractLane(0), op.i32TruncF64S, set('lagAB'), get('lagv'), op.f64x2ExtractLane(1), op.i32TruncF64S, set('lagBA'),
  // the normal: the mean of the previous normal_hours lag-0 correlations, read before this hour enters
  field(F_NCOUNT), set('count'),
  get('count'), get('normalHours'), op.f64Div, set('coverage'),
  field(F_NSUM), get('count'), op.f64Div, op.f64Const(NaN),
  get('coverage'), get('minCoverage'), op.f64Ge, get('count'), op.f64Const(0), op.f64Gt, op.i32And, op.select, set('normal'),
  get('ringAt'), shl(plus('normalRow', 'j'), 3), op.i32Add, set('ring8'),
  get('ring8'), op.f64Load(), set('q'),
  ifThen(isNumber('q'), seq(
    setField(F_NSUM, seq(field(F_NSUM), get('q'), op.f64Sub)),
    setField(F_NCOUNT, seq(field(F_NCOUNT), op.f64Const(1), op.f64Sub)),
  )),
  isNumber('corr'), set('corrOk'),
  ifThen(get('corrOk'), seq(
    setField(F_NSUM, seq(field(F_NSUM), get('corr'), op.f64Add)),
    setField(F_NCOUNT, seq(field(F_NCOUNT), op.f64Const(1), op.f64Add)),
  )),
  get('ring8'), get('corr'), op.f64Store(),
  // the status (completeStatus, then flat or no data where the window is complete but has no correlation)
  field(F_VALID0), set('v0'),
  field(F_STARTED0), set('st'),
  ifThen(seq(get('v0'), get('w'), op.f64Eq), seq(op.i32Const(ST_OK), set('status')),
    ifThen(seq(get('st'), op.f64Const(0), op.f64Eq), seq(op.i32Const(ST_NO_DATA), set('status')),
      seq(op.i32Const(ST_WARMING_UP), op.i32Const(ST_GAP), get('st'), get('w'), op.f64Lt, get('v0'), get('st'), op.f64Eq, op.i32And, op.select, set('status')))),
  ifThen(seq(get('status'), op.i32Eqz, get('corrOk'), op.i32Eqz, op.i32And), seq(
    op.i32Const(ST_FLAT), op.i32Const(ST_NO_DATA),
    get('flatAt'), get('a'), op.i32Add, op.i32Load8U(), op.i32Const(1), op.i32Eq,
    get('flatAt'), get('b'), op.i32Add, op.i32Load8U(), op.i32Const(1), op.i32Eq, op.i32Or,
    op.select, set('status'),
  )),
  plus('statusAt', 'j'), get('status'), op.i32Store8(),
  get('corrAt'), shl(get('j'), 3), op.i32Add, get('corr'), op.f64Store(),
  get('normalAt'), shl(get('j'), 3), op.i32Add, get('normal'), op.f64Store(),
  get('coverageAt'), shl(get('j'), 3), op.i32Add, get('coverage'), op.f64Store(),
  // broken: corr <= break_level, or corr − normal <= −break_drop (false with no normal); −1 without a correlation
  get('corr'), get('breakLevel'), op.f64Le, get('corr'), get('normal'), op.f64Sub, get('breakDrop'), op.f64Neg, op.f64Le, op.i32Or,
  op.i32Const(-1), get('corrOk'), op.select, set('broken'),
  plus('brokenAt', 'j'), get('broken'), op.i32Store8(),
  get('brokenCount'), get('broken'), op.i32Const(1), op.i32Eq, op.i32Add, set('brokenCount'),
  // the leader: leadDirection on the best |corr| per direction (−Infinity where none), as two flags
  get('bestAB'), get('bestBA'), get('margin'), op.f64Add, op.f64Gt, set('leadsA'),
  get('bestBA'), get('bestAB'), get('margin'), op.f64Add, op.f64Gt, set('leadsB'),
  plus('leaderAt', 'j'), get('leadsA'), get('leadsB'), op.i32Sub, op.i32Store8(),
  plus('lagAt', 'j'), get('leadsA'), get('lagAB'), op.i32Mul, get('leadsB'), get('lagBA'), op.i32Mul, op.i32Add, op.i32Store8(),
  get('strengthAt'), shl(get('j'), 3), op.i32Add,
  get('corrAB'), get('corrBA'), op.f64Const(NaN), get('leadsB'), op.select, get('leadsA'), op.select,
  op.f64Store(),
);

function kernelBytes(): Uint8Array {
  const body = seq(
    ...H_F64.map((name, i) => seq(get('header'), op.f64Load(8 * i), set(name))),
    ...H_I32.map((name, i) => seq(get('header'), op.i32Load(8 * H_F64.length + 4 * i), set(name))),
    get('header'), op.i32Load(H_BROKEN), set('brokenCount'),
    get('from'), set('j'),
    op.block,
    get('j'), get('pairs'), op.i32GeS, op.brIf(0),
    op.loop,
    get('paAt'), shl(get('j'), 2), op.i32Add, op.i32Load(), set('a'),
    get('pbAt'), shl(get('j'), 2), op.i32Add, op.i32Load(), set('b'),
    get('a'), get('lagRow'), op.i32Mul, set('a8'),
    get('b'), get('lagRow'), op.i32Mul, set('b8'),
    get('stateAt'), get('j'), get('stride'), op.i32Mul, op.i32Add, tee('row'), get('sums'), op.i32Add, set('f'),
    lagged('curAt', 'a8', true), set('xa'), lagged('curAt', 'b8', true), set('xb'),
    lagged('oldAt', 'a8', true), set('ya'), lagged('oldAt', 'b8', true), set('yb'),
    // after a rebuild the pair goes on from its correlations
    ifThen(get('resume'), seq(op.i32Const(0), set('resume')), updateSums),
    correlate,
    get('j'), op.i32Const(1), op.i32Add, tee('j'), get('pairs'), op.i32LtS, op.brIf(0),
    op.end,
    op.end,
    get('header'), op.i32Const(-1), op.i32Store(H_STOP),
    get('header'), get('brokenCount'), op.i32Store(H_BROKEN),
  );
  return moduleBytes('run', PARAMS.length, [[I32_LOCALS.length, I32], [F64_LOCALS.length, F64], [V128_LOCALS.length, V128]], body);
}

let compiled: object | null = null;

type Run = (from: number, resume: number, leaving: number, normalRow: number, header: number) => void;

/** the numbers of the detector's configuration the kernel reads */
export interface PairKernelConfig {
  window: number;
  margin: number;
  minCoverage: number;
  normalHours: number;
  breakLevel: number;
  breakDrop: number;
}

/** the detector's arrays as views into the kernel's memory, and the hour's step */
export interface PairKernel {
  /** per pair, `stride` numbers: its 2L + 1 sums, then FIELDS fields */
  state: Float64Array;
  stride: number;
  /** the normal's ring of lag-0 correlations, slot-major [slot · pairs + pair] */
  normalRing: Float64Array;
  /** per symbol s and lag k, [s · (L + 1) + k] */
  cur: Float64Array;
  old: Float64Array;
  dmv: Float64Array;
  ivv: Float64Array;
  /** per symbol */
  maxIv: Float64Array;
  maxDm: Float64Array;
  sumSq: Float64Array;
  flat: Uint8Array;
  /** the output columns (PairColumns), per pair */
  pa: Int32Array;
  pb: Int32Array;
  status: Uint8Array;
  corr: Float64Array;
  normal: Float64Array;
  coverage: Float64Array;
  broken: Int8Array;
  leader: Int8Array;
  lag: Uint8Array;
  strength: Float64Array;
  /**
   * the hour for pairs from `from` on: returns −1 when done, or the pair whose sums must be rebuilt before the
   * caller calls again from it with resume = true
   */
  run(from: number, resume: boolean, leaving: boolean, normalRow: number): number;
  /** pairs broken this hour (set to 0 by the caller before the hour's first run) */
  brokenCount: number;
}

/** The kernel memory of a detector over `symbols` symbols and these pairs, with `lags` lags (laidOutMemory) */
export function pairKernel(symbols: number, pairs: readonly (readonly [number, number])[], lags: number, cfg: PairKernelConfig): PairKernel {
  const n = symbols;
  const p = pairs.length;
  const K = lags + 1;
  const stride = 2 * lags + 1 + FIELDS;
  const f64s: [string, number][] = [
    ['state', p * stride],
    ['ring', cfg.normalHours * p],
    ['cur', n * K],
    ['old', n * K],
    ['dmv', n * K],
    ['ivv', n * K],
    ['maxIv', n],
    ['maxDm', n],
    ['sumSq', n],
    ['corr', p],
    ['normal', p],
    ['coverage', p],
    ['strength', p],
  ];
  const narrow: [string, number][] = [
    ['pa', 4 * p],
    ['pb', 4 * p],
    ['flat', n],
    ['status', p],
    ['broken', p],
    ['leader', p],
    ['lag', p],
  ];
  const { memory, address: addr } = laidOutMemory(
    [...f64s.map(([key, count]): [string, number] => [key, 8 * Math.max(1, count)]), ...narrow.map(([key, bytes]): [string, number] => [key, Math.max(1, bytes)])],
    HEADER_BYTES,
  );
  const buffer = memory.buffer;
  const f64 = (key: string, count: number) => new Float64Array(buffer, addr[key], count);
  const header = new DataView(buffer, 0, HEADER_BYTES);
  const numbers: Record<(typeof H_F64)[number], number> = { w: cfg.window, margin: cfg.margin, minCoverage: cfg.minCoverage, normalHours: cfg.normalHours, breakLevel: cfg.breakLevel, breakDrop: cfg.breakDrop };
  H_F64.forEach((name, i) => header.setFloat64(8 * i, numbers[name], true));
  const sizes: Record<string, number> = { pairs: p, lags, lagRow: 8 * K, stride: 8 * stride, sums: 8 * (2 * lags + 1) };
  H_I32.forEach((name, i) => header.setInt32(8 * H_F64.length + 4 * i, sizes[name] ?? addr[name.slice(0, -2)], true));
  compiled ??= compileModule(kernelBytes());
  const run = instantiate<Run>(compiled, memory, 'run');
  const pa = new Int32Array(buffer, addr.pa, p);
  const pb = new Int32Array(buffer, addr.pb, p);
  pairs.forEach(([a, b], j) => {
    pa[j] = a;
    pb[j] = b;
  });
  return {
    state: f64('state', p * stride),
    stride,
    normalRing: f64('ring', cfg.normalHours * p),
    cur: f64('cur', n * K),
    old: f64('old', n * K),
    dmv: f64('dmv', n * K),
    ivv: f64('ivv', n * K),
    maxIv: f64('maxIv', n),
    maxDm: f64('maxDm', n),
    sumSq: f64('sumSq', n),
    flat: new Uint8Array(buffer, addr.flat, n),
    pa,
    pb,
    status: new Uint8Array(buffer, addr.status, p),
    corr: f64('corr', p),
    normal: f64('normal', p),
    coverage: f64('coverage', p),
    broken: new Int8Array(buffer, addr.broken, p),
    leader: new Int8Array(buffer, addr.leader, p),
    lag: new Uint8Array(buffer, addr.lag, p),
    strength: f64('strength', p),
    run(from, resume, leaving, normalRow) {
      run(from, resume ? 1 : 0, leaving ? 1 : 0, normalRow, 0);
      return header.getInt32(H_STOP, true);
    },
    get brokenCount() {
      return header.getInt32(H_BROKEN, true);
    },
    set brokenCount(count: number) {
      header.setInt32(H_BROKEN, count, true);
    },
  };
}
