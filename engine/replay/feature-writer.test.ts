// The chunk-wise typed feature writer against the row-object writer it replaced, on a real range of the bundled data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../data/store.ts';
import { openDuckDB, queryRows, sqlString } from '../data/duckdb.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { featureColumns, toFeatureRow, type ColumnSpec, type FeatureRow } from '../pipeline/feature-row.ts';
import { loadReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';
import { runBacktest } from './backtest.ts';
import { FeatureTable } from './feature-writer.ts';

/** The previous implementation, kept as the oracle: every value appended one by one, then sorted in SQL. */
async function referenceParquet(columns: readonly ColumnSpec[], rows: readonly FeatureRow[], file: string): Promise<void> {
  const sqlType = { number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN' } as const;
  const { instance, conn } = await openDuckDB();
  try {
    await conn.run(`CREATE TABLE features (${columns.map((c) => `"${c.name}" ${sqlType[c.type]}`).join(', ')})`);
    const appender = await conn.createAppender('features');
    for (const row of rows) {
      for (const c of columns) {
        const v = row[c.name];
        if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) appender.appendNull();
        else if (c.type === 'number') appender.appendDouble(v as number);
        else if (c.type === 'boolean') appender.appendBoolean(v as boolean);
        else appender.appendVarchar(String(v));
      }
      appender.endRow();
    }
    appender.closeSync();
    await conn.run(
      `COPY (SELECT make_timestamp((ts_ms * 1000)::BIGINT) AS ts, * REPLACE (ts_ms::BIGINT AS ts_ms) FROM features ORDER BY ts_ms, symbol) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function readParquet(file: string): Promise<{ schema: Record<string, unknown>[]; rows: Record<string, unknown>[] }> {
  const { instance, conn } = await openDuckDB();
  try {
    const schema = await queryRows(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}))`);
    const rows = await queryRows(conn, `SELECT * FROM read_parquet(${sqlString(file)})`);
    return { schema, rows };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

let store: Store;
let tmp: string;
const config = defaultConfig();
const FROM = Date.UTC(2022, 4, 1);
const TO = Date.UTC(2022, 6, 1);
beforeAll(async () => {
  store = await openStore();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'feature-writer-'));
});
afterAll(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('typed chunk-wise feature writer', () => {
  it('writes the same file, row for row and type for type, as the row-object writer (real 2022 range)', async () => {
    const data = await loadReplayData(store, config.symbols, { from: FROM - 2000 * 3_600_000, to: TO });
    const columns = featureColumns(config.symbols);
    const rows: FeatureRow[] = [];
    const table = await FeatureTable.open(columns);
    runReplay(data, config, {
      emitFrom: FROM,
      onStep: (step) => {
        if (step.ts < FROM) return;
        for (const f of step.features) {
          const row = toFeatureRow(f);
          rows.push(row);
          table.add(row);
        }
      },
    });
    expect(rows.length).toBeGreaterThan(4000);
    // the range exercises every marker: null strings, true and false and null booleans, null numbers
    const kinds = (type: string) => columns.filter((c) => c.type === type).map((c) => c.name);
    expect(rows.some((r) => kinds('string').some((k) => r[k] === null))).toBe(true);
    for (const v of [true, false, null]) expect(rows.some((r) => kinds('boolean').some((k) => r[k] === v))).toBe(true);
    expect(rows.some((r) => kinds('number').some((k) => r[k] === null))).toBe(true);
    const ours = path.join(tmp, 'ours.parquet');
    const ref = path.join(tmp, 'reference.parquet');
    await table.writeParquet(ours);
    await referenceParquet(columns, rows, ref);
    const a = await readParquet(ours);
    const b = await readParquet(ref);
    expect(a.schema).toEqual(b.schema);
    expect(a.rows.length).toBe(rows.length);
    expect(a.rows).toEqual(b.rows);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('puts each hour in symbol order without a sort in SQL (symbols configured out of order)', async () => {
    const symbols = [...config.symbols].reverse();
    const columns = featureColumns(symbols);
    const data = await loadReplayData(store, symbols, { from: FROM - 1000 * 3_600_000, to: FROM + 48 * 3_600_000 });
    const rows: FeatureRow[] = [];
    const table = await FeatureTable.open(columns);
    runReplay(data, { ...config, symbols }, {
      emitFrom: FROM,
      onStep: (step) => {
        if (step.ts < FROM) return;
        for (const f of step.features) {
          rows.push(toFeatureRow(f));
          table.add(rows[rows.length - 1]);
        }
      },
    });
    expect(rows[0].symbol).toBe(symbols[0]);
    const ours = path.join(tmp, 'reversed.parquet');
    const ref = path.join(tmp, 'reversed-reference.parquet');
    await table.writeParquet(ours);
    await referenceParquet(columns, rows, ref);
    const a = await readParquet(ours);
    expect(a.rows.slice(0, 3).map((r) => r.symbol)).toEqual([...symbols].sort());
    expect(a.rows).toEqual((await readParquet(ref)).rows);
  });

  it('refuses rows out of time order and leaves no file behind', async () => {
    const columns = featureColumns(config.symbols);
    const table = await FeatureTable.open(columns);
    table.add({ ts_ms: 7_200_000, symbol: 'BTCUSDT' });
    expect(() => table.add({ ts_ms: 3_600_000, symbol: 'BTCUSDT' })).toThrow(/out of time order/);
    table.close();
    await expect(table.writeParquet(path.join(tmp, 'never.parquet'))).rejects.toThrow(/already written or closed/);
    expect(fs.existsSync(path.join(tmp, 'never.parquet'))).toBe(false);
  });

  it('runBacktest writes one row per reported symbol-hour', async () => {
    const file = path.join(tmp, 'bt.parquet');
    const { report } = await runBacktest(store, { config, from: FROM, to: FROM + 24 * 3_600_000 * 10, score: false, pnl: false, featuresFile: file });
    const { rows } = await readParquet(file);
    expect(rows.length).toBe(report.symbol_hours);
    expect(rows.every((r, i) => i === 0 || (r.ts_ms as bigint) >= (rows[i - 1].ts_ms as bigint))).toBe(true);
  });
});
