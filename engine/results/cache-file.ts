/**
 * Values kept on disk between runs (a sweep's feature sets and inputs, a backtest's loaded data), each file named by
 * its caller after everything that decides its contents — codeVersion() covers the code.
 *
 * Layout: 8 bytes of JSON length, the JSON skeleton with each typed array replaced by its type, offset and
 * length (and the arrays' total size), padding to 8 bytes, then the arrays' bytes at 8-byte-aligned offsets. The
 * file is read into one SharedArrayBuffer and the arrays are views into it: worker threads share them as read.
 * An unreadable or short file reads as none. A cache folder holds nothing else: beyond `keep` files the oldest go.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type TypedArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** files kept per cache folder by default */
const KEEP = 8;

const codeHashes = new Map<string, string>();

/** a hash of the engine sources the roots (paths under engine/) import, transitively (static relative imports), and of package-lock.json, read once per process */
export function codeVersion(roots: readonly string[]): string {
  const known = codeHashes.get(roots.join());
  if (known !== undefined) return known;
  const engine = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const seen = new Set<string>();
  const todo = roots.map((r) => path.join(engine, r));
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+\.ts)'/g)) todo.push(path.resolve(path.dirname(file), m[1]));
  }
  const h = crypto.createHash('sha256');
  for (const f of [...seen].sort()) h.update(path.relative(engine, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  // the packages the code runs on (DuckDB reads the data, zod parses the configs) are part of it too
  h.update(fs.readFileSync(path.join(engine, '..', 'package-lock.json')));
  const hash = h.digest('hex').slice(0, 16);
  codeHashes.set(roots.join(), hash);
  return hash;
}

/** hex digits of a cache file's name: the hash of its key */
const NAME_DIGITS = 32;

/** an entry of `dir` named by a hash of everything that decides its contents (`key`, JSON-able) */
export function cacheFileName(dir: string, key: unknown, extension: string): string {
  const name = crypto.createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, NAME_DIGITS);
  return path.join(dir, `${name}.${extension}`);
}

/** a name cacheFileName gives: only such files are ever pruned, whatever else the folder holds */
const CACHE_NAME = new RegExp(`^[0-9a-f]{${NAME_DIGITS}}\\.[A-Za-z0-9-]+$`);

const TYPES: Record<string, new (buffer: ArrayBufferLike, offset: number, length: number) => TypedArray> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
};

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** the skeleton as JSON, arrays listed for writing; NaN and the infinities are spelled out (JSON has no such numbers) */
function skeleton(value: unknown, arrays: TypedArray[]): string {
  let offset = 0;
  // a plain object reached twice (a market's ranges, in its list and its Map) is written once and referred to
  // after, so it is one object again when read
  const ids = new Map<object, number>();
  // an array reached twice (a market's present hours, in its grid and its draw tables) is stored once and read
  // back as one array
  const placed = new Map<TypedArray, { $ta: string; o: number; n: number }>();
  let unwrapping: object | null = null;
  const set = JSON.stringify(value, function (this: unknown, _k, v: unknown) {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !Array.isArray(v) && !(v instanceof Map)) {
      if (v === unwrapping) {
        unwrapping = null;
        return v;
      }
      const id = ids.get(v);
      if (id !== undefined) return { $ref: id };
      ids.set(v, ids.size);
      unwrapping = v;
      return { $id: ids.size - 1, $v: v };
    }
    if (ArrayBuffer.isView(v)) {
      const a = v as TypedArray;
      const known = placed.get(a);
      if (known) return known;
      const type = a.constructor.name;
      if (!(type in TYPES)) throw new Error(`cache file: cannot store a ${type}`);
      const out = { $ta: type, o: offset, n: a.length };
      placed.set(a, out);
      offset = align8(offset + a.byteLength);
      arrays.push(a);
      return out;
    }
    // a Map's entries in insertion order (the market's per-symbol ranges); entries go through this replacer too
    if (v instanceof Map) return { $map: [...v.entries()] };
    if (v instanceof Set) throw new Error('cache file: cannot store a Set');
    return v;
  });
  // the arrays' total length: a file cut short anywhere is recognised
  return `{"blob":${offset},"set":${set}}`;
}

/** any value of plain objects, arrays, Maps, numbers, strings and typed arrays (temp + rename); then only the newest `keep` cache files of the folder stay (files named by cacheFileName; nothing else is touched) */
export async function saveShared(file: string, value: unknown, keep = KEEP): Promise<void> {
  const arrays: TypedArray[] = [];
  const json = Buffer.from(skeleton(value, arrays));
  const head = Buffer.alloc(align8(8 + json.length));
  head.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(head, 8);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.write(head);
    const pad = Buffer.alloc(8);
    for (const a of arrays) {
      await fh.write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const rest = align8(a.byteLength) - a.byteLength;
      if (rest > 0) await fh.write(pad, 0, rest);
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await fs.promises.rename(tmp, file);
  prune(path.dirname(file), keep);
}

function prune(dir: string, keep: number): void {
  const entries: { f: string; t: number }[] = [];
  for (const f of fs.readdirSync(dir)) {
    if (!CACHE_NAME.test(f)) continue;
    try {
      const st = fs.statSync(path.join(dir, f));
      if (st.isFile()) entries.push({ f, t: st.mtimeMs });
    } catch {
      // another process pruned it first
    }
  }
  entries.sort((a, b) => b.t - a.t);
  for (const { f } of entries.slice(keep)) fs.rmSync(path.join(dir, f), { force: true });
}

/** a value saveShared wrote, its arrays in one SharedArrayBuffer, or null when there is none or it cannot be read */
export function loadShared<T>(file: string): T | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) return null;
    const buf = new SharedArrayBuffer(size);
    const bytes = new Uint8Array(buf);
    let read = 0;
    while (read < size) {
      const n = fs.readSync(fd, bytes, read, size - read, read);
      if (n === 0) return null;
      read += n;
    }
    const jsonLength = Number(Buffer.from(bytes.slice(0, 8)).readBigUInt64LE(0));
    if (8 + jsonLength > size) return null;
    const base = align8(8 + jsonLength);
    const text = Buffer.from(bytes.slice(8, 8 + jsonLength)).toString('utf8');
    const objects: unknown[] = [];
    const views = new Map<string, TypedArray>();
    const { blob, set } = JSON.parse(text, (_k, v: unknown) => {
      if (v !== null && typeof v === 'object' && '$num' in v) return Number((v as { $num: string }).$num);
      if (v !== null && typeof v === 'object' && '$map' in v) return new Map((v as { $map: [unknown, unknown][] }).$map);
      if (v !== null && typeof v === 'object' && '$id' in v) {
        const { $id, $v } = v as { $id: number; $v: unknown };
        objects[$id] = $v;
        return $v;
      }
      if (v !== null && typeof v === 'object' && '$ref' in v) {
        const known = objects[(v as { $ref: number }).$ref];
        if (known === undefined) throw new Error('cache file: a reference before its object');
        return known;
      }
      if (v !== null && typeof v === 'object' && '$ta' in v) {
        const { $ta, o, n } = v as { $ta: string; o: number; n: number };
        const Ctor = TYPES[$ta];
        const bytesPer = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
        if (!Ctor || base + o + n * bytesPer > size) throw new Error('cache file: an array outside the file');
        const key = `${$ta}:${o}:${n}`;
        let view = views.get(key);
        if (view === undefined) views.set(key, (view = new Ctor(buf, base + o, n)));
        return view;
      }
      return v;
    }) as { blob: number; set: T };
    return base + blob === size ? set : null;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
