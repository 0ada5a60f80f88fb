/**
 * Collects feature rows column by column during a replay and writes them as one zstd Parquet file (temp file,
 * then rename). Columns and their meaning come from the pipeline's featureColumns().
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDuckDB, sqlString } from '../data/duckdb.ts';
import type { ColumnSpec, FeatureRow } from '../pipeline/feature-row.ts';

export class FeatureTable {
  readonly columns: readonly ColumnSpec[];
  private readonly values: FeatureRow[keyof FeatureRow][][];
  private rows = 0;

  constructor(columns: readonly ColumnSpec[]) {
    this.columns = columns;
    this.values = columns.map(() => []);
  }

  get size(): number {
    return this.rows;
  }

  add(row: FeatureRow): void {
    for (let i = 0; i < this.columns.length; i++) this.values[i].push(row[this.columns[i].name] ?? null);
    this.rows++;
  }

  async writeParquet(file: string): Promise<void> {
    const target = path.resolve(file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${randomUUID().slice(0, 8)}`;
    const sqlType = { number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN' } as const;
    const { instance, conn } = await openDuckDB();
    try {
      await conn.run(`CREATE TABLE features (${this.columns.map((c) => `"${c.name}" ${sqlType[c.type]}`).join(', ')})`);
      const appender = await conn.createAppender('features');
      for (let r = 0; r < this.rows; r++) {
        for (let i = 0; i < this.columns.length; i++) {
          const v = this.values[i][r];
          if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) appender.appendNull();
          else if (this.columns[i].type === 'number') appender.appendDouble(v as number);
          else if (this.columns[i].type === 'boolean') appender.appendBoolean(v as boolean);
          else appender.appendVarchar(String(v));
        }
        appender.endRow();
      }
      appender.closeSync();
      await conn.run(`COPY (SELECT make_timestamp((ts_ms * 1000)::BIGINT) AS ts, * REPLACE (ts_ms::BIGINT AS ts_ms) FROM features ORDER BY ts_ms, symbol) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
      fs.renameSync(tmp, target);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }
}
