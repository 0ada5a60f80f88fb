/**
 * Reads a Feather v2 file (= Arrow IPC file format), as pandas/pyarrow write it for freqtrade, into plain
 * columns. Body compression is LZ4_FRAME (freqtrade's choice) or ZSTD; apache-arrow's reader only knows a codec
 * once one is registered, so both are registered here before any read.
 */
import fs from 'node:fs';
import { compressionRegistry, CompressionType, tableFromIPC, type Table } from 'apache-arrow';
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

/** Arrow timestamps come back as epoch ms numbers for every unit (the JS reader converts); bigint otherwise. */
function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  return NaN;
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
    const vector = table.getChild(field.name)!;
    const values: (number | null)[] = new Array(table.numRows);
    for (let i = 0; i < table.numRows; i++) values[i] = toNumber(vector.get(i));
    columns.set(field.name, { name: field.name, type: String(field.type), values });
  }
  return { rows: table.numRows, columns };
}
