// The Parquet writer on SYNTHETIC columns built to hit its edge cases (all-null and never-null chunks, runs and
// mixtures of nulls, dictionaries wider than a byte, non-ASCII words, negative and pre-1970 times, several row
// groups, an empty file), read back by DuckDB and compared with DuckDB's own COPY of the same values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDuckDB, queryRows, sqlString, type DuckDBConnection } from '../data/duckdb.ts';
import type { DuckDBInstance } from '@duckdb/node-api';
import { BOOL_NULL, codeStrings, ParquetWriter, writeParquetFile, type CodedStrings, type ColumnValues, type ParquetColumn } from './parquet-writer.ts';

/** a seeded generator (mulberry32) so every run tests the same synthetic values */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COLUMNS: ParquetColumn[] = [
  { name: 'ts', kind: 'timestamp' },
  { name: 'ts_ms', kind: 'int64' },
  { name: 'x', kind: 'double' },
  { name: 'sparse', kind: 'double' },
  { name: 'never', kind: 'double' },
  { name: 'flag', kind: 'boolean' },
  { name: 'dir', kind: 'int8' },
  { name: 'n', kind: 'int32' },
  { name: 'word', kind: 'string' },
  { name: 'wide', kind: 'string' },
  { name: 'doc', kind: 'json' },
  { name: 'blank', kind: 'string' },
];

function synthetic(rows: number): ColumnValues[] {
  const r = rng(7);
  const ts = Float64Array.from({ length: rows }, (_, i) => -86_400_000 * 3 + i * 3_600_000);
  const x = Float64Array.from({ length: rows }, () => (r() - 0.5) * 1e6);
  // long null runs and scattered nulls, so definition levels use both RLE and bit-packed runs
  const sparse = Float64Array.from({ length: rows }, (_, i) => (i % 1000 < 300 || r() < 0.2 ? NaN : r()));
  const never = new Float64Array(rows).fill(NaN);
  const flag = Uint8Array.from({ length: rows }, () => (r() < 0.1 ? BOOL_NULL : r() < 0.5 ? 1 : 0));
  const dir = Float64Array.from({ length: rows }, () => (r() < 0.3 ? NaN : r() < 0.5 ? -1 : 1));
  const n = Float64Array.from({ length: rows }, () => Math.floor((r() - 0.5) * 2 ** 31));
  const words = ['alpha', 'βeta', 'gamma', '', 'δέλτα 🚀'];
  const word = codeStrings(Array.from({ length: rows }, (_, i) => (i % 17 === 0 ? null : words[Math.floor(r() * words.length)])));
  // up to 700 distinct words: dictionary indices ten bits wide
  const wide = codeStrings(Array.from({ length: rows }, () => `w${Math.floor(r() * 700)}`));
  const doc = codeStrings(Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : JSON.stringify({ i, v: r() < 0.5 ? null : 'x' }))));
  const blank = codeStrings(new Array<string | null>(rows).fill(null));
  return [ts, ts, x, sparse, never, flag, dir, n, word, wide, doc, blank];
}

/** the same values through DuckDB: a JSON-lines staging file, then COPY with DuckDB's own writer */
async function duckdbCopy(conn: DuckDBConnection, file: string, rows: number, values: ColumnValues[]): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const o: Record<string, unknown> = {};
    COLUMNS.forEach((c, k) => {
      const v = values[k];
      if (v instanceof Float64Array) o[c.name] = Number.isNaN(v[i]) ? null : v[i];
      else if (v instanceof Uint8Array) o[c.name] = v[i] === BOOL_NULL ? null : v[i] === 1;
      else o[c.name] = v.codes[i] === 0 ? null : v.words[v.codes[i] - 1];
    });
    lines.push(JSON.stringify(o));
  }
  const staged = `${file}.jsonl`;
  fs.writeFileSync(staged, lines.join('\n') + '\n');
  const types = `{ts: 'DOUBLE', ts_ms: 'DOUBLE', x: 'DOUBLE', sparse: 'DOUBLE', never: 'DOUBLE', flag: 'BOOLEAN', dir: 'DOUBLE', n: 'DOUBLE', word: 'VARCHAR', wide: 'VARCHAR', doc: 'VARCHAR', blank: 'VARCHAR'}`;
  await conn.run(`COPY (SELECT make_timestamp((ts * 1000)::BIGINT) AS ts, ts_ms::BIGINT AS ts_ms, x, sparse, never, flag, dir::TINYINT AS dir, n::INTEGER AS n, word, wide, doc::JSON AS doc, blank
    FROM read_json(${sqlString(staged)}, format = 'newline_delimited', columns = ${types})) TO ${sqlString(file)} (FORMAT parquet)`);
}

