/**
 * The sweep's results as they arrive: a `runs` table in <sweep dir>/runs.duckdb, one row per configuration id,
 * appended in small committed batches so a killed sweep loses at most the last batch and resumes from the
 * ids already stored. Rows hold no timestamps and no timings: the same spec gives the same rows.
 */
import fs from 'node:fs';
import { appendColumns, openDuckDB, queryRows, readFloatColumns, sqlString, type DuckDBConnection } from '../data/duckdb.ts';
import type { DuckDBAppender, DuckDBInstance } from '@duckdb/node-api';
import { UserError } from '../errors.ts';

export const PERIODS = ['train', 'holdout'] as const;

export interface RunRow {
  config_id: string;
  /** 'ok', or 'invalid': the configuration failed validation and was skipped */
  status: 'ok' | 'invalid';
  error: string | null;
  /** the swept values (config key path → value) as JSON */
  params: string;
  feature_key: string | null;
  /** 'columns' (cached features) or 'replay' (the whole Pipeline) */
  mode: string | null;
  /** `${period}_${metric}` → value */
  metrics: Record<string, number | null>;
  /** instead of metrics: every metric column's value in the table's order, NaN for none (jobs.ts metricColumns) */
  values?: Float64Array;
}

/** the name the runs file is attached under */
const ATTACHED = 'runs_db';

const TEXT_COLUMNS = ['config_id', 'status', 'error', 'params', 'feature_key', 'mode'] as const;

