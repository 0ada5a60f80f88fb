import { DOUBLE, DuckDBDataChunk, DuckDBInstance, DuckDBDoubleVector, VARCHAR, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';

/** The node-api keeps a double vector's buffer and validity mask private; they are exactly what a bulk copy needs. */
interface RawDoubleVector {
  items: Float64Array;
  validity: { data: BigUint64Array | null; itemValid(i: number): boolean };
}

export type { DuckDBConnection };

export async function openDuckDB(dbPath = ':memory:'): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(dbPath);
  const conn = await instance.connect();
  return { instance, conn };
}

/** rows per data chunk appended to DuckDB: its vector size */
const CHUNK_ROWS = 2048;

/**
 * Appends columns of n rows as data chunks: a Float64Array is a DOUBLE column (NaN = NULL) copied into the chunk's
 * vector in one memcpy through the raw bindings, an array of strings a VARCHAR column (null = NULL), undefined a
 * column of NULLs. node-api's vector wrappers copy every vector out to JS and back, and a value-by-value appender
 * makes one native call per value (≈ 1.4 µs each: a sweep's 66-column row cost the main thread ≈ 90 µs).
 */
export function appendColumns(appender: DuckDBAppender, columns: readonly (Float64Array | readonly (string | null)[] | undefined)[], n: number): void {
  const chunk = DuckDBDataChunk.create(columns.map((c) => (c === undefined || c instanceof Float64Array ? DOUBLE : VARCHAR)), CHUNK_ROWS);
  const raw = (chunk as unknown as { chunk: bindings.DataChunk }).chunk;
  // the validity mask is built here and copied in (vector_get_validity hands out a copy, not the mask itself)
  const mask = new Uint8Array(CHUNK_ROWS / 8);
  for (let at = 0; at < n; at += CHUNK_ROWS) {
    const len = Math.min(CHUNK_ROWS, n - at);
    bindings.data_chunk_reset(raw);
    for (let i = 0; i < columns.length; i++) {
      const vector = bindings.data_chunk_get_vector(raw, i);
      const a = columns[i];
      let nulls = false;
      if (a instanceof Float64Array) {
        bindings.copy_data_to_vector(vector, 0, a.buffer as ArrayBuffer, a.byteOffset + at * 8, len * 8);
        for (let k = 0; k < len; k++) {
          if (a[at + k] === a[at + k]) continue;
          if (!nulls) mask.fill(0xff);
          nulls = true;
          mask[k >> 3] &= ~(1 << (k & 7));
        }
      } else if (a !== undefined) {
        for (let k = 0; k < len; k++) {
          const v = a[at + k];
          if (v !== null) {
            bindings.vector_assign_string_element(vector, k, v);
            continue;
          }
          if (!nulls) mask.fill(0xff);
          nulls = true;
          mask[k >> 3] &= ~(1 << (k & 7));
        }
      } else {
        mask.fill(0);
        nulls = true;
      }
      if (nulls) {
        bindings.vector_ensure_validity_writable(vector);
        bindings.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, mask.byteLength);
      }
    }
    bindings.data_chunk_set_size(raw, len);
    appender.appendDataChunk(chunk);
  }
}

/** SQL string literal with quotes escaped. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * DuckDB expands `*`, `?` and `[...]` in every path it reads, so a datasets folder named e.g. `data[1]` would
 * match other files or none; a bracketed character is the one escape its globbing understands.
 */
export function globEscape(file: string): string {
  return file.replace(/[[*?]/g, (c) => `[${c}]`);
}

/** A path as a SQL literal for read_parquet & co.: glob characters escaped, quotes doubled. */
export function sqlPath(file: string): string {
  return sqlString(globEscape(file));
}

export async function queryRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

export async function queryValue<T = unknown>(conn: DuckDBConnection, sql: string): Promise<T> {
  const rows = await queryRows(conn, sql);
  const first = rows[0];
  if (!first) throw new Error(`query returned no rows: ${sql}`);
  return Object.values(first)[0] as T;
}

/**
 * Runs a query whose every column is DOUBLE and copies the result into one Float64Array per column, NULL → NaN.
 * This is the fast path: it copies DuckDB's vectors wholesale instead of converting values one by one, so cast
 * in SQL (`epoch_ms(ts)::DOUBLE`, `x::DOUBLE`).
 */
export async function readFloatColumns(conn: DuckDBConnection, sql: string): Promise<Record<string, Float64Array>> {
  const result = await conn.run(sql);
  const names = result.columnNames();
  const chunks: DuckDBDataChunk[] = [];
  let total = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    chunks.push(chunk);
    total += chunk.rowCount;
  }
  const out: Record<string, Float64Array> = {};
  names.forEach((name, col) => {
    const target = new Float64Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      const vector = chunk.getColumnVector(col);
      if (!(vector instanceof DuckDBDoubleVector)) {
        throw new Error(`readFloatColumns: column '${name}' is ${vector.type.toString()}, cast it to DOUBLE in SQL`);
      }
      const raw = vector as unknown as RawDoubleVector;
      const n = chunk.rowCount;
      target.set(raw.items.subarray(0, n), offset);
      markNulls(raw, n, target, offset);
      offset += n;
    }
    out[name] = target;
  });
  return out;
}

const ALL_VALID = (1n << 64n) - 1n;

/** Validity is a bitmask of 64-bit words; checking whole words keeps the all-valid common case cheap. */
function markNulls(vector: RawDoubleVector, n: number, target: Float64Array, offset: number): void {
  const words = vector.validity.data;
  if (!words) return;
  for (let w = 0; w * 64 < n; w++) {
    if (words[w] === ALL_VALID) continue;
    const end = Math.min(n, (w + 1) * 64);
    for (let i = w * 64; i < end; i++) {
      if (!vector.validity.itemValid(i)) target[offset + i] = NaN;
    }
  }
}
