/**
 * A run's paper P&L (engine/score/pnl.ts) for notebooks: `runs_pnl`, one row per run and strategy row, from
 * run.json; `runs_pnl_equity` and `runs_pnl_trades`, views over the Parquet files saved beside it (empty, with
 * the same columns, for a run saved without them).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../data/duckdb.ts';
import { PNL_EQUITY_FILE, PNL_TRADES_FILE } from '../results/pnl-files.ts';
import type { PnlStats, PnlSummary } from '../score/pnl.ts';
import type { LoadedRun } from './run-tables.ts';
import { createTable, type Columns, type Value } from './sql-tables.ts';

const STATS = ['trades', 'win_rate', 'total_return', 'annualised_return', 'sharpe', 'max_drawdown', 'profit_factor', 'gross_profit', 'gross_loss', 'mean_trade_return', 'exposure'] as const;

function statCols(prefix: string): Columns {
  return STATS.map((k) => [`${prefix}${k}`, k === 'trades' ? 'BIGINT' : 'DOUBLE'] as const);
}

function statValues(prefix: string, s: PnlStats): Record<string, Value> {
  return Object.fromEntries(STATS.map((k) => [`${prefix}${k}`, s[k]]));
}

const EMPTY_EQUITY = `SELECT NULL::VARCHAR AS "group", NULL::TIMESTAMP AS ts, NULL::BIGINT AS ts_ms, NULL::DOUBLE AS equity, NULL::DOUBLE AS drawdown, NULL::DOUBLE AS buy_and_hold WHERE false`;
const EMPTY_TRADES = `SELECT NULL::VARCHAR AS "group", NULL::VARCHAR AS alert_id, NULL::VARCHAR AS event_type, NULL::VARCHAR AS symbol, NULL::INTEGER AS direction,
  NULL::TIMESTAMP AS entry_ts, NULL::TIMESTAMP AS exit_ts, NULL::DOUBLE AS entry_price, NULL::DOUBLE AS exit_price, NULL::DOUBLE AS "return", NULL::VARCHAR AS exit WHERE false`;

export async function registerPnlTables(conn: DuckDBConnection, runs: readonly LoadedRun[]): Promise<void> {
  const rows: Record<string, Value>[] = [];
  const equity: string[] = [];
  const trades: string[] = [];
  for (const r of runs) {
    const pnl = (r.record.report as { pnl?: PnlSummary | null }).pnl;
    for (const row of pnl?.rows ?? []) {
      rows.push({
        run: r.label,
        key: row.key,
        follow: row.follow,
        hold_hours: row.hold_hours,
        fee_pct: pnl!.options.fee_pct,
        symbols: row.symbols.join(', '),
        alerts: row.alerts,
        skipped_overlap: row.skipped.overlap,
        skipped_no_direction: row.skipped.no_direction,
        skipped_no_price: row.skipped.no_price,
        skipped_no_exit: row.skipped.no_exit,
        exits_gap: row.early_exits.gap,
        exits_end: row.early_exits.end,
        ...statValues('', row.strategy),
        ...statValues('bh_', row.buy_and_hold),
        random_permutations: row.random?.permutations ?? null,
        random_mean_trades: row.random?.mean_trades ?? null,
        random_mean_total_return: row.random?.mean_total_return ?? null,
        random_median_total_return: row.random?.median_total_return ?? null,
        random_p_value: row.random?.p_value ?? null,
      });
    }
    const dir = path.dirname(r.alertsFile);
    const eq = path.join(dir, PNL_EQUITY_FILE);
    const tr = path.join(dir, PNL_TRADES_FILE);
    if (fs.existsSync(eq)) equity.push(`SELECT ${sqlString(r.label)} AS run, * FROM read_parquet(${sqlString(eq)})`);
    if (fs.existsSync(tr)) trades.push(`SELECT ${sqlString(r.label)} AS run, * FROM read_parquet(${sqlString(tr)})`);
  }
  await createTable(conn, 'runs_pnl', [
    ['run', 'VARCHAR'],
    ['key', 'VARCHAR'],
    ['follow', 'VARCHAR'],
    ['hold_hours', 'BIGINT'],
    ['fee_pct', 'DOUBLE'],
    ['symbols', 'VARCHAR'],
    ['alerts', 'BIGINT'],
    ['skipped_overlap', 'BIGINT'],
    ['skipped_no_direction', 'BIGINT'],
    ['skipped_no_price', 'BIGINT'],
    ['skipped_no_exit', 'BIGINT'],
    ['exits_gap', 'BIGINT'],
    ['exits_end', 'BIGINT'],
    ...statCols(''),
    ...statCols('bh_'),
    ['random_permutations', 'BIGINT'],
    ['random_mean_trades', 'DOUBLE'],
    ['random_mean_total_return', 'DOUBLE'],
    ['random_median_total_return', 'DOUBLE'],
    ['random_p_value', 'DOUBLE'],
  ], rows);
  const empty = (sql: string) => `SELECT NULL::VARCHAR AS run, * FROM (${sql})`;
  await conn.run(`CREATE OR REPLACE TEMP VIEW runs_pnl_equity AS ${equity.length ? equity.join(' UNION ALL ') : empty(EMPTY_EQUITY)}`);
  await conn.run(`CREATE OR REPLACE TEMP VIEW runs_pnl_trades AS ${trades.length ? trades.join(' UNION ALL ') : empty(EMPTY_TRADES)}`);
}
