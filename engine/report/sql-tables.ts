/**
 * Small tables built from JavaScript values (scorecards, run manifests, configs) for notebooks to query. They
 * hold hundreds of rows at most, so literal INSERTs — every value quoted by sqlString — are simple and fast.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../data/duckdb.ts';
import { sqlIdent } from './sql-template.ts';

export type ColType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'TIMESTAMP';
export type Columns = readonly (readonly [name: string, type: ColType])[];
export type Value = string | number | boolean | null | undefined;

function literal(v: Value, type: ColType): string {
  if (v === null || v === undefined) return 'NULL';
  switch (type) {
    case 'DOUBLE':
    case 'BIGINT': {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) return 'NULL';
      return type === 'BIGINT' ? String(Math.round(n)) : String(n);
    }
    case 'BOOLEAN':
      return v ? 'TRUE' : 'FALSE';
    case 'TIMESTAMP': {
      const ms = typeof v === 'number' ? v : Date.parse(/Z$|T/.test(String(v)) ? String(v) : `${String(v).replace(' ', 'T')}Z`);
      return Number.isFinite(ms) ? `make_timestamp(${Math.round(ms) * 1000})` : 'NULL';
    }
    default:
      return sqlString(String(v));
  }
}

export async function createTable(conn: DuckDBConnection, name: string, columns: Columns, rows: readonly Record<string, Value>[]): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(name)} (${columns.map(([c, t]) => `${sqlIdent(c)} ${t}`).join(', ')})`);
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows
      .slice(i, i + 500)
      .map((r) => `(${columns.map(([c, t]) => literal(r[c], t)).join(', ')})`)
      .join(',\n');
    await conn.run(`INSERT INTO ${sqlIdent(name)} VALUES ${values}`);
  }
}
