/**
 * A run's paper P&L beside its run.json (which keeps the summary):
 *   pnl_equity.parquet  one row per strategy row ('all' or an event type) and hour: equity, drawdown and
 *                       buy-and-hold's equity of the same symbols, marked at the hour's close
 *   pnl_trades.parquet  every trade of every row: entry/exit hour and price, direction, net return, exit kind
 * Written from typed arrays by engine/results/parquet-writer.ts (≈ 500k hourly marks on the full history).
 */
import path from 'node:path';
import type { PaperPnl, Trade } from '../score/pnl.ts';
import { codeStrings, ParquetWriter, ROW_GROUP_ROWS, writeParquetFile } from './parquet-writer.ts';
import { byText } from '../text-order.ts';

export const PNL_EQUITY_FILE = 'pnl_equity.parquet';
export const PNL_TRADES_FILE = 'pnl_trades.parquet';

/** NaN stays a value in these files (as DuckDB's appender stored it); nothing here is missing */
const value = 'value' as const;

export function writePnlFiles(dir: string, pnl: PaperPnl): void {
  writeEquity(path.join(dir, PNL_EQUITY_FILE), pnl);
  writeTrades(path.join(dir, PNL_TRADES_FILE), pnl);
}

/**
 * curves one after the other, each in hour order; row groups are slices of one curve's arrays, copied nowhere.
 * Equity and drawdown are noisy doubles: stored uncompressed after the first sizeable chunk (brotli spent ≈ a fifth
 * of the file's CPU time for ≈ 2 % of its size), the same values.
 */
function writeEquity(file: string, pnl: PaperPnl): void {
  const w = ParquetWriter.create(file, [
    { name: 'group', kind: 'string' },
    { name: 'ts', kind: 'timestamp' },
    { name: 'ts_ms', kind: 'int64' },
    { name: 'equity', kind: 'double', nan: value },
    { name: 'drawdown', kind: 'double', nan: value },
    { name: 'buy_and_hold', kind: 'double', nan: value },
  ], { storeIncompressible: true });
  try {
    const words = pnl.curves.map((c) => c.key);
    const codes = new Int32Array(ROW_GROUP_ROWS);
    pnl.curves.forEach((c, k) => {
      codes.fill(k + 1);
      for (let start = 0; start < c.ts.length; start += ROW_GROUP_ROWS) {
        const end = Math.min(c.ts.length, start + ROW_GROUP_ROWS);
        const ts = c.ts.subarray(start, end);
        w.writeRowGroup(end - start, [{ codes: codes.subarray(0, end - start), words }, ts, ts, c.equity.subarray(start, end), c.drawdown.subarray(start, end), c.buy_and_hold.subarray(start, end)]);
      }
    });
    w.finish();
  } catch (err) {
    w.abort();
    throw err;
  }
}

/** ordered by (group, entry hour, symbol) */
function writeTrades(file: string, pnl: PaperPnl): void {
  const rows: { group: string; t: Trade }[] = [];
  for (const [group, trades] of pnl.trades) for (const t of trades) rows.push({ group, t });
  rows.sort((x, y) => byText(x.group, y.group) || x.t.entry_ts - y.t.entry_ts || byText(x.t.symbol, y.t.symbol));
  const n = rows.length;
  const num = (pick: (t: Trade) => number) => Float64Array.from(rows, (r) => pick(r.t));
  const text = (pick: (r: { group: string; t: Trade }) => string) => codeStrings(rows.map(pick));
  writeParquetFile(
    file,
    [
      { name: 'group', kind: 'string' },
      { name: 'alert_id', kind: 'string' },
      { name: 'event_type', kind: 'string' },
      { name: 'symbol', kind: 'string' },
      { name: 'direction', kind: 'int32' },
      { name: 'entry_ts', kind: 'timestamp' },
      { name: 'exit_ts', kind: 'timestamp' },
      { name: 'entry_price', kind: 'double', nan: value },
      { name: 'exit_price', kind: 'double', nan: value },
      { name: 'return', kind: 'double', nan: value },
      { name: 'exit', kind: 'string' },
    ],
    n,
    [
      text((r) => r.group),
      text((r) => r.t.alert_id),
      text((r) => r.t.event_type),
      text((r) => r.t.symbol),
      num((t) => t.direction),
      num((t) => t.entry_ts),
      num((t) => t.exit_ts),
      num((t) => t.entry_price),
      num((t) => t.exit_price),
      num((t) => t.return),
      text((r) => r.t.exit),
    ],
  );
}
