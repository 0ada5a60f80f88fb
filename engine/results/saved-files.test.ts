// The files a run saves beside run.json (alerts, P&L curves and trades) from our Parquet writer against the DuckDB
// appender + COPY writers they replaced (kept below as oracles): same schema, same rows in the same order, on a
// real range of the bundled data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOUBLE, DuckDBDataChunk, type DuckDBAppender } from '@duckdb/node-api';
import { openDuckDB, queryRows, sqlString } from '../data/duckdb.ts';
import { openStore, type Store } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import type { Alert } from '../pipeline/alerts.ts';
import type { PaperPnl } from '../score/pnl.ts';
import { runBacktest } from '../replay/backtest.ts';
import { writeAlertsParquet } from './run-store.ts';
import { PNL_EQUITY_FILE, PNL_TRADES_FILE, writePnlFiles } from './pnl-files.ts';

async function oldAlertsParquet(file: string, alerts: readonly Alert[]): Promise<void> {
  const { instance, conn } = await openDuckDB();
  try {
    await conn.run(`CREATE TABLE alerts (id VARCHAR, ts_ms DOUBLE, symbol VARCHAR, event_type VARCHAR, severity VARCHAR, source VARCHAR, direction TINYINT, title VARCHAR, description VARCHAR, data VARCHAR)`);
    const a = await conn.createAppender('alerts');
    for (const x of alerts) {
      a.appendVarchar(x.id);
      a.appendDouble(x.ts);
      a.appendVarchar(x.symbol);
      a.appendVarchar(x.event_type);
      a.appendVarchar(x.severity);
      a.appendVarchar(x.source);
      if (x.direction === null) a.appendNull();
      else a.appendTinyInt(x.direction);
      a.appendVarchar(x.title);
      a.appendVarchar(x.description);
      a.appendVarchar(JSON.stringify(x.data));
      a.endRow();
    }
    a.closeSync();
    await conn.run(`COPY (SELECT id, make_timestamp((ts_ms * 1000)::BIGINT) AS ts, ts_ms::BIGINT AS ts_ms, symbol, event_type, severity, source, direction, title, description, data::JSON AS data FROM alerts ORDER BY ts_ms, id)
      TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function oldPnlFiles(dir: string, pnl: PaperPnl): Promise<void> {
  const { instance, conn } = await openDuckDB();
  try {
    // ~500k hourly marks on the full history: written a chunk of typed arrays at a time (one append call per
    // value took seconds); the row's key is a small integer joined back to its name in SQL
    // ~500k hourly marks on the full history: written a chunk of typed arrays at a time (one append call per
    // value took seconds); the row's key is its index, named in SQL. Appended in order, so no sort is needed.
    await conn.run(`CREATE TABLE equity (grp DOUBLE, ts_ms DOUBLE, equity DOUBLE, drawdown DOUBLE, buy_and_hold DOUBLE)`);
    const e = await conn.createAppender('equity');
    pnl.curves.forEach((c, k) => appendDoubles(e, [new Float64Array(c.ts.length).fill(k), c.ts, c.equity, c.drawdown, c.buy_and_hold]));
    e.closeSync();
    const names = `[${pnl.curves.map((c) => sqlString(c.key)).join(', ')}]`;
    await conn.run(`CREATE TABLE trades (grp VARCHAR, alert_id VARCHAR, event_type VARCHAR, symbol VARCHAR, direction INTEGER, entry_ms DOUBLE, exit_ms DOUBLE, entry_price DOUBLE, exit_price DOUBLE, ret DOUBLE, exit_kind VARCHAR)`);
    const t = await conn.createAppender('trades');
    for (const [key, trades] of pnl.trades) {
      for (const x of trades) {
        t.appendVarchar(key);
        t.appendVarchar(x.alert_id);
        t.appendVarchar(x.event_type);
        t.appendVarchar(x.symbol);
        t.appendInteger(x.direction);
        t.appendDouble(x.entry_ts);
        t.appendDouble(x.exit_ts);
        t.appendDouble(x.entry_price);
        t.appendDouble(x.exit_price);
        t.appendDouble(x.return);
        t.appendVarchar(x.exit);
        t.endRow();
      }
    }
    t.closeSync();
    const ts = (col: string) => `make_timestamp((${col} * 1000)::BIGINT)`;
    await conn.run(`COPY (SELECT ${names}[grp::INTEGER + 1] AS "group", ${ts('ts_ms')} AS ts, ts_ms::BIGINT AS ts_ms, equity, drawdown, buy_and_hold FROM equity)
      TO ${sqlString(`${dir}/${PNL_EQUITY_FILE}`)} (FORMAT parquet, COMPRESSION zstd)`);
    await conn.run(`COPY (SELECT grp AS "group", alert_id, event_type, symbol, direction, ${ts('entry_ms')} AS entry_ts, ${ts('exit_ms')} AS exit_ts,
        entry_price, exit_price, ret AS "return", exit_kind AS exit FROM trades ORDER BY grp, entry_ms, symbol)
      TO ${sqlString(`${dir}/${PNL_TRADES_FILE}`)} (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's vector size: a data chunk holds at most this many rows */
const CHUNK_ROWS = 2048;

function appendDoubles(appender: DuckDBAppender, columns: readonly Float64Array[]): void {
  const n = columns[0].length;
  for (let start = 0; start < n; start += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, n - start);
    const chunk = DuckDBDataChunk.create(columns.map(() => DOUBLE), rows);
    chunk.rowCount = rows;
    columns.forEach((col, i) => {
      const v = chunk.getColumnVector(i) as unknown as { items: Float64Array; flush(): void };
      v.items.set(col.subarray(start, start + rows));
      v.flush();
    });
    appender.appendDataChunk(chunk);
  }
}

async function read(file: string): Promise<{ schema: unknown[]; rows: unknown[] }> {
  const { instance, conn } = await openDuckDB();
  try {
    const src = `read_parquet(${sqlString(file)})`;
    return { schema: await queryRows(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${src})`), rows: await queryRows(conn, `SELECT * FROM ${src}`) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

let store: Store;
let tmp: string;
let alerts: Alert[];
let pnl: PaperPnl;
beforeAll(async () => {
  store = await openStore();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'saved-files-'));
  const r = await runBacktest(store, { config: defaultConfig(), from: Date.UTC(2022, 4, 1), to: Date.UTC(2022, 7, 1), score: false, pnl: { random_entries: 5 } });
  alerts = r.alerts;
  pnl = r.pnl!;
});
afterAll(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('saved run files', () => {
  it('alerts.parquet: same schema (JSON data, TINYINT direction) and rows, ordered by (ts_ms, id)', async () => {
    expect(alerts.length).toBeGreaterThan(50);
    expect(alerts.some((a) => a.direction === null) && alerts.some((a) => a.direction !== null)).toBe(true);
    // out of order on purpose: the writer sorts
    const shuffled = [...alerts].reverse();
    writeAlertsParquet(path.join(tmp, 'ours-alerts.parquet'), shuffled);
    await oldAlertsParquet(path.join(tmp, 'ref-alerts.parquet'), shuffled);
    const ours = await read(path.join(tmp, 'ours-alerts.parquet'));
    const ref = await read(path.join(tmp, 'ref-alerts.parquet'));
    expect(ours.schema).toEqual(ref.schema);
    expect(ours.rows.length).toBe(alerts.length);
    expect(ours.rows).toEqual(ref.rows);
  });

  it('pnl_equity.parquet and pnl_trades.parquet: same schema and rows', async () => {
    expect(pnl.curves.length).toBeGreaterThan(1);
    const mine = path.join(tmp, 'ours');
    const theirs = path.join(tmp, 'ref');
    fs.mkdirSync(mine);
    fs.mkdirSync(theirs);
    writePnlFiles(mine, pnl);
    await oldPnlFiles(theirs, pnl);
    for (const f of [PNL_EQUITY_FILE, PNL_TRADES_FILE]) {
      const ours = await read(path.join(mine, f));
      const ref = await read(path.join(theirs, f));
      expect(ours.schema).toEqual(ref.schema);
      expect(ours.rows.length).toBeGreaterThan(10);
      expect(ours.rows).toEqual(ref.rows);
    }
  });

  it('keeps NaN in P&L values as NaN, not NULL (as the appender did)', async () => {
    const curve = pnl.curves[0];
    const n = curve.ts.length;
    const odd = { ...pnl, curves: [{ ...curve, equity: Float64Array.from(curve.equity, (v, i) => (i === 3 ? NaN : v)) }], trades: new Map() };
    const dir = path.join(tmp, 'nan');
    fs.mkdirSync(dir);
    writePnlFiles(dir, odd);
    const { instance, conn } = await openDuckDB();
    try {
      const src = `read_parquet(${sqlString(path.join(dir, PNL_EQUITY_FILE))})`;
      const [row] = await queryRows(conn, `SELECT count(*) FILTER (WHERE isnan(equity)) AS nan, count(*) FILTER (WHERE equity IS NULL) AS nul, count(*) AS n, count(*) FILTER (WHERE equity > 1e300) AS big FROM ${src}`);
      expect(row).toEqual({ nan: 1n, nul: 0n, n: BigInt(n), big: 1n });
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