export class RunsTable {
  readonly metricColumns: string[];
  private readonly instance: DuckDBInstance;
  readonly conn: DuckDBConnection;
  private appender: DuckDBAppender | null = null;
  private pending = 0;
  private appending: Promise<void> = Promise.resolve();
  /** the rows since the last commit, written as data chunks by flush(): text columns, and metric values row after row */
  private readonly text: (string | null)[][] = TEXT_COLUMNS.map(() => []);
  private values = new Float64Array(0);

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection, metricColumns: string[]) {
    this.instance = instance;
    this.conn = conn;
    this.metricColumns = metricColumns;
  }

  /** the metric columns a table opened with these metrics and periods has, in its order */
  static columnsOf(metrics: readonly string[], periods: readonly string[] = PERIODS): string[] {
    return periods.flatMap((p) => metrics.map((m) => `${p}_${m}`));
  }

  static async open(file: string, metrics: readonly string[], periods: readonly string[] = PERIODS): Promise<RunsTable> {
    // the file attached to an in-memory engine rather than opened as the engine's own database: close() then detaches
    // it in about a millisecond, which releases the file, and the engine's teardown (its allocator handing memory
    // back to the system: ≈ 13 ms alone, 30–40 ms beside a sweep's workers) runs once the caller has answered
    const db = await openDuckDB(':memory:');
    try {
      await db.conn.run(`ATTACH ${sqlString(file)} AS ${ATTACHED}`);
      await db.conn.run(`USE ${ATTACHED}`);
    } catch (err) {
      db.conn.closeSync();
      db.instance.closeSync();
      throw new UserError(`cannot open ${file} (${(err as Error).message.split('\n')[0]}); is this sweep running in another process?`, 1);
    }
    const metricColumns = RunsTable.columnsOf(metrics, periods);
    const t = new RunsTable(db.instance, db.conn, metricColumns);
    // the table is small and written row by row: DuckDB's own threads would add nothing but, half a second after
    // every commit, a malloc_trim over the whole process's heaps (the workers' too) — thousands of madvise calls
    // and TLB shootdowns that stall every thread (measured: 21.9k → 7.5k madvise calls on the bench sweep)
    await db.conn.run('SET threads = 1');
    // stored as written: choosing each column's compression was half of a checkpoint's CPU (≈ 80 against ≈ 37 ms for
    // 1,000 rows of 70 numbers), on the sweep's last stretch; the file is ≈ 30 % larger
    await db.conn.run("SET force_compression = 'uncompressed'");
    const cols = [...TEXT_COLUMNS.map((c) => `${c} VARCHAR`), ...metricColumns.map((c) => `"${c}" DOUBLE`)];
    await db.conn.run(`CREATE TABLE IF NOT EXISTS runs (${cols.join(', ')})`);
    return t;
  }

  async finishedIds(): Promise<Set<string>> {
    const rows = await queryRows(this.conn, 'SELECT DISTINCT config_id FROM runs');
    return new Set(rows.map((r) => String(r.config_id)));
  }

  /** appends one after another: two callers creating the appender at once would each get one, and lose rows */
  append(row: RunRow): Promise<void> {
    const next = this.appending.then(() => this.appendNow(row));
    this.appending = next.catch(() => {});
    return next;
  }

  private async appendNow(row: RunRow): Promise<void> {
    this.appender ??= await this.conn.createAppender('runs');
    const m = this.metricColumns.length;
    const given = row.values;
    if (given !== undefined && given.length !== m) throw new Error(`runs table: ${given.length} values for ${m} metric columns`);
    if (this.values.length < (this.pending + 1) * m) {
      const grown = new Float64Array(Math.max(64, 2 * (this.pending + 1)) * m);
      grown.set(this.values.subarray(0, this.pending * m));
      this.values = grown;
    }
    const at = this.pending * m;
    for (let i = 0; i < m; i++) {
      const v = given !== undefined ? given[i] : row.metrics[this.metricColumns[i]];
      // NaN is NULL in the table: so is anything not finite, or missing
      this.values[at + i] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
    }
    TEXT_COLUMNS.forEach((c, i) => this.text[i].push(row[c]));
    this.pending++;
  }

  get unflushed(): number {
    return this.pending;
  }

  /** commits the appended rows: after this a kill -9 no longer loses them */
  flush(): void {
    if (this.appender) {
      const n = this.pending;
      const m = this.metricColumns.length;
      if (n > 0) {
        // column by column, as the chunks take them
        const columns = Array.from({ length: m }, (_, i) => {
          const column = new Float64Array(n);
          for (let r = 0; r < n; r++) column[r] = this.values[r * m + i];
          return column;
        });
        appendColumns(this.appender, [...this.text, ...columns], n);
      }
      this.appender.closeSync();
      this.appender = null;
    }
    for (const t of this.text) t.length = 0;
    this.pending = 0;
  }

  /** the stored rows and the invalid ones among them, in one query */
  async storedCounts(): Promise<{ results: number; invalid: number }> {
    const [r] = await queryRows(this.conn, `SELECT count(*)::DOUBLE AS results, count(*) FILTER (WHERE status = 'invalid')::DOUBLE AS invalid FROM runs`);
    return { results: Number(r.results), invalid: Number(r.invalid) };
  }

  async count(where = 'true'): Promise<number> {
    const rows = await queryRows(this.conn, `SELECT count(*)::DOUBLE AS n FROM runs WHERE ${where}`);
    return Number(rows[0].n);
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    return queryRows(this.conn, sql);
  }

  async numbers(sql: string): Promise<Record<string, Float64Array>> {
    return readFloatColumns(this.conn, sql);
  }

  /**
   * every row sorted by config id (or what `select` gives), written under a temp name and renamed into place. With
   * `checkpoint`, the database file is brought up to date in the same call (checkpoint()): DuckDB runs the two one
   * after the other on its own thread, where two calls would wait for this thread between them
   */
  async writeParquet(file: string, select = 'SELECT * FROM runs ORDER BY config_id', opts: { checkpoint?: boolean } = {}): Promise<void> {
    this.flush();
    const tmp = `${file}.tmp-${process.pid}`;
    fs.rmSync(tmp, { force: true });
    try {
      await this.conn.run(`COPY (${select}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)${opts.checkpoint ? '; CHECKPOINT' : ''}`);
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  /**
   * writes the committed rows into the database file now, off this thread (close() would do it on this thread, and
   * block it): a sweep does it once its results are written, while it waits on a worker
   */
  async checkpoint(): Promise<void> {
    this.flush();
    await this.conn.run('CHECKPOINT');
  }

  /**
   * commits what is left and detaches the file (written through, and free for another process once this resolves);
   * the in-memory engine is closed on the event loop's next turn, after whatever the caller does next without waiting
   * (the sweep server's answer)
   */
  async close(): Promise<void> {
    try {
      this.flush();
      await this.conn.run('USE memory');
      await this.conn.run(`DETACH ${ATTACHED}`);
    } finally {
      setImmediate(() => {
        // nothing of the sweep's is left in it (the file is detached, or was never written): a failure to close could
        // only cost memory, and thrown here it would end the process the sweep ran in (a sweep server)
        try {
          this.conn.closeSync();
          this.instance.closeSync();
        } catch {
          // the engine's memory is released with the process instead
        }
      });
    }
  }
}
