/**
 * A run's paper P&L beside its run.json (which keeps the summary):
 *   pnl_equity.parquet  one row per strategy row ('all' or an event type) and hour: equity, drawdown and
 *                       buy-and-hold's equity of the same symbols, marked at the hour's close
 *   pnl_trades.parquet  every trade of every row: entry/exit hour and price, direction, net return, exit kind
 */
import { DOUBLE, DuckDBDataChunk, type DuckDBAppender } from '@duckdb/node-api';
import { openDuckDB, sqlString } from '../data/duckdb.ts';
import type { PaperPnl } from '../score/pnl.ts';

export const PNL_EQUITY_FILE = 'pnl_equity.parquet';
export const PNL_TRADES_FILE = 'pnl_trades.parquet';

export async function writePnlFiles(dir: string, pnl: PaperPnl): Promise<void> {
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
