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
  /** numbers as read; timestamps in epoch ms; null for nulls */
  values: (number | null)[];
}

export interface FeatherFrame {
  rows: number;
  columns: Map<string, FeatherColumn>;
}

const ARROW_MAGIC = 'ARROW1';
const FEATHER_V1_MAGIC = 'FEA1';

/** nanoseconds, microseconds, milliseconds, seconds per millisecond, by Arrow TimeUnit (SECOND=0 … NANOSECOND=3) */
const PER_MS: Record<number, bigint | null> = { 0: null, 1: 1n, 2: 1000n, 3: 1_000_000n };

/**
 * A column as plain numbers, read from the typed array in one pass (element-wise `get` costs ten times more);
 * timestamps become epoch ms, exact (BigInt division, the sub-millisecond rest kept as a fraction).
 */
function columnValues(vector: Vector, type: DataType): (number | null)[] {
  const n = vector.length;
  const raw = vector.toArray() as ArrayLike<number | bigint>;
  const out: (number | null)[] = new Array(n);
  if (DataType.isTimestamp(type)) {
    const div = PER_MS[(type as Timestamp).unit];
    for (let i = 0; i < n; i++) {
      const v = BigInt(raw[i]);
      out[i] = div === null ? Number(v) * 1000 : div === 1n ? Number(v) : Number(v / div) + Number(v % div) / Number(div);
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = typeof raw[i] === 'bigint' ? Number(raw[i]) : (raw[i] as number);
  }
  if (vector.nullCount > 0) for (let i = 0; i < n; i++) if (!vector.isValid(i)) out[i] = null;
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
    const values = numeric ? columnValues(table.getChild(field.name)!, field.type) : [];
    columns.set(field.name, { name: field.name, type: String(field.type), values });
  }
  return { rows: table.numRows, columns };
}
