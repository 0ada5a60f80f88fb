/**
 * A small Parquet writer for the files a run saves (features, alerts, P&L): flat schemas of nullable DOUBLE,
 * BIGINT, INTEGER, TINYINT, TIMESTAMP, BOOLEAN, VARCHAR and JSON columns, written row group by row group from typed
 * arrays straight to a temp file that is renamed into place by finish(). DuckDB reads the files back with the same
 * types and values as its own COPY produced (tested); staging the rows in a DuckDB table for a COPY cost more time
 * and memory than the whole replay.
 *
 * Layout: format v1 data pages, one page per column chunk; definition levels and dictionary indices in the RLE /
 * bit-packed hybrid; strings dictionary-encoded; BROTLI compression (node:zlib has no zstd on Node 20, and brotli
 * at quality 1 is smaller than gzip -1 on these columns at half its CPU time). Min/max statistics per chunk keep
 * DuckDB's row-group pruning for range filters on ts / ts_ms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { ThriftWriter } from './thrift-compact.ts';

export type ParquetKind = 'double' | 'int64' | 'int32' | 'int8' | 'timestamp' | 'boolean' | 'string' | 'json';

export interface ParquetColumn {
  name: string;
  kind: ParquetKind;
  /** doubles: NaN is NULL (the default), or NaN is kept as a value (then the chunk has no min/max) */
  nan?: 'null' | 'value';
}

/** a string column as dictionary codes: code k > 0 is words[k - 1], 0 is null */
export interface CodedStrings {
  codes: Int32Array;
  words: readonly string[];
}

/**
 * One row group's values of one column: numbers (and timestamps as epoch ms) as Float64Array with NaN for null,
 * booleans as Uint8Array (0 false, 1 true, 2 null), strings as CodedStrings.
 */
export type ColumnValues = Float64Array | Uint8Array | CodedStrings;

export const BOOL_NULL = 2;

