/**
 * Entries of a convolution with WebAssembly's two-lane SIMD, for the sweep's exact p-value (precision-pvalue.ts),
 * which is mostly convolutions of binomial distributions.
 *
 * Why it keeps every bit: a two-lane f64 multiply or add rounds each lane exactly like the scalar JavaScript
 * operation (WebAssembly never fuses a multiply into an add), and every entry still adds its products in the
 * order of the textbook scatter loop (ascending index of a). Measured on this machine: 0.14 ns per product, against
 * 0.36 ns for the fastest scalar JavaScript tried and 0.48 ns for the eight-entry loop this replaced.
 *
 * The kernel reads and writes one WebAssembly memory: the arrays it is given must be views into it
 * (convolutionScratch hands them out), and the second operand must have zeros beside it (asOperand), which the
 * kernel multiplies in place of the terms an entry does not have: with finite non-negative entries those products
 * are +0, and adding +0 leaves a sum's bits unchanged, so every entry of a block runs the same steps and none
 * needs scalar terms before or after them.
 */

import { compileModule, instantiate, moduleBytes, op, V128, wasmMemory } from '../wasm-assembler.ts';

/** how many neighbouring entries the kernel sums in one pass: six two-lane sums (8 and 16 measured 3–12 % slower) */
const BLOCK = 12;
/** zeros needed on each side of the second operand: an entry of a block reads up to BLOCK − 1 past either end */
const PAD = BLOCK - 1;

/**
 * run(a, b, out, count): for count steps, every two-lane sum s += a[0] · (b[2s], b[2s + 1]), then a moves one
 * entry up and b one entry down (byte addresses); the sums start at 0 and end in out[0..BLOCK). Entry m + r reads
 * b[m + r − i] at step i: with b at b[m − i] those are neighbours, one unaligned two-lane load per pair of entries.
 */
function kernelBytes(): Uint8Array {
  const [A, B, OUT, COUNT, X] = [0, 1, 2, 3, 4 + BLOCK / 2];
  // WebAssembly zeroes locals: the sums start at 0 like dot's
  const sums = Array.from({ length: BLOCK / 2 }, (_, s) => 4 + s);
  const addProducts = (s: number, k: number) => [...op.get(s), ...op.get(X), ...op.get(B), ...op.v128Load(16 * k), ...op.f64x2Mul, ...op.f64x2Add, ...op.set(s)];
  const body = [
    ...op.loop,
    ...[...op.get(A), ...op.f64Load(), ...op.f64x2Splat, ...op.set(X)],
    ...sums.flatMap(addProducts),
    ...[...op.get(A), ...op.i32Const(8), ...op.i32Add, ...op.set(A)],
    ...[...op.get(B), ...op.i32Const(8), ...op.i32Sub, ...op.set(B)],
    ...[...op.get(COUNT), ...op.i32Const(1), ...op.i32Sub, ...op.tee(COUNT), ...op.brIf(0)],
    ...op.end,
    ...sums.flatMap((s, k) => [...op.get(OUT), ...op.get(s), ...op.v128Store(16 * k)]),
  ];
  return moduleBytes('run', 4, [[BLOCK / 2 + 1, V128]], body);
}

/**
 * Pages the kernel's memory starts with (64 KB each): room for the bench's largest operands six times over. Why not
 * grow from one page: growing detaches the old buffer, and the first detached buffer in a thread invalidates V8's
 * ArrayBufferDetaching protector, which throws away every optimised function that reads typed arrays (≈ 20 per
 * sweep worker at once; a 1,000-configuration sweep took ≈ 6 % more CPU). The pages are reserved, not touched: only
 * the part in use is resident (typed-array-protector.test.ts checks that nothing detaches).
 */
const INITIAL_PAGES = 64;
const memory = wasmMemory(INITIAL_PAGES);
const run = instantiate<(a: number, b: number, out: number, count: number) => void>(compileModule(kernelBytes()), memory, 'run');

/** the whole memory as doubles, renewed when it grows */
let heap = new Float64Array(memory.buffer);

/**
 * arrays of the given lengths in the kernel's memory, their contents left from earlier calls, with PAD zeros
 * between and around them (grown as needed: views handed out before are then no longer valid)
 */
export function convolutionScratch(lengths: readonly number[]): Float64Array[] {
  const doubles = lengths.reduce((a, b) => a + b + PAD, PAD);
  if (8 * doubles > memory.buffer.byteLength) {
    // at least doubled: each growth detaches the buffer (above), so it should happen once if at all
    memory.grow(Math.max(memory.buffer.byteLength / 65536, Math.ceil((8 * doubles - memory.buffer.byteLength) / 65536)));
    heap = new Float64Array(memory.buffer);
  }
  let at = PAD;
  heap.fill(0, 0, PAD);
  // pushed rather than mapped: map's result came with either of two array maps, and the caller compiled for one
  // failed on the other (--trace-deopt)
  const views: Float64Array[] = [];
  for (const length of lengths) {
    views.push(heap.subarray(at, at + length));
    at += length;
    heap.fill(0, at, at + PAD);
    at += PAD;
  }
  return views;
}

/** b[lo..hi] ready to be convolveRange's second operand: the entries beside it in b zeroed (b from convolutionScratch) */
export function asOperand(b: Float64Array, lo: number, hi: number): Float64Array {
  b.fill(0, Math.max(0, lo - PAD), lo);
  b.fill(0, hi + 1, hi + 1 + PAD);
  return b.subarray(lo, hi + 1);
}

/** whether b has the zeros beside it that the kernel reads */
function isOperand(b: Float64Array): boolean {
  const start = b.byteOffset / 8;
  if (b.buffer !== memory.buffer || start < PAD) return false;
  for (let k = 1; k <= PAD; k++) if (heap[start - k] !== 0 || heap[start + b.length - 1 + k] !== 0) return false;
  return true;
}

/** entry m of the convolution of a and b: the products summed in ascending index of a (i from..to) */
function dot(a: Float64Array, b: Float64Array, m: number, from: number, to: number): number {
  let acc = 0;
  for (let i = from; i <= to; i++) acc += a[i] * b[m - i];
  return acc;
}

/** the lowest index of a (convolved with lb entries of b) whose product reaches entry m */
const firstTerm = (m: number, lb: number) => (m - lb + 1 > 0 ? m - lb + 1 : 0);
/** the highest index of a (la entries) whose product reaches entry m */
const lastTerm = (m: number, la: number) => (m < la - 1 ? m : la - 1);

/**
 * entries from..to of the convolution of a and b, written to out at the same indices; a and out are views from
 * convolutionScratch, b one from asOperand. Each entry is a dot product accumulated in ascending index of a, as in
 * the textbook scatter loop, so every bit is the same whichever entries are computed and however they are grouped.
 */
export function convolveRange(a: Float64Array, b: Float64Array, out: Float64Array, from: number, to: number): void {
  if (a.buffer !== memory.buffer || out.buffer !== memory.buffer || !isOperand(b)) {
    throw new Error('convolveRange: a and out must come from convolutionScratch, b from asOperand');
  }
  const la = a.length;
  const lb = b.length;
  let m = from;
  // a block runs from its first entry's first term to its last entry's last term
  for (; m + BLOCK - 1 <= to; m += BLOCK) {
    const lo = firstTerm(m, lb);
    run(a.byteOffset + 8 * lo, b.byteOffset + 8 * (m - lo), out.byteOffset + 8 * m, lastTerm(m + BLOCK - 1, la) - lo + 1);
  }
  for (; m <= to; m++) out[m] = dot(a, b, m, firstTerm(m, lb), lastTerm(m, la));
}
