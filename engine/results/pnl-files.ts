/**
 * A run's paper P&L beside its run.json (which keeps the summary):
 *   pnl_equity.parquet  one row per strategy row ('all' or an event type) and hour: equity, drawdown and
 *                       buy-and-hold's equity of the same symbols, marked at the hour's close
 *   pnl_trades.parquet  every trade of every row: entry/exit hour and price, direction, net return, exit kind
 */
import { openDuckDB, sqlString } from '../data/duckdb.ts';
import type { PaperPnl } from '../score/pnl.ts';

export const PNL_EQUITY_FILE = 'pnl_equity.parquet';
export const PNL_TRADES_FILE = 'pnl_trades.parquet';

export async function writePnlFiles(dir: string, pnl: PaperPnl): Promise<void> {
  const { instance, conn } = await openDuckDB();
  try {
    await conn.run(`CREATE TABLE equity (grp VARCHAR, ts_ms DOUBLE, equity DOUBLE, drawdown DOUBLE, buy_and_hold DOUBLE)`);
    const e = await conn.createAppender('equity');
    for (const c of pnl.curves) {
      for (let i = 0; i < c.ts.length; i++) {
        e.appendVarchar(c.key);
        e.appendDouble(c.ts[i]);
        e.appendDouble(c.equity[i]);
        e.appendDouble(c.drawdown[i]);
        e.appendDouble(c.buy_and_hold[i]);
        e.endRow();
      }
    }
    e.closeSync();
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
    await conn.run(`COPY (SELECT grp AS "group", ${ts('ts_ms')} AS ts, ts_ms::BIGINT AS ts_ms, equity, drawdown, buy_and_hold FROM equity ORDER BY grp, ts_ms)
      TO ${sqlString(`${dir}/${PNL_EQUITY_FILE}`)} (FORMAT parquet, COMPRESSION zstd)`);
    await conn.run(`COPY (SELECT grp AS "group", alert_id, event_type, symbol, direction, ${ts('entry_ms')} AS entry_ts, ${ts('exit_ms')} AS exit_ts,
        entry_price, exit_price, ret AS "return", exit_kind AS exit FROM trades ORDER BY grp, entry_ms, symbol)
      TO ${sqlString(`${dir}/${PNL_TRADES_FILE}`)} (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
