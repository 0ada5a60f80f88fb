// readFloatColumns against DuckDB's own row values: several chunks, NULLs on and around chunk edges, no rows, a wrong type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, queryRows, readFloatColumns, type DuckDBConnection } from './duckdb.ts';

let db: Awaited<ReturnType<typeof openDuckDB>>;
let conn: DuckDBConnection;
beforeAll(async () => {
  db = await openDuckDB();
  conn = db.conn;
});
afterAll(() => {
  conn.closeSync();
  db.instance.closeSync();
});

// 5,000 rows: three chunks of DuckDB's 2,048; NULLs every 7th row of x and around the first chunk edge of y
const ROWS = `SELECT i::DOUBLE AS i, CASE WHEN i % 7 = 3 THEN NULL ELSE i * 0.5 - 100 END::DOUBLE AS x,
  CASE WHEN i BETWEEN 2045 AND 2050 OR i = 4999 THEN NULL ELSE -i END::DOUBLE AS y FROM range(5000) t(i) ORDER BY i`;

describe('readFloatColumns', () => {
  it('copies every chunk of every column, NULL as NaN', async () => {
    const cols = await readFloatColumns(conn, ROWS);
    expect(Object.keys(cols)).toEqual(['i', 'x', 'y']);
    const rows = await queryRows(conn, ROWS);
    expect(cols.i.length).toBe(5000);
    const want = (v: unknown) => (v === null ? NaN : Number(v));
    expect(Array.from(cols.x)).toEqual(rows.map((r) => want(r.x)));
    expect(Array.from(cols.y)).toEqual(rows.map((r) => want(r.y)));
    expect(Array.from(cols.i)).toEqual(rows.map((r) => want(r.i)));
    expect(cols.y.filter((v) => Number.isNaN(v)).length).toBe(7);
    expect(Number.isNaN(cols.y[2047]) && Number.isNaN(cols.y[2048]) && !Number.isNaN(cols.y[2044])).toBe(true);
  });

  it('gives empty columns for no rows', async () => {
    const cols = await readFloatColumns(conn, 'SELECT 1::DOUBLE AS a, 2::DOUBLE AS b WHERE false');
    expect(Object.keys(cols)).toEqual(['a', 'b']);
    expect(cols.a.length + cols.b.length).toBe(0);
  });

  it('names a column that is not DOUBLE', async () => {
    await expect(readFloatColumns(conn, 'SELECT 1::DOUBLE AS a, 2::BIGINT AS n')).rejects.toThrow(/column 'n' is BIGINT, cast it to DOUBLE/);
  });
});
