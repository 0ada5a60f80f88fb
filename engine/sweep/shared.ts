/**
 * Typed arrays over SharedArrayBuffers: posting them to a worker shares the memory instead of copying it, so
 * the replay data, the scoring markets and every feature set exist once however many workers read them.
 */

export type NumberArray = Float64Array | Int32Array | Uint8Array | Int8Array;

export function sharedFloat64(n: number, fill = NaN): Float64Array {
  const a = new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8)).subarray(0, n);
  if (fill !== 0) a.fill(fill);
  return a;
}

export function sharedInt32(n: number, fill = 0): Int32Array {
  const a = new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n);
  if (fill !== 0) a.fill(fill);
  return a;
}

export function sharedUint8(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(1, n))).subarray(0, n);
}

export function sharedInt8(n: number): Int8Array {
  return new Int8Array(new SharedArrayBuffer(Math.max(1, n))).subarray(0, n);
}

export type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

function shareArray(a: TypedArray): TypedArray {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as (new (buffer: ArrayBufferLike) => TypedArray) & { BYTES_PER_ELEMENT: number };
  const copy = new Ctor(new SharedArrayBuffer(Math.max(1, a.length) * Ctor.BYTES_PER_ELEMENT));
  const view = copy.subarray(0, a.length);
  view.set(a);
  return view;
}

/**
 * A deep copy whose typed arrays live in shared memory (plain objects, arrays and Maps are copied; an object
 * reached twice is copied once, so a Map of the same records stays consistent with the list).
 */
export function toShared<T>(value: T, seen = new Map<unknown, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value) as T;
  if (ArrayBuffer.isView(value)) {
    const out = shareArray(value as unknown as TypedArray);
    seen.set(value, out);
    return out as unknown as T;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(k, toShared(v, seen));
    return out as unknown as T;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(toShared(v, seen));
    return out as unknown as T;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toShared(v, seen);
  return out as T;
}
