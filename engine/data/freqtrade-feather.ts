/**
 * Reads a Feather v2 file (= Arrow IPC file format), as pandas/pyarrow write it for freqtrade, into plain
 * columns. Body compression is LZ4_FRAME (freqtrade's choice) or ZSTD; apache-arrow's reader only knows a codec
 * once one is registered, so both are registered here before any read.
 */
import fs from 'node:fs';
import { compressionRegistry, CompressionType, DataType, tableFromIPC, type Table, type Timestamp, type Vector } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import { InputError } from '../errors.ts';
import { lz4FrameDecode } from './freqtrade-lz4.ts';

/** apache-arrow views decoded buffers as typed arrays in place, so they must start on an 8-byte boundary. */
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}

/** Set on every read (it is two map writes): the registry is global and a caller may have replaced a codec. */
function registerCodecs(): void {
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (data: Uint8Array) => aligned(lz4FrameDecode(data)) });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data: Uint8Array) => aligned(zstdDecompress(data)) });
}

export interface FeatherColumn {
  name: string;
  /** the Arrow type as text, e.g. `Timestamp<MILLISECOND, UTC>` or `Float64` */
  type: string;
  /** numbers as read; timestamps in epoch ms; NaN for nulls */
  values: Float64Array;
}

export interface FeatherFrame {
  rows: number;
  columns: Map<string, FeatherColumn>;
}

const ARROW_MAGIC = 'ARROW1';
const FEATHER_V1_MAGIC = 'FEA1';

/** units per millisecond by Arrow TimeUnit (SECOND=0 … NANOSECOND=3); seconds are multiplied instead */
const PER_MS: Record<number, number | null> = { 0: null, 1: 1, 2: 1000, 3: 1_000_000 };

/**
 * A column as a Float64Array (not an array of numbers: one that long lives in V8's large-object space until a full
 * collection), read from the Arrow data in one pass (element-wise `get` costs ten times more). Timestamps become
 * epoch ms exactly from the two 32-bit halves of each 64-bit value (no BigInt per row); a sub-millisecond rest is
 * kept as a fraction.
 */
function columnValues(vector: Vector, type: DataType): Float64Array {
  const n = vector.length;
  const raw = vector.toArray() as ArrayLike<number | bigint>;
  const out = new Float64Array(n);
  if (DataType.isTimestamp(type)) {
    if (!(raw instanceof BigInt64Array)) throw new Error(`feather: expected 64-bit timestamps, apache-arrow gave ${(raw as object).constructor.name}`);
    const per = PER_MS[(type as Timestamp).unit];
    const halves = new Int32Array(raw.buffer, raw.byteOffset, n * 2);
    if (per === null) {
      for (let i = 0; i < n; i++) out[i] = (halves[2 * i + 1] * 2 ** 32 + (halves[2 * i] >>> 0)) * 1000;
    } else {
      // 2^32 = q32 · per + r32, so hi · 2^32 + lo = (hi · q32 + ⌊r / per⌋) · per + r mod per with r = hi · r32 + lo, every term exact in a double
      const q32 = Math.floor(2 ** 32 / per);
      const r32 = 2 ** 32 - q32 * per;
      for (let i = 0; i < n; i++) {
        const r = halves[2 * i + 1] * r32 + (halves[2 * i] >>> 0);
        const whole = Math.floor(r / per);
        out[i] = halves[2 * i + 1] * q32 + whole + (r - whole * per) / per;
      }
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(raw[i]);
  }
  if (vector.nullCount > 0) for (let i = 0; i < n; i++) if (!vector.isValid(i)) out[i] = NaN;
  return out;
}

export function readFeather(file: string): FeatherFrame {
  registerCodecs();
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new InputError(file, null, null, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const head = bytes.subarray(0, 6).toString('latin1');
  if (head.startsWith(FEATHER_V1_MAGIC)) {
    throw new InputError(file, null, null, 'Feather v1 file (written before pyarrow 0.17): convert it with `freqtrade convert-data --format-from feather --format-to feather` or re-download');
  }
  if (head !== ARROW_MAGIC) {
    throw new InputError(file, null, null, 'not a Feather v2 / Arrow IPC file (no ARROW1 magic)');
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new InputError(file, null, null, `cannot decode the Arrow data: ${(err as Error).message}`);
  }
  const columns = new Map<string, FeatherColumn>();
  for (const field of table.schema.fields) {
    const numeric = DataType.isTimestamp(field.type) || DataType.isFloat(field.type) || DataType.isInt(field.type);
    // other columns (freqtrade writes none) are listed by name and type only, for the error messages
    const values = numeric ? columnValues(table.getChild(field.name)!, field.type) : new Float64Array(0);
    columns.set(field.name, { name: field.name, type: String(field.type), values });
  }
  return { rows: table.numRows, columns };
}
