/**
 * The store: one DuckDB connection with a view per table over the Parquet dataset. In memory by default (the
 * Parquet files are the database); `dbPath` keeps a DuckDB file for results and ad-hoc tables.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { openDuckDB, sqlPath } from './duckdb.ts';
import { DEFAULT_DATASETS_DIR, assertVenue } from './layout.ts';
import { pinSnapshot, snapshotFiles, type Snapshot } from './snapshot.ts';
import { TABLE_NAMES, tableSpec, type TableName } from './tables.ts';
import { UserError } from '../errors.ts';

export interface StoreOptions {
  datasetsDir?: string;
  /** ':memory:' (default) or a DuckDB database file */
  dbPath?: string;
  /** which dataset folder each table's view reads; liquidations always union every folder (rows carry kind/source) */
  venues?: Partial<Record<TableName, string>>;
}

export interface Store {
  readonly conn: DuckDBConnection;
  readonly datasetsDir: string;
  readonly venues: Record<TableName, string>;
  /** the dataset generation this store reads, pinned from open to close: a later import is not seen */
  readonly snapshot: Snapshot;
  /**
   * another connection to the same database with the same views (the same pinned generation): queries on different
   * connections run at once. The caller closes it, before close().
   */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

function emptyView(table: TableName): string {
  const cols = tableSpec(table).columns.map((c) => `NULL::${c.type} AS "${c.name}"`).join(', ');
  return `SELECT NULL::TIMESTAMP AS ts, ${cols}, NULL::VARCHAR AS symbol, NULL::BIGINT AS year WHERE false`;
}

export function viewSql(datasetsDir: string, snapshot: Snapshot, table: TableName, venue: string): string {
  const files = snapshotFiles(datasetsDir, snapshot, table, table === 'liquidations_1h' ? undefined : venue);
  if (files.length === 0) return emptyView(table);
  // Files hold no symbol/year: they come from the hive path, so a file can never disagree with its folder.
  return `SELECT * FROM read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, union_by_name = true, hive_types = {'symbol': VARCHAR, 'year': BIGINT})`;
}

function datasetsDirOf(opts: StoreOptions): string {
  const datasetsDir = path.resolve(opts.datasetsDir ?? DEFAULT_DATASETS_DIR);
  if (!fs.existsSync(datasetsDir)) throw new UserError(`datasets folder ${datasetsDir} does not exist`);
  if (!fs.statSync(datasetsDir).isDirectory()) throw new UserError(`datasets folder ${datasetsDir} is a file, not a folder`);
  return datasetsDir;
}

export async function openStore(opts: StoreOptions = {}): Promise<Store> {
  const datasetsDir = datasetsDirOf(opts);
  const venues = Object.fromEntries(
    TABLE_NAMES.map((t) => [t, assertVenue(opts.venues?.[t] ?? tableSpec(t).defaultVenue)]),
  ) as Record<TableName, string>;
  const pin = pinSnapshot(datasetsDir);
  let db: { instance: DuckDBInstance; conn: DuckDBConnection };
  try {
    db = await openDuckDB(opts.dbPath ?? ':memory:');
  } catch (err) {
    pin.release();
    throw new UserError(`cannot open DuckDB database ${opts.dbPath}: ${(err as Error).message}`);
  }
  const { instance, conn } = db;
  // temporary views belong to the connection that made them: every connection gets its own
  const withViews = async (c: DuckDBConnection) => {
    for (const table of TABLE_NAMES) {
      await c.run(`CREATE OR REPLACE TEMP VIEW ${table} AS ${viewSql(datasetsDir, pin.snapshot, table, venues[table])}`);
    }
  };
  try {
    await withViews(conn);
  } catch (err) {
    conn.closeSync();
    instance.closeSync();
    pin.release();
    throw err;
  }
  let closed = false;
  return {
    conn,
    datasetsDir,
    venues,
    snapshot: pin.snapshot,
    async connect() {
      if (closed) throw new Error('store: connect() after close()');
      const c = await instance.connect();
      try {
        await withViews(c);
      } catch (err) {
        c.closeSync();
        throw err;
      }
      return c;
    },
    close() {
      if (closed) return;
      closed = true;
      conn.closeSync();
      instance.closeSync();
      pin.release();
    },
  };
}

/**
 * A store opened on first use: the folder is checked now, DuckDB started (≈ 40 ms: an instance and a view per table)
 * only when something reads the data. A sweep whose inputs are cached reads none.
 */
export interface LazyStore {
  readonly datasetsDir: string;
  open(): Promise<Store>;
  close(): void;
}

export function lazyStore(opts: StoreOptions = {}): LazyStore {
  const datasetsDir = datasetsDirOf(opts);
  let opened: Promise<Store> | null = null;
  return {
    datasetsDir,
    open: () => (opened ??= openStore({ ...opts, datasetsDir })),
    close() {
      // a store still opening is closed once it is open; one that failed to open has nothing to close, and a close
      // that fails must not end the process as an unhandled rejection
      opened?.then((store) => store.close()).catch(() => {});
    },
  };
}

/** the store itself, opening a lazy one */
export function storeOf(store: Store | LazyStore): Promise<Store> {
  return 'open' in store ? store.open() : Promise.resolve(store);
}

export async function withStore<T>(opts: StoreOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(opts);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}