let tmp: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-writer-'));
  ({ instance, conn } = await openDuckDB());
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const describeFile = (file: string) => queryRows(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}))`);
const rowsOf = (file: string) => queryRows(conn, `SELECT * FROM read_parquet(${sqlString(file)})`);

describe('parquet writer (synthetic edge cases)', () => {
  it('DuckDB reads back the types and values its own COPY writes, over several row groups', async () => {
    const rows = 7_000;
    const values = synthetic(rows);
    const ours = path.join(tmp, 'ours.parquet');
    const ref = path.join(tmp, 'ref.parquet');
    writeParquetFile(ours, COLUMNS, rows, values, 3_000);
    await duckdbCopy(conn, ref, rows, values);
    expect(await describeFile(ours)).toEqual(await describeFile(ref));
    const [groups] = await queryRows(conn, `SELECT count(DISTINCT row_group_id) AS g FROM parquet_metadata(${sqlString(ours)})`);
    expect(groups.g).toBe(3n);
    const a = await rowsOf(ours);
    expect(a.length).toBe(rows);
    expect(a).toEqual(await rowsOf(ref));
  });

  it('keeps row-group pruning right: min/max statistics agree with the data', async () => {
    const rows = 7_000;
    const file = path.join(tmp, 'stats.parquet');
    writeParquetFile(file, COLUMNS, rows, synthetic(rows), 3_000);
    const stats = await queryRows(
      conn,
      `SELECT path_in_schema AS col, row_group_id AS g, stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls FROM parquet_metadata(${sqlString(file)}) WHERE path_in_schema IN ('ts_ms', 'x', 'word') ORDER BY col, g`,
    );
    expect(stats.length).toBe(9);
    for (const s of stats.filter((x) => x.col === 'word')) expect([s.lo, s.hi]).toEqual(['', 'δέλτα 🚀']);
    const [x] = await queryRows(conn, `SELECT min(x)::VARCHAR AS lo, max(x)::VARCHAR AS hi FROM read_parquet(${sqlString(file)})`);
    const xs = stats.filter((s) => s.col === 'x');
    expect(Math.min(...xs.map((s) => Number(s.lo)))).toBe(Number(x.lo));
    expect(Math.max(...xs.map((s) => Number(s.hi)))).toBe(Number(x.hi));
    const [t] = await queryRows(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(file)}) WHERE ts_ms >= 14400000000`);
    expect(t.n).toBe(BigInt(rows - 4_000 - 72));
  });

  it('storeIncompressible: a noisy column is stored once a sizeable chunk showed it, the rest stays brotli, values unchanged', async () => {
    const groupRows = 10_000;
    const rows = 4 * groupRows;
    const r = rng(11);
    const columns: ParquetColumn[] = [
      { name: 'ts_ms', kind: 'int64' },
      { name: 'noise', kind: 'double' },
      { name: 'late', kind: 'double' },
      { name: 'steps', kind: 'double' },
      { name: 'word', kind: 'string' },
    ];
    const ts = Float64Array.from({ length: rows }, (_, i) => i * 3_600_000);
    // every mantissa bit used (r() alone has 32), like returns and z-scores
    const noisy = () => Math.log(r() + 1e-9) * Math.sqrt(r() + 0.1);
    const noise = Float64Array.from({ length: rows }, () => (r() < 0.01 ? NaN : noisy()));
    // all null in the first group (a warm-up): nothing to judge there, so it is decided on the second
    const late = Float64Array.from({ length: rows }, (_, i) => (i < groupRows ? NaN : noisy()));
    const steps = Float64Array.from({ length: rows }, (_, i) => Math.floor(i / 500) * 0.25);
    const word = codeStrings(Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : ['a', 'b', 'c'][i % 3])));
    const values: ColumnValues[] = [ts, noise, late, steps, word];
    const stored = path.join(tmp, 'stored.parquet');
    const plain = path.join(tmp, 'brotli.parquet');
    const w = ParquetWriter.create(stored, columns, { storeIncompressible: true });
    for (let start = 0; start < rows; start += groupRows) {
      w.writeRowGroup(groupRows, values.map((v) => (v instanceof Float64Array ? v.subarray(start, start + groupRows) : { codes: (v as CodedStrings).codes.subarray(start, start + groupRows), words: (v as CodedStrings).words })));
    }
    w.finish();
    writeParquetFile(plain, columns, rows, values, groupRows);
    const codecs = await queryRows(conn, `SELECT path_in_schema AS col, list(compression ORDER BY row_group_id) AS codecs FROM parquet_metadata(${sqlString(stored)}) GROUP BY col ORDER BY col`);
    const B = 'BROTLI';
    const U = 'UNCOMPRESSED';
    expect(Object.fromEntries(codecs.map((c) => [c.col, (c.codecs as { items: string[] }).items ?? c.codecs]))).toEqual({
      late: [B, B, U, U],
      noise: [B, U, U, U],
      steps: [B, B, B, B],
      ts_ms: [B, B, B, B],
      word: [B, B, B, B],
    });
    expect(await describeFile(stored)).toEqual(await describeFile(plain));
    expect(await rowsOf(stored)).toEqual(await rowsOf(plain));
    expect(fs.statSync(stored).size).toBeGreaterThan(fs.statSync(plain).size);
  });

  it('writes an empty file DuckDB can read, and leaves nothing behind when aborted', async () => {
    const empty = path.join(tmp, 'empty.parquet');
    writeParquetFile(empty, COLUMNS, 0, synthetic(0));
    expect(await rowsOf(empty)).toEqual([]);
    expect((await describeFile(empty)).length).toBe(COLUMNS.length);
    const file = path.join(tmp, 'aborted.parquet');
    const w = ParquetWriter.create(file, COLUMNS);
    w.writeRowGroup(10, synthetic(10));
    expect(fs.readdirSync(tmp).some((f) => f.startsWith('aborted.parquet.tmp-'))).toBe(true);
    w.abort();
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('aborted'))).toEqual([]);
    expect(() => w.writeRowGroup(1, synthetic(1))).toThrow(/already finished or aborted/);
  });
});
