/**
 * Benjamini–Hochberg q-values of every period's per-configuration p-values, across every valid configuration
 * stored so far (a resumed sweep's earlier ones included), kept in a `qvalues` table beside `runs` and joined
 * into results.parquet. Invalid configurations were never evaluated and are not counted.
 */
import { queryRows } from '../data/duckdb.ts';
import { bhQValues } from './fdr.ts';
import { P_VALUE } from './jobs.ts';
import type { RunsTable } from './runs-table.ts';

export const Q_VALUE = 'q_value';

export const withQValues = 'SELECT * FROM scored_runs ORDER BY config_id';

export async function storeQValues(table: RunsTable, periods: readonly string[]): Promise<void> {
  const { conn } = table;
  table.flush();
  const cols = periods.map((p) => `"${p}_${Q_VALUE}" DOUBLE`);
  await conn.run(`CREATE OR REPLACE TABLE qvalues (config_id VARCHAR, ${cols.join(', ')})`);
  await conn.run('CREATE OR REPLACE TEMP VIEW scored_runs AS SELECT r.*, q.* EXCLUDE (config_id) FROM runs r LEFT JOIN qvalues q USING (config_id)');
  const rows = await queryRows(conn, `SELECT config_id, ${periods.map((p) => `"${p}_${P_VALUE}"`).join(', ')} FROM runs WHERE status = 'ok' ORDER BY config_id`);
  if (rows.length === 0) return;
  const q = periods.map((p) => bhQValues(rows.map((r) => (r[`${p}_${P_VALUE}`] === null ? null : Number(r[`${p}_${P_VALUE}`])))));
  const a = await conn.createAppender('qvalues');
  rows.forEach((r, i) => {
    a.appendVarchar(String(r.config_id));
    for (const col of q) {
      const v = col[i];
      if (v === null) a.appendNull();
      else a.appendDouble(v);
    }
    a.endRow();
  });
  a.closeSync();
}
