import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from './duckdb.ts';
import { isoHour } from '../time.ts';

export interface GapRun {
  symbol: string;
  /** first missing hour, epoch ms */
  start_ms: number;
  /** last missing hour, epoch ms */
  end_ms: number;
  hours: number;
}

/**
 * Runs of missing hours inside each symbol's range of an hourly relation (which must have `symbol` and `ts`).
 * Extra group columns (e.g. liquidation `source`) keep series apart.
 */
export async function hourlyGapRuns(conn: DuckDBConnection, relation: string, groupBy: string[] = []): Promise<GapRun[]> {
  const part = ['symbol', ...groupBy].join(', ');
  const rows = await queryRows(
    conn,
    `SELECT symbol, (epoch_ms(prev) + 3600000)::DOUBLE AS start_ms, (epoch_ms(ts) - 3600000)::DOUBLE AS end_ms,
            ((epoch_ms(ts) - epoch_ms(prev)) / 3600000 - 1)::DOUBLE AS hours
     FROM (SELECT ${part}, ts, lag(ts) OVER (PARTITION BY ${part} ORDER BY ts) AS prev FROM ${relation})
     WHERE ts - prev > INTERVAL 1 HOUR
     ORDER BY symbol, ts`,
  );
  return rows.map((r) => ({
    symbol: String(r.symbol),
    start_ms: Number(r.start_ms),
    end_ms: Number(r.end_ms),
    hours: Number(r.hours),
  }));
}

export { isoHour };

export function formatGap(g: GapRun): string {
  return g.hours === 1 ? `${isoHour(g.start_ms)} (1 h)` : `${isoHour(g.start_ms)} .. ${isoHour(g.end_ms)} (${g.hours} h)`;
}