// Parquet enums (parquet.thrift)
const TYPE = { BOOLEAN: 0, INT32: 1, INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const CONVERTED = { UTF8: 0, TIMESTAMP_MICROS: 10, INT_8: 15, INT_64: 18, JSON: 19 } as const;
const ENC = { PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3 } as const;
const PAGE = { DATA: 0, DICTIONARY: 2 } as const;
const OPTIONAL = 1;
const UNCOMPRESSED = 0;
const BROTLI = 4;
const BROTLI_QUALITY = 1;
/** with storeIncompressible: a column whose first chunk brotli left above this share of its size is stored from then on */
const INCOMPRESSIBLE = 0.9;
const DECIDE_BYTES = 64 * 1024;
const MAGIC = new TextEncoder().encode('PAR1');

if (os.endianness() !== 'LE') throw new Error('parquet-writer copies typed arrays as little-endian bytes: big-endian hosts are not supported');

/** a growable byte buffer for encoded page bodies */
class Bytes {
  buf: Uint8Array;
  len = 0;
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  uvarint(v: number): void {
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf[this.len++] = v & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 24) & 0xff;
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/**
 * The RLE / bit-packed hybrid of values[0..n) at `width` bits: runs of ≥ 8 equal values as RLE, the rest
 * bit-packed in groups of 8 (a bit-packed run must hold whole groups, so it borrows the first values of the run
 * that ends it).
 */
function encodeHybrid(out: Bytes, values: ArrayLike<number>, n: number, width: number): void {
  const valueBytes = (width + 7) >> 3;
  let pending = 0;
  let i = 0;
  while (i < n) {
    const v = values[i];
    let j = i + 1;
    while (j < n && values[j] === v) j++;
    if (j - i >= 8) {
      const pad = (8 - ((i - pending) & 7)) & 7;
      if (i > pending) bitPacked(out, values, pending, i + pad, width);
      out.uvarint((j - i - pad) * 2);
      for (let b = 0; b < valueBytes; b++) out.byte((v >>> (8 * b)) & 0xff);
      pending = j;
    }
    i = j;
  }
  if (pending < n) bitPacked(out, values, pending, n, width);
}

function bitPacked(out: Bytes, values: ArrayLike<number>, from: number, to: number, width: number): void {
  const groups = Math.ceil((to - from) / 8);
  out.uvarint(groups * 2 + 1);
  out.ensure(groups * width);
  let acc = 0;
  let bits = 0;
  const end = from + groups * 8;
  for (let i = from; i < end; i++) {
    acc |= (i < to ? values[i] : 0) << bits;
    bits += width;
    while (bits >= 8) {
      out.buf[out.len++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
}

function physical(kind: ParquetKind): number {
  switch (kind) {
    case 'double':
      return TYPE.DOUBLE;
    case 'int64':
    case 'timestamp':
      return TYPE.INT64;
    case 'int32':
    case 'int8':
      return TYPE.INT32;
    case 'boolean':
      return TYPE.BOOLEAN;
    default:
      return TYPE.BYTE_ARRAY;
  }
}

interface Stats {
  nulls: number;
  min: Uint8Array | null;
  max: Uint8Array | null;
}

/** a column chunk's pages and statistics; offsets count from the start of its row group's bytes until appended */
interface EncodedChunk {
  /** BROTLI, or UNCOMPRESSED for a column brotli could not shrink (storeIncompressible) */
  codec: number;
  offset: number;
  dictionaryOffset: number | null;
  dataOffset: number;
  compressed: number;
  uncompressed: number;
  encodings: number[];
  stats: Stats;
}

/** one row group's pages, ready to append to a file */
interface EncodedRowGroup {
  rows: number;
  bytes: Uint8Array;
  chunks: EncodedChunk[];
}

interface ChunkMeta extends EncodedChunk {
  column: ParquetColumn;
  rows: number;
}

interface Encoded {
  nonNull: number;
  valueBytes: Uint8Array;
  encoding: number;
  min: Uint8Array | null;
  max: Uint8Array | null;
}

interface RowGroupMeta {
  rows: number;
  chunks: ChunkMeta[];
}

const le64 = (v: number): Uint8Array => new Uint8Array(new Float64Array([v]).buffer);
const leI64 = (v: bigint): Uint8Array => new Uint8Array(new BigInt64Array([v]).buffer);
const leI32 = (v: number): Uint8Array => new Uint8Array(new Int32Array([v]).buffer);

export interface ParquetWriterOptions {
  /**
   * Store (codec UNCOMPRESSED) the later row groups of a column whose first sizeable chunk (≥ 64 KiB) brotli could
   * not shrink below 90 %: noisy doubles cost brotli a third of its time on the feature file for ≈ 5 % of their
   * size. Off: every chunk is brotli, as the run's other files are written.
   */
  storeIncompressible?: boolean;
}

export class ParquetWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly groups: RowGroupMeta[] = [];
  private done = false;
  private readonly encoder: RowGroupEncoder;

  private constructor(
    readonly columns: readonly ParquetColumn[],
    readonly target: string,
    private readonly tmp: string,
    options: ParquetWriterOptions,
  ) {
    this.fd = fs.openSync(tmp, 'w');
    this.encoder = new RowGroupEncoder(columns, options);
    this.write(MAGIC);
  }

  /** a writer whose rows go to `${file}.tmp-…` until finish() renames it to file */
  static create(file: string, columns: readonly ParquetColumn[], options: ParquetWriterOptions = {}): ParquetWriter {
    const target = path.resolve(file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    return new ParquetWriter(columns, target, `${target}.tmp-${randomUUID().slice(0, 8)}`, options);
  }

  private write(b: Uint8Array): void {
    let at = 0;
    while (at < b.length) at += fs.writeSync(this.fd, b, at, b.length - at);
    this.offset += b.length;
  }

  /** rows [0, rows) of every column's values, in column order */
  writeRowGroup(rows: number, values: readonly ColumnValues[]): void {
    if (this.done) throw new Error('parquet writer already finished or aborted');
    if (values.length !== this.columns.length) throw new Error(`row group has ${values.length} columns, the schema ${this.columns.length}`);
    if (rows === 0) return;
    this.append(this.encoder.encode(rows, values));
  }

  /** the group's pages in one write, their offsets moved to where they land in the file */
  private append(group: EncodedRowGroup): void {
    const base = this.offset;
    this.write(group.bytes);
    const chunks = group.chunks.map(
      (c, i): ChunkMeta => ({
        ...c,
        offset: base + c.offset,
        dictionaryOffset: c.dictionaryOffset === null ? null : base + c.dictionaryOffset,
        dataOffset: base + c.dataOffset,
        column: this.columns[i],
        rows: group.rows,
      }),
    );
    this.groups.push({ rows: group.rows, chunks });
  }

  private footer(): Uint8Array {
    const rows = this.groups.reduce((n, g) => n + g.rows, 0);
    return ThriftWriter.message((w) => {
      w.i32(1, 1);
      w.listStruct(2, [null, ...this.columns], (s, c) => {
        if (c === null) {
          s.string(4, 'schema').i32(5, this.columns.length);
          return;
        }
        s.i32(1, physical(c.kind)).i32(3, OPTIONAL).string(4, c.name);
        if (c.kind === 'string') s.i32(6, CONVERTED.UTF8).struct(10, (l) => l.struct(1, () => {}));
        else if (c.kind === 'json') s.i32(6, CONVERTED.JSON).struct(10, (l) => l.struct(12, () => {}));
        else if (c.kind === 'timestamp') s.i32(6, CONVERTED.TIMESTAMP_MICROS).struct(10, (l) => l.struct(8, (t) => t.bool(1, false).struct(2, (u) => u.struct(2, () => {}))));
        else if (c.kind === 'int64') s.i32(6, CONVERTED.INT_64);
        else if (c.kind === 'int8') s.i32(6, CONVERTED.INT_8);
      });
      w.i64(3, rows);
      w.listStruct(4, this.groups, (g, group) => {
        g.listStruct(1, group.chunks, (cc, m) => {
          cc.i64(2, m.offset);
          cc.struct(3, (md) => {
            md.i32(1, physical(m.column.kind)).listI32(2, m.encodings).listString(3, [m.column.name]).i32(4, m.codec);
            md.i64(5, m.rows).i64(6, m.uncompressed).i64(7, m.compressed).i64(9, m.dataOffset);
            if (m.dictionaryOffset !== null) md.i64(11, m.dictionaryOffset);
            md.struct(12, (st) => {
              st.i64(3, m.stats.nulls);
              if (m.stats.max !== null) st.binary(5, m.stats.max);
              if (m.stats.min !== null) st.binary(6, m.stats.min);
            });
          });
        });
        g.i64(2, group.chunks.reduce((n, c) => n + c.uncompressed, 0)).i64(3, group.rows);
      });
      w.string(6, 'regime-workbench parquet-writer');
      w.listStruct(7, this.columns, (o) => o.struct(1, () => {}));
    });
  }

  /** writes the footer and renames the temp file to the target */
  finish(): void {
    if (this.done) throw new Error('parquet writer already finished or aborted');
    try {
      const meta = this.footer();
      this.write(meta);
      const tail = new Uint8Array(8);
      new DataView(tail.buffer).setUint32(0, meta.length, true);
      tail.set(MAGIC, 4);
      this.write(tail);
      this.done = true;
      this.release();
      fs.closeSync(this.fd);
      fs.renameSync(this.tmp, this.target);
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  private release(): void {
    this.encoder.release();
  }

  /** drops the temp file (a failed run); safe to call after finish */
  abort(): void {
    if (!this.done) {
      this.done = true;
      this.release();
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    fs.rmSync(this.tmp, { force: true });
  }
}

/** Encodes and compresses a row group of a fixed set of columns into page bytes, gathered so the writer makes one write per group. */
class RowGroupEncoder {
  private readonly encoder = new TextEncoder();
  /** per string column: UTF-8 bytes of each word, encoded once */
  private readonly utf8: (Uint8Array[] | undefined)[];
  /** the group's pages, one after the other */
  private readonly out = new Bytes(1 << 16);

  /** per column: true once its chunks are stored uncompressed; null until its first chunk decided it (storeIncompressible) */
  private readonly stored: (boolean | null)[];

  constructor(
    readonly columns: readonly ParquetColumn[],
    options: ParquetWriterOptions = {},
  ) {
    this.utf8 = columns.map(() => undefined);
    this.stored = columns.map(() => (options.storeIncompressible ? null : false));
  }

  /** rows [0, rows) of every column's values; the bytes are valid until the next call */
  encode(rows: number, values: readonly ColumnValues[]): EncodedRowGroup {
    if (values.length !== this.columns.length) throw new Error(`row group has ${values.length} columns, the schema ${this.columns.length}`);
    this.out.len = 0;
    const chunks = this.columns.map((c, i) => this.writeChunk(c, i, rows, values[i]));
    return { rows, bytes: this.out.view(), chunks };
  }

  private page(type: number, body: Uint8Array, codec: number, header: (w: ThriftWriter) => void): { compressed: number; uncompressed: number } {
    const packed =
      codec === UNCOMPRESSED
        ? body
        : zlib.brotliCompressSync(body, {
            params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
          });
    const head = ThriftWriter.message((w) => {
      w.i32(1, type).i32(2, body.length).i32(3, packed.length);
      header(w);
    });
    this.out.raw(head);
    this.out.raw(packed);
    return { compressed: head.length + packed.length, uncompressed: head.length + body.length };
  }

  /** scratch arrays reused by every chunk (pages are compressed before the next chunk is encoded) */
  private defined = new Uint8Array(0);
  private kept = new Float64Array(0);
  private indices = new Int32Array(0);
  private readonly body = new Bytes(1 << 16);
  private readonly dict = new Bytes(1 << 10);
  private readonly ids = new Bytes(1 << 12);

  private scratch(rows: number): void {
    if (this.defined.length >= rows) return;
    this.defined = new Uint8Array(rows);
    this.kept = new Float64Array(rows);
    this.indices = new Int32Array(rows);
  }

  private writeChunk(column: ParquetColumn, index: number, rows: number, values: ColumnValues): EncodedChunk {
    this.scratch(rows);
    const start = this.out.len;
    const chunk: EncodedChunk = {
      codec: this.stored[index] === true ? UNCOMPRESSED : BROTLI,
      offset: start,
      dictionaryOffset: null,
      dataOffset: 0,
      compressed: 0,
      uncompressed: 0,
      encodings: [ENC.PLAIN, ENC.RLE],
      stats: { nulls: 0, min: null, max: null },
    };
    let encoded: Encoded;
    if (values instanceof Float64Array) encoded = column.nan === 'value' ? this.doublesWithNaN(values, rows) : this.numbers(column.kind, values, rows);
    else if (values instanceof Uint8Array) encoded = this.booleans(values, rows);
    else encoded = this.strings(index, values, rows, chunk);
    const { nonNull, valueBytes, encoding } = encoded;
    chunk.stats = { nulls: rows - nonNull, min: encoded.min, max: encoded.max };
    if (encoding !== ENC.PLAIN) chunk.encodings = [encoding, ENC.RLE];

    // definition levels (0 null, 1 present), length-prefixed as data page v1 wants
    const body = this.body;
    body.len = 0;
    body.ensure(4 + 16 + (nonNull === rows || nonNull === 0 ? 0 : (rows >> 3) + 16) + valueBytes.length);
    body.u32(0);
    if (nonNull === rows || nonNull === 0) {
      body.uvarint(rows * 2);
      body.byte(nonNull === rows ? 1 : 0);
    } else {
      encodeHybrid(body, this.defined, rows, 1);
    }
    const levels = body.len - 4;
    body.buf[0] = levels & 0xff;
    body.buf[1] = (levels >>> 8) & 0xff;
    body.buf[2] = (levels >>> 16) & 0xff;
    body.buf[3] = (levels >>> 24) & 0xff;
    body.raw(valueBytes);
    chunk.dataOffset = this.out.len;
    const p = this.page(PAGE.DATA, body.view(), chunk.codec, (w) => w.struct(5, (s) => s.i32(1, rows).i32(2, encoding).i32(3, ENC.RLE).i32(4, ENC.RLE)));
    chunk.compressed += p.compressed;
    chunk.uncompressed += p.uncompressed;
    // decided on a chunk with enough values to judge (a column still all null at the start of a replay is not)
    if (this.stored[index] === null && chunk.uncompressed >= DECIDE_BYTES) this.stored[index] = chunk.compressed > INCOMPRESSIBLE * chunk.uncompressed;
    return chunk;
  }

  /** doubles, integers and timestamps (epoch ms → µs): the non-null values, PLAIN */
  private numbers(kind: ParquetKind, values: Float64Array, rows: number): Encoded {
    const nonNull = numberRange(values, rows);
    const lo = rangeLo;
    const hi = rangeHi;
    // a chunk without nulls (most, past the warm-up) is written from the caller's array: no definition levels to mark, no copy
    let kept = values;
    if (nonNull < rows) {
      kept = this.kept;
      keepDefined(values, rows, this.defined, kept);
    }
    const some = nonNull > 0;
    if (kind === 'double') {
      return { nonNull, valueBytes: new Uint8Array(kept.buffer, kept.byteOffset, nonNull * 8), encoding: ENC.PLAIN, min: some ? le64(lo) : null, max: some ? le64(hi) : null };
    }
    if (kind === 'int64' || kind === 'timestamp') {
      const scale = kind === 'timestamp' ? 1000 : 1;
      // two's-complement halves by floor division: exact for |v| < 2^53, and no BigInt per value
      const words = int64Words(kept, nonNull, scale);
      const bound = (v: number) => leI64(BigInt(Math.round(v * scale)));
      return { nonNull, valueBytes: new Uint8Array(words.buffer), encoding: ENC.PLAIN, min: some ? bound(lo) : null, max: some ? bound(hi) : null };
    }
    return { nonNull, valueBytes: new Uint8Array(Int32Array.from(kept.subarray(0, nonNull)).buffer), encoding: ENC.PLAIN, min: some ? leI32(lo) : null, max: some ? leI32(hi) : null };
  }

  /** doubles where NaN is a value, not NULL (as DuckDB's appendDouble(NaN) stores it) */
  private doublesWithNaN(values: Float64Array, rows: number): Encoded {
    this.defined.fill(1, 0, rows);
    const nan = numberRange(values, rows) < rows;
    const lo = rangeLo;
    const hi = rangeHi;
    // DuckDB orders NaN above every number, so bounds without it could prune a row group wrongly
    const bounds = rows > 0 && !nan && lo <= hi;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, rows * 8);
    return { nonNull: rows, valueBytes: bytes, encoding: ENC.PLAIN, min: bounds ? le64(lo) : null, max: bounds ? le64(hi) : null };
  }

  /** booleans bit-packed, PLAIN */
  private booleans(values: Uint8Array, rows: number): Encoded {
    const bits = new Uint8Array(Math.ceil(rows / 8));
    const packed = packBooleans(values, rows, this.defined, bits);
    const nonNull = Math.floor(packed / 4);
    const seen = packed % 4;
    return {
      nonNull,
      valueBytes: bits.subarray(0, Math.ceil(nonNull / 8)),
      encoding: ENC.PLAIN,
      min: seen ? Uint8Array.of(seen & 1 ? 0 : 1) : null,
      max: seen ? Uint8Array.of(seen & 2 ? 1 : 0) : null,
    };
  }

  /** the chunk's own dictionary (the words it uses, in order of first use) as a dictionary page; indices in the hybrid */
  private strings(index: number, values: CodedStrings, rows: number, chunk: EncodedChunk): Encoded {
    const { codes, words } = values;
    const utf8 = (this.utf8[index] ??= []);
    for (let k = utf8.length; k < words.length; k++) utf8.push(this.encoder.encode(words[k]));
    const indices = this.indices;
    const local = new Int32Array(words.length + 1).fill(-1);
    const used: number[] = [];
    const nonNull = localIds(codes, rows, this.defined, indices, local, used);
    if (used.length === 0) return { nonNull, valueBytes: new Uint8Array(0), encoding: ENC.PLAIN, min: null, max: null };
    let min: Uint8Array | null = null;
    let max: Uint8Array | null = null;
    const dict = this.dict;
    dict.len = 0;
    for (const code of used) {
      const w = utf8[code - 1];
      dict.u32(w.length);
      dict.raw(w);
      if (min === null || Buffer.compare(w, min) < 0) min = w;
      if (max === null || Buffer.compare(w, max) > 0) max = w;
    }
    chunk.dictionaryOffset = this.out.len;
    const d = this.page(PAGE.DICTIONARY, dict.view(), chunk.codec, (w) => w.struct(7, (s) => s.i32(1, used.length).i32(2, ENC.PLAIN_DICTIONARY)));
    chunk.compressed += d.compressed;
    chunk.uncompressed += d.uncompressed;
    const width = Math.max(1, 32 - Math.clz32(used.length - 1));
    const ids = this.ids;
    ids.len = 0;
    ids.byte(width);
    encodeHybrid(ids, indices, nonNull, width);
    return { nonNull, valueBytes: ids.view(), encoding: ENC.PLAIN_DICTIONARY, min, max };
  }


  release(): void {
    this.defined = new Uint8Array(0);
    this.kept = new Float64Array(0);
    this.indices = new Int32Array(0);
    for (const b of [this.out, this.body, this.dict, this.ids]) b.buf = new Uint8Array(0);
  }
}

// The loops over a chunk's rows are functions of their own: inside the encoders each loop was compiled on stack
// replacement and thrown away again as the encoder's later code first ran (≈ 60 deoptimisations per backtest over the
// writing threads, by --trace-deopt); alone, each is optimised once per thread and stays so.

/**
 * numberRange's min and max of the last chunk: module variables rather than an out array, whose stores after the loop
 * had no type feedback when the loop was compiled on stack in the first call, and that code, entered again at its
 * loop on each later call, was thrown away there each time (tens to hundreds of times a backtest)
 */
let rangeLo = Infinity;
let rangeHi = -Infinity;

/** the non-null (non-NaN) count of values[0..rows); their min and max into rangeLo and rangeHi */
function numberRange(values: Float64Array, rows: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  let nonNull = 0;
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (v === v) {
      nonNull++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  rangeLo = lo;
  rangeHi = hi;
  return nonNull;
}

/** the non-null values into kept, in order; defined[r] says which rows had one */
function keepDefined(values: Float64Array, rows: number, defined: Uint8Array, kept: Float64Array): void {
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (v === v) {
      defined[r] = 1;
      kept[k++] = v;
    } else defined[r] = 0;
  }
}

/** little-endian int64 halves of round(v · scale): two's complement by floor division, exact for |v| < 2^53, no BigInt per value */
function int64Words(kept: Float64Array, n: number, scale: number): Uint32Array {
  const words = new Uint32Array(n * 2);
  for (let k = 0; k < n; k++) {
    const v = Math.round(kept[k] * scale);
    const high = Math.floor(v / 4294967296);
    words[2 * k] = v - high * 4294967296;
    words[2 * k + 1] = high;
  }
  return words;
}

/** the non-null booleans bit-packed into bits, definition levels into defined; returns nonNull << 2 | seen (1 a false, 2 a true) */
function packBooleans(values: Uint8Array, rows: number, defined: Uint8Array, bits: Uint8Array): number {
  let nonNull = 0;
  let seen = 0;
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (v !== BOOL_NULL) {
      defined[r] = 1;
      if (v) bits[nonNull >> 3] |= 1 << (nonNull & 7);
      seen |= v ? 2 : 1;
      nonNull++;
    } else defined[r] = 0;
  }
  return nonNull * 4 + seen;
}

/** a chunk's string codes to ids into its own dictionary (used: the codes in order of first use); returns the non-null count */
function localIds(codes: Int32Array, rows: number, defined: Uint8Array, indices: Int32Array, local: Int32Array, used: number[]): number {
  let nonNull = 0;
  for (let r = 0; r < rows; r++) {
    const code = codes[r];
    if (code === 0) {
      defined[r] = 0;
      continue;
    }
    defined[r] = 1;
    let l = local[code];
    if (l < 0) {
      l = local[code] = used.length;
      used.push(code);
    }
    indices[nonNull++] = l;
  }
  return nonNull;
}

/** strings (null allowed) to dictionary codes in order of first appearance */
export function codeStrings(values: readonly (string | null | undefined)[]): CodedStrings {
  const dict = new Map<string, number>();
  const words: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    let c = dict.get(v);
    if (c === undefined) {
      words.push(v);
      c = words.length;
      dict.set(v, c);
    }
    codes[i] = c;
  }
  return { codes, words };
}

/** the default row group size: one group's typed columns stay a few MB per column set */
export const ROW_GROUP_ROWS = 32_768;

/** a whole table in one call, split into row groups */
export function writeParquetFile(file: string, columns: readonly ParquetColumn[], rows: number, values: readonly ColumnValues[], groupRows = ROW_GROUP_ROWS): void {
  const w = ParquetWriter.create(file, columns);
  try {
    for (let start = 0; start < rows; start += groupRows) {
      const end = Math.min(rows, start + groupRows);
      w.writeRowGroup(
        end - start,
        values.map((v) => (v instanceof Float64Array || v instanceof Uint8Array ? v.subarray(start, end) : { codes: v.codes.subarray(start, end), words: v.words })),
      );
    }
    w.finish();
  } catch (err) {
    w.abort();
    throw err;
  }
}
