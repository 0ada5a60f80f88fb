import { DuckDBInstance, DuckDBDoubleVector, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';

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
