/**
 * Just enough of WebAssembly's binary format to write a small kernel in TypeScript: one function over one imported
 * memory. Hand-assembled rather than compiled because the project has no compiler for WebAssembly to build with,
 * and the kernels are a few dozen instructions each (engine/sweep/simd-convolve.ts, engine/score/row-kernel.ts).
 */

function uleb128(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n & 0x7f;
    n >>>= 7;
    out.push(n ? low | 0x80 : low);
  } while (n);
  return out;
}

/** signed LEB128 of a 32-bit integer (i32.const's immediate) */
function sleb128(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const low = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (low & 0x40) === 0) || (v === -1 && (low & 0x40) !== 0);
    out.push(done ? low : low | 0x80);
    if (done) return out;
  }
}

const vector = (items: number[][]) => [...uleb128(items.length), ...items.flat()];
const name = (s: string) => [...uleb128(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]) => [id, ...uleb128(bytes.length), ...bytes];

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb128(depth)],
  get: (local: number) => [0x20, ...uleb128(local)],
  set: (local: number) => [0x21, ...uleb128(local)],
  tee: (local: number) => [0x22, ...uleb128(local)],
  i32Load: (offset = 0) => [0x28, 2, ...uleb128(offset)],
  f64Load: (offset = 0) => [0x2b, 3, ...uleb128(offset)],
  i32Load8S: (offset = 0) => [0x2c, 0, ...uleb128(offset)],
  i32Store: (offset = 0) => [0x36, 2, ...uleb128(offset)],
  f64Store: (offset = 0) => [0x39, 3, ...uleb128(offset)],
  i32Const: (n: number) => [0x41, ...sleb128(n)],
  f64Zero: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  /** f64.const x, its exact bits */
  f64Const: (x: number) => [0x44, ...new Uint8Array(new Float64Array([x]).buffer)],
  select: [0x1b],
  return: [0x0f],
  i32Load8U: (offset = 0) => [0x2d, 0, ...uleb128(offset)],
  i32Store8: (offset = 0) => [0x3a, 0, ...uleb128(offset)],
  i32Eq: [0x46],
  i32GeS: [0x4e],
  f64Lt: [0x63],
  f64Le: [0x65],
  f64Ge: [0x66],
  f64Neg: [0x9a],
  f64Sub: [0xa1],
  f64Div: [0xa3],
  i32Eqz: [0x45],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  f64Eq: [0x61],
  f64Gt: [0x64],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Or: [0x72],
  i32Xor: [0x73],
  i32Shl: [0x74],
  i32ShrS: [0x75],
  i32ShrU: [0x76],
  f64Abs: [0x99],
  f64Add: [0xa0],
  f64Mul: [0xa2],
  f64ConvertI32S: [0xb7],
  v128Load: (offset: number) => [0xfd, 0x00, 4, ...uleb128(offset)],
  v128Store: (offset: number) => [0xfd, 0x0b, 4, ...uleb128(offset)],
  f64x2Splat: [0xfd, 0x14],
  f64x2ExtractLane: (lane: number) => [0xfd, 0x21, lane],
  f64x2ReplaceLane: (lane: number) => [0xfd, 0x22, lane],
  f64x2Eq: [0xfd, 0x47],
  f64x2Lt: [0xfd, 0x49],
  f64x2Gt: [0xfd, 0x4a],
  v128And: [0xfd, 0x4e],
  /** (a & mask) | (b & ~mask), operands a, b, mask */
  v128Bitselect: [0xfd, 0x52],
  f64x2Abs: [0xfd, 0xec, 0x01],
  f64x2Sub: [0xfd, 0xf1, 0x01],
  i32TruncF64S: [0xaa],
  f64x2Add: [0xfd, 0xf0, 0x01],
  f64x2Mul: [0xfd, 0xf2, 0x01],
  /** a & ~b, operands a, b */
  v128AndNot: [0xfd, 0x4f],
  i64x2Splat: [0xfd, 0x12],
  i64x2ExtractLane: (lane: number) => [0xfd, 0x1d, lane],
  i64x2Add: [0xfd, 0xce, 0x01],
  i64x2Sub: [0xfd, 0xd1, 0x01],
  i64ExtendI32S: [0xac],
  i64Sub: [0x7d],
  f64ConvertI64S: [0xb9],
} as const;

/**
 * A module of one function `exported` with `params` i32 parameters and no result, importing env.memory (at least
 * one page); locals: [count, type] runs after the parameters; body: its instructions, without the final end.
 */
export function moduleBytes(exported: string, params: number, locals: [number, number][], body: number[]): Uint8Array {
  const code = [...vector(locals.map(([count, type]) => [...uleb128(count), type])), ...body, ...op.end];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vector([[0x60, ...vector(Array.from({ length: params }, () => [I32])), 0]])), // type: (i32 × params) → ()
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // import env.memory, ≥ 1 page
    ...section(3, vector([[0]])), // one function, of that type
    ...section(7, vector([[...name(exported), 0x00, 0]])), // exported
    ...section(10, vector([[...uleb128(code.length), ...code]])),
  ]);
}

/** the WebAssembly globals used here: the project's TypeScript libraries (no "dom") do not declare them */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

export const PAGE_BYTES = 65536;

export function wasmMemory(pages: number): WasmMemory {
  return new WebAssembly.Memory({ initial: pages });
}

/**
 * A kernel's arrays laid out one after another from byte `start`, each starting 8-byte aligned (f64 views need it),
 * in one memory sized once for all of them: it never grows, since growing detaches the buffer, which costs the
 * thread its optimised typed-array code (simd-convolve.ts). fields: [name, bytes] in order.
 */
export function laidOutMemory(fields: readonly (readonly [string, number])[], start = 0): { memory: WasmMemory; address: Record<string, number> } {
  const address: Record<string, number> = {};
  let end = start;
  for (const [key, bytes] of fields) {
    end = Math.ceil(end / 8) * 8;
    address[key] = end;
    end += bytes;
  }
  return { memory: wasmMemory(Math.max(1, Math.ceil(end / PAGE_BYTES))), address };
}

export function compileModule(bytes: Uint8Array): object {
  return new WebAssembly.Module(bytes);
}

/** the module's exported function, bound to `memory` */
export function instantiate<F>(module: object, memory: WasmMemory, exported: string): F {
  return new WebAssembly.Instance(module, { env: { memory } }).exports[exported] as F;
}
