// Commits through one shared DuckDB connection (the live loop's, one per session) leave the same dataset as
// commits that each open their own, and leave nothing behind in the connection. Synthetic candles only.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder } from './batch-builder.ts';
import { commitBatches, openCommitConnection, type ColumnBatch, type CommitConnection, type CommitSummary } from './dataset-writer.ts';
import { openDuckDB, queryRows, sqlPath } from './duckdb.ts';
import { readSnapshot } from './snapshot.ts';

const HOUR = 3_600_000;
// two hours before a new year: every commit below touches two yearly partitions
const T0 = Date.UTC(2023, 11, 31, 22);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-dataset-writer-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** synthetic hourly candles from hour `from` to `to` (exclusive) after T0; `bump` restates their prices */
function candles(symbol: string, from: number, to: number, bump = 0): ColumnBatch {
  const b = new BatchBuilder('synthetic', 'candles_1h', 'binance', symbol);
  for (let h = from; h < to; h++) {
    const p = 100 + h + bump;
    b.add(h - from + 1, T0 + h * HOUR, { open: p, high: p + 1, low: p - 1, close: p + 0.5, volume: 10 + h });
  }
  return b.finish();
}

async function* failingAfterOne(): AsyncGenerator<ColumnBatch> {
  yield candles('AAAUSDT', 0, 5, 7);
  throw new Error('synthetic parse error');
}

/** the same sequence of commits: new rows, restated and added rows, an unchanged repeat, a failed commit */
async function commitSequence(ds: string, duckdb?: CommitConnection): Promise<(CommitSummary | string)[]> {
  const out: (CommitSummary | string)[] = [];
  const steps: (Iterable<ColumnBatch> | AsyncIterable<ColumnBatch>)[] = [
    [candles('AAAUSDT', 0, 6), candles('BBBUSDT', 0, 4)],
    [candles('AAAUSDT', 3, 9, 0.25)],
    [candles('BBBUSDT', 0, 4)],
    failingAfterOne(),
    [candles('AAAUSDT', 8, 12, 0.5)],
  ];
  for (const batches of steps) out.push(await commitBatches(ds, batches, { duckdb }).catch((err: Error) => err.message));
  return out;
}

async function rowsOf(ds: string): Promise<Record<string, unknown>[]> {
  const { instance, conn } = await openDuckDB();
  try {
    const files = readSnapshot(ds).files.map((f) => path.join(ds, ...f.split('/')));
    return await queryRows(conn, `SELECT filename[${ds.length + 2}:] AS file_dir, * EXCLUDE (filename) FROM read_parquet([${files.map(sqlPath).join(', ')}], filename = true, hive_partitioning = false) ORDER BY ALL`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('commitBatches through a shared connection', () => {
  it('writes what commits with their own DuckDB write, and leaves no table behind', async () => {
    const apart = path.join(dir, 'apart');
    const shared = path.join(dir, 'shared');
    const db = await openCommitConnection();
    try {
      const a = await commitSequence(apart);
      const s = await commitSequence(shared, db);
      expect(a[3]).toBe('synthetic parse error');
      expect((a[1] as CommitSummary).replaced).toBe(3);
      expect((a[2] as CommitSummary).filesWritten).toBe(0);
      expect(s).toEqual(a);
      const strip = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, file_dir: String(r.file_dir).replace(/\/g\d+-[0-9a-f]+\.parquet$/, '') }));
      const rowsA = strip(await rowsOf(apart));
      expect(rowsA).toHaveLength(12 + 4);
      expect(strip(await rowsOf(shared))).toEqual(rowsA);
      expect(await queryRows(db.conn, 'SELECT count(*)::INTEGER AS n FROM duckdb_tables()')).toEqual([{ n: 0 }]);
    } finally {
      db.close();
      db.close();
    }
  });
});
