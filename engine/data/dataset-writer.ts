/**
 * Writes imported rows into the hive-partitioned Parquet dataset. One writer at a time (writer-lock.ts); readers
 * never wait and never see a mix (snapshot.ts):
 *   1. every affected partition is rewritten (existing rows merged with the new ones) into a NEW file beside
 *      the old one, named g<generation>-<id>.parquet — no manifest names it yet, so no reader sees it;
 *   2. manifest.json, listing the new generation's files, replaces the old one in one rename — the commit point;
 *   3. files no manifest and no live reader names any more are deleted.
 * A crash before 2 leaves the old generation and some unnamed files, which the next writer deletes; a crash
 * after it leaves the new generation, whose leftovers the next writer collects. Nothing is ever renamed over a
 * file a reader may be using, and nobody but the lock holder ever deletes anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendColumns, openDuckDB, queryRows, sqlPath, sqlString } from './duckdb.ts';
import { tableDir, manifestPath, yearOf } from './layout.ts';
import { TABLE_NAMES, tableSpec, type TableName } from './tables.ts';
import { buildManifest, provenancePath, readManifest, readProvenance } from './manifest.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { GENERATION_FILE_RE, livePins, readSnapshot, type Snapshot } from './snapshot.ts';
import { withWriterLock, type WriterLockOptions } from './writer-lock.ts';
import { killPoint } from './kill-point.ts';
import { isAlive, selfIdentity } from './process-identity.ts';
import { UserError } from '../errors.ts';

export type ColumnValues = Float64Array | (string | null)[];

/** Rows for one table, venue and symbol, as columns; `ts` in epoch ms, NaN means NULL in numeric columns. */
export interface ColumnBatch {
  table: TableName;
  venue: string;
  symbol: string;
  ts: Float64Array;
  values: Record<string, ColumnValues>;
}

export interface PartitionChange {
  venue: string;
  table: TableName;
  symbol: string;
  year: number;
  added: number;
  replaced: number;
  unchanged: number;
}

export interface CommitSummary {
  partitions: PartitionChange[];
  added: number;
  replaced: number;
  unchanged: number;
  filesWritten: number;
  /** the dataset generation after the commit (unchanged when nothing was written) */
  generation: number | null;
}

export interface CommitOptions {
  /** venue/table → provenance text, recorded in provenance.json and in the same manifest that commits the rows */
  provenance?: Record<string, string>;
  lock?: WriterLockOptions;
  /**
   * a DuckDB connection of openCommitConnection(), reused across commits (the live loop commits every hour, and a
   * new instance each time costs more than its rows); without one, each commit opens and closes its own
   */
  duckdb?: CommitConnection;
}

/** an in-memory DuckDB for commits only: it holds nothing between them (temporary tables are dropped), so a crash loses nothing */
export interface CommitConnection {
  conn: DuckDBConnection;
  close(): void;
}

export async function openCommitConnection(): Promise<CommitConnection> {
  const { instance, conn } = await openDuckDB();
  // one DuckDB thread: the partitions are small, and the other core parses the next series meanwhile
  await conn.run('SET threads = 1');
  let open = true;
  return {
    conn,
    close() {
      if (!open) return;
      open = false;
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** left by writers before generations existed; rolled forward if found */
const LEGACY_JOURNAL = '.import-journal.json';
const LEGACY_STAGING = '.staging';

/** Makes sure the datasets folder exists and is a folder, with a message a user can act on. */
export function ensureDatasetsDir(datasetsDir: string): void {
  try {
    fs.mkdirSync(datasetsDir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw new UserError(`datasets folder ${datasetsDir}: a part of this path is a file, not a folder`);
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') throw new UserError(`datasets folder ${datasetsDir} is not writable (${code})`);
    throw err;
  }
  if (!fs.statSync(datasetsDir).isDirectory()) throw new UserError(`datasets folder ${datasetsDir} is a file, not a folder`);
}

/** Finishes an import journal left by the previous on-disk format; a move whose source is gone is an error. */
function applyLegacyJournal(datasetsDir: string): boolean {
  const journalFile = path.join(datasetsDir, LEGACY_JOURNAL);
  if (!fs.existsSync(journalFile)) return false;
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { moves: { from: string; to: string }[] };
  for (const move of journal.moves) {
    if (fs.existsSync(move.from)) {
      fs.mkdirSync(path.dirname(move.to), { recursive: true });
      fs.renameSync(move.from, move.to);
    } else if (!fs.existsSync(move.to)) {
      throw new UserError(`${journalFile}: staged file ${move.from} is missing and ${move.to} was never written; the dataset needs a re-import`, 1);
    }
  }
  fs.rmSync(journalFile, { force: true });
  return true;
}

function partitionParquetFiles(datasetsDir: string): string[] {
  const out: string[] = [];
  let venues: string[] = [];
  try {
    venues = fs.readdirSync(datasetsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch {
    return out;
  }
  for (const venue of venues) {
    for (const table of TABLE_NAMES) {
      const root = tableDir(datasetsDir, venue, table);
      if (!fs.existsSync(root)) continue;
      for (const s of fs.readdirSync(root)) {
        if (!s.startsWith('symbol=')) continue;
        for (const y of fs.readdirSync(path.join(root, s))) {
          if (!y.startsWith('year=')) continue;
          for (const f of fs.readdirSync(path.join(root, s, y))) {
            if (f.endsWith('.parquet')) out.push([venue, table, s, y, f].join('/'));
          }
        }
      }
    }
  }
  return out;
}

/** Temp files (`x.tmp-<pid>-<id>`) of writers that died mid-write. */
function removeDeadTempFiles(datasetsDir: string): void {
  for (const name of fs.readdirSync(datasetsDir)) {
    const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (m && !isAlive({ pid: Number(m[1]), host: selfIdentity().host, started: '' })) fs.rmSync(path.join(datasetsDir, name), { force: true });
  }
}

/**
 * Deletes partition files that the current generation does not name and no live reader pinned. Only the lock
 * holder calls this. Returns how many files went.
 */
export function collectGarbage(datasetsDir: string, snap: Snapshot = readSnapshot(datasetsDir)): number {
  const pins = livePins(datasetsDir);
  if (pins.pending) return 0;
  const keep = new Set(snap.files);
  let removed = 0;
  for (const rel of partitionParquetFiles(datasetsDir)) {
    if (keep.has(rel) || pins.files.has(rel)) continue;
    // a pre-generation dataset lists its files from disk: only files a commit staged can be garbage there
    if (snap.generation === null && !GENERATION_FILE_RE.test(path.posix.basename(rel))) continue;
    fs.rmSync(path.join(datasetsDir, ...rel.split('/')), { force: true });
    removed++;
    killPoint(`commit:gc-${removed}`);
  }
  return removed;
}

/** Recovery for the lock holder: whatever a dead writer left is either committed (kept) or unnamed (deleted). */
function recoverUnderLock(datasetsDir: string): 'clean' | 'rolled-forward' | 'rolled-back' {
  const journal = applyLegacyJournal(datasetsDir);
  const staging = path.join(datasetsDir, LEGACY_STAGING);
  const hadStaging = fs.existsSync(staging);
  fs.rmSync(staging, { recursive: true, force: true });
  removeDeadTempFiles(datasetsDir);
  const removed = collectGarbage(datasetsDir);
  return journal ? 'rolled-forward' : hadStaging || removed > 0 ? 'rolled-back' : 'clean';
}

/** Takes the writer lock and cleans up after a writer that died; readers never need this. */
export async function recoverDataset(datasetsDir: string, lock?: WriterLockOptions): Promise<'clean' | 'rolled-forward' | 'rolled-back'> {
  ensureDatasetsDir(datasetsDir);
  return withWriterLock(datasetsDir, async () => recoverUnderLock(datasetsDir), lock);
}

function sqlType(type: string): string {
  return type === 'VARCHAR' ? 'VARCHAR' : 'DOUBLE';
}

/**
 * Stages a batch as a temp table (ts_ms and every column as DOUBLE, text as VARCHAR). Numeric tables go in as
 * data chunks whose columns are copied block-wise from the Float64Arrays (NaN → NULL through the validity
 * mask); tables with text columns, which are small, row by row.
 */
async function loadBatch(conn: DuckDBConnection, name: string, batch: ColumnBatch): Promise<void> {
  const spec = tableSpec(batch.table);
  const cols = spec.columns.map((c) => `"${c.name}" ${sqlType(c.type)}`).join(', ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${name} (ts_ms DOUBLE, ${cols})`);
  const appender = await conn.createAppender(name, 'main', 'temp');
  const n = batch.ts.length;
  const columns = spec.columns.map((c) => {
    const values = batch.values[c.name];
    if (!values && !c.nullable) throw new Error(`batch for ${batch.table} lacks column '${c.name}'`);
    return { spec: c, values };
  });
  if (columns.every((c) => c.spec.type !== 'VARCHAR')) {
    appendColumns(appender, [batch.ts, ...columns.map((c) => c.values as Float64Array | undefined)], n);
    appender.closeSync();
    return;
  }
  for (let i = 0; i < n; i++) {
    appender.appendDouble(batch.ts[i]);
    for (const { spec: c, values } of columns) {
      if (!values) {
        appender.appendNull();
      } else if (c.type === 'VARCHAR') {
        const v = (values as (string | null)[])[i];
        if (v === null || v === undefined) appender.appendNull();
        else appender.appendVarchar(v);
      } else {
        const v = (values as Float64Array)[i];
        if (Number.isNaN(v)) appender.appendNull();
        else appender.appendDouble(v);
      }
    }
    appender.endRow();
  }
  appender.closeSync();
}

function castedColumns(table: TableName): string {
  return tableSpec(table)
    .columns.map((c) => `CAST("${c.name}" AS ${c.type}) AS "${c.name}"`)
    .join(', ');
}

function sliceBatch(batch: ColumnBatch, from: number, to: number): ColumnBatch {
  const values: ColumnBatch['values'] = {};
  for (const [k, v] of Object.entries(batch.values)) values[k] = v instanceof Float64Array ? v.subarray(from, to) : v.slice(from, to);
  return { ...batch, ts: batch.ts.subarray(from, to), values };
}

/** UTC year → number of timestamps in it; one Date per year run rather than per row */
function rowsPerYear(ts: Float64Array): Map<number, number> {
  const out = new Map<number, number>();
  let year = 0;
  let from = Infinity;
  let until = -Infinity;
  let count = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t < from || t >= until) {
      if (count > 0) out.set(year, (out.get(year) ?? 0) + count);
      year = yearOf(t);
      from = Date.UTC(year, 0, 1);
      until = Date.UTC(year + 1, 0, 1);
      count = 0;
    }
    count++;
  }
  if (count > 0) out.set(year, (out.get(year) ?? 0) + count);
  return out;
}

function partitionRel(venue: string, table: TableName, symbol: string, year: number): string {
  return `${venue}/${table}/symbol=${symbol}/year=${year}`;
}

/**
 * Newest stored ts per venue/table/symbol from the manifest that names the snapshot's generation; empty for a
 * dataset without generations (its manifest may not describe the files on disk).
 */
function newestStored(manifest: ReturnType<typeof readManifest>, snap: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  if (!manifest || typeof manifest.generation !== 'number' || manifest.generation !== snap.generation) return out;
  for (const [table, t] of Object.entries(manifest.tables)) {
    for (const s of t?.series ?? []) if (Number.isFinite(s.last_ms)) out.set(`${s.venue}/${table}/${s.symbol}`, s.last_ms);
  }
  return out;
}

/** the smallest ts at or after `from` (Infinity when none) */
function firstAtOrAfter(ts: Float64Array, from: number): number {
  let min = Infinity;
  for (let i = 0; i < ts.length; i++) if (ts[i] >= from && ts[i] < min) min = ts[i];
  return min;
}

/** the largest ts before `until` (-Infinity when none) */
function lastBefore(ts: Float64Array, until: number): number {
  let max = -Infinity;
  for (let i = 0; i < ts.length; i++) if (ts[i] < until && ts[i] > max) max = ts[i];
  return max;
}

/**
 * Merges the batches into the dataset. Rows whose key already exists are replaced (exchanges restate bars);
 * identical rows are left alone, and a partition with nothing new is not rewritten, so importing the same
 * file twice changes no byte.
 */
export async function commitBatches(datasetsDir: string, batches: Iterable<ColumnBatch> | AsyncIterable<ColumnBatch>, opts: CommitOptions = {}): Promise<CommitSummary> {
  ensureDatasetsDir(datasetsDir);
  return withWriterLock(datasetsDir, () => commitLocked(datasetsDir, batches, opts), opts.lock);
}

/**
 * `batches` may be a generator that parses while the commit runs (one series, or one year of one, at a time, so
 * memory holds that part, not the dataset). If it throws, the files staged so far are deleted and nothing is committed.
 */
async function commitLocked(datasetsDir: string, batches: Iterable<ColumnBatch> | AsyncIterable<ColumnBatch>, opts: CommitOptions): Promise<CommitSummary> {
  killPoint('commit:locked');
  recoverUnderLock(datasetsDir);
  const snap = readSnapshot(datasetsDir);
  const previous = readManifest(datasetsDir);
  const generation = (snap.generation ?? 0) + 1;
  const current = new Map<string, string>();
  for (const f of snap.files) current.set(f.split('/').slice(0, 4).join('/'), f);
  const summary: CommitSummary = { partitions: [], added: 0, replaced: 0, unchanged: 0, filesWritten: 0, generation: snap.generation };
  const replacedFiles = new Set<string>();
  const newFiles: string[] = [];
  /** the folders this commit made for its staged files, so a failed commit removes them and only them */
  const madeFolders: string[] = [];
  const own = opts.duckdb ? null : await openCommitConnection();
  const { conn } = opts.duckdb ?? own!;
  const tempTables: string[] = [];
  const lastStored = newestStored(previous, snap);
  /** the commit's own instance is closed; a shared one is left as it was found (no temporary tables) */
  const release = async () => {
    if (own) return own.close();
    for (const t of tempTables) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  };
  const it = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : (batches as Iterable<ColumnBatch>)[Symbol.iterator]();
  let pending: Promise<IteratorResult<ColumnBatch>> | null = null;
  const fetchNext = () => {
    pending = Promise.resolve(it.next());
    // a parse error surfaces where the batch is awaited; until then it must not count as unhandled
    pending.catch(() => {});
  };
  fetchNext();
  let b = -1;
  try {
    for (;;) {
      const next: IteratorResult<ColumnBatch> = await pending!;
      if (next.done) break;
      const batch = next.value;
      // the next series parses while this one's partitions are written
      fetchNext();
      b++;
      const spec = tableSpec(batch.table);
      const incoming = `incoming_${b}`;
      tempTables.push(incoming);
      const yearRows = rowsPerYear(batch.ts);
      const years = new Set(yearRows.keys());
      // rows in time order (every parsed batch): each year is one slice, staged alone, so DuckDB holds one
      // partition's rows at a time whatever the series' length
      const sorted = batch.ts.every((t, i) => i === 0 || t >= batch.ts[i - 1]);
      if (!sorted) await loadBatch(conn, incoming, batch);
      const valueCols = spec.columns.map((c) => `"${c.name}"`);
      const keyCols = ['ts', ...spec.extraKey.map((k) => `"${k}"`)];
      for (const year of [...years].sort()) {
        if (sorted) {
          let from = 0;
          for (const [y, n] of yearRows) if (y < year) from += n;
          await loadBatch(conn, incoming, sliceBatch(batch, from, from + yearRows.get(year)!));
        }
        const partition = partitionRel(batch.venue, batch.table, batch.symbol, year);
        const liveRel = current.get(partition);
        const fromIncoming = `SELECT epoch_ms(ts_ms::BIGINT) AS ts, ${castedColumns(batch.table)}, 1 AS prio FROM ${incoming}
          WHERE year(epoch_ms(ts_ms::BIGINT)) = ${year}`;
        let counts: Record<string, unknown>;
        let rowsSql: string;
        const seriesKey = `${batch.venue}/${batch.table}/${batch.symbol}`;
        const newest = lastStored.get(seriesKey);
        const yearFrom = Date.UTC(year, 0, 1);
        if (liveRel && newest !== undefined && firstAtOrAfter(batch.ts, yearFrom) > newest) {
          // every row is newer than anything stored (the live loop's hourly append): no key can meet a stored one,
          // so the merge's window counts (most of a small commit's CPU) would only find every row added
          const existing = `SELECT ts, ${valueCols.join(', ')} FROM read_parquet(${sqlPath(path.join(datasetsDir, ...liveRel.split('/')))}, hive_partitioning = false)`;
          counts = { added: yearRows.get(year)!, replaced: 0, unchanged: 0 };
          rowsSql = `SELECT ts, ${valueCols.join(', ')} FROM (SELECT ts, ${valueCols.join(', ')} FROM (${fromIncoming}) UNION ALL ${existing})`;
        } else if (liveRel) {
          // each key at most once on either side: an incoming row meets at most one stored row, by a join (a window
          // counting distinct values per key cost a re-import of unchanged data three times its first import)
          const existing = `SELECT ts, ${valueCols.join(', ')} FROM read_parquet(${sqlPath(path.join(datasetsDir, ...liveRel.split('/')))}, hive_partitioning = false)`;
          const sameKey = (a: string, b: string) => [`${a}.ts = ${b}.ts`, ...spec.extraKey.map((k) => `${a}."${k}" IS NOT DISTINCT FROM ${b}."${k}"`)].join(' AND ');
          const values = (t: string) => `(${valueCols.map((c) => `${t}.${c}`).join(', ')})`;
          [counts] = await queryRows(
            conn,
            `SELECT count(*) FILTER (WHERE e.ts IS NULL)::INTEGER AS added,
                    count(*) FILTER (WHERE e.ts IS NOT NULL AND ${values('i')} IS DISTINCT FROM ${values('e')})::INTEGER AS replaced,
                    count(*) FILTER (WHERE e.ts IS NOT NULL AND ${values('i')} IS NOT DISTINCT FROM ${values('e')})::INTEGER AS unchanged
             FROM (${fromIncoming}) i LEFT JOIN (${existing}) e ON ${sameKey('i', 'e')}`,
          );
          rowsSql = `SELECT ts, ${valueCols.join(', ')} FROM (${fromIncoming})
            UNION ALL SELECT e.ts, ${valueCols.map((c) => `e.${c}`).join(', ')} FROM (${existing}) e ANTI JOIN (${fromIncoming}) i ON ${sameKey('e', 'i')}`;
        } else {
          // a new partition: every incoming row is added (a batch holds each key once), nothing to merge with
          counts = { added: yearRows.get(year)!, replaced: 0, unchanged: 0 };
          rowsSql = `SELECT ts, ${valueCols.join(', ')} FROM (${fromIncoming})`;
        }
        const change: PartitionChange = {
          venue: batch.venue,
          table: batch.table,
          symbol: batch.symbol,
          year,
          added: Number(counts.added),
          replaced: Number(counts.replaced),
          unchanged: Number(counts.unchanged),
        };
        summary.partitions.push(change);
        summary.added += change.added;
        summary.replaced += change.replaced;
        summary.unchanged += change.unchanged;
        if (change.added === 0 && change.replaced === 0) continue;
        const rel = `${partition}/g${generation}-${randomBytes(4).toString('hex')}.parquet`;
        const target = path.join(datasetsDir, ...rel.split('/'));
        const first = fs.mkdirSync(path.dirname(target), { recursive: true });
        if (first !== undefined) for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
          madeFolders.push(dir);
          if (dir === first) break;
        }
        // named before the copy, so a copy that fails half-way leaves no file behind either
        newFiles.push(rel);
        await conn.run(`COPY (${rowsSql} ORDER BY ${keyCols.join(', ')}) TO ${sqlString(target)} (FORMAT parquet, COMPRESSION zstd)`);
        if (liveRel) replacedFiles.add(liveRel);
        // the same partition twice in one commit (two batches of one series): the later merge read the earlier file
        current.set(partition, rel);
        if (newest !== undefined) lastStored.set(seriesKey, Math.max(newest, lastBefore(batch.ts, Date.UTC(year + 1, 0, 1))));
        killPoint(`commit:staged-${newFiles.length}`);
      }
      await conn.run(`DROP TABLE IF EXISTS ${incoming}`);
    }
  } catch (err) {
    // let a parse still running finish, then stop the producer
    await (pending as Promise<unknown> | null)?.catch(() => {});
    try {
      await it.return?.();
    } catch {
      // the producer's own cleanup failed: what was staged is removed all the same
    }
    // staged files no manifest names: removed now rather than by the next writer, and the folders made for them
    // (deepest first; one that holds anything else stays)
    for (const rel of newFiles) fs.rmSync(path.join(datasetsDir, ...rel.split('/')), { force: true });
    for (const dir of madeFolders.sort((a, b) => b.length - a.length)) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // not empty: another part of this commit or someone else put something there
      }
    }
    await release().catch(() => {});
    throw err;
  }
  try {
    return await finishCommit(datasetsDir, { conn, snap, previous, generation, summary, replacedFiles, newFiles, current, opts });
  } finally {
    await release();
  }
}

/** After the partitions are staged: the manifest (the commit point), provenance and garbage collection. */
async function finishCommit(
  datasetsDir: string,
  c: {
    conn: DuckDBConnection;
    snap: Snapshot;
    previous: ReturnType<typeof readManifest>;
    generation: number;
    summary: CommitSummary;
    replacedFiles: Set<string>;
    newFiles: string[];
    current: Map<string, string>;
    opts: CommitOptions;
  },
): Promise<CommitSummary> {
  const { conn, snap, previous, generation, summary, replacedFiles, newFiles, current, opts } = c;
  const provenance = { ...readProvenance(datasetsDir), ...(opts.provenance ?? {}) };
  const provenanceChanged = Object.entries(opts.provenance ?? {}).some(([k, v]) => readProvenance(datasetsDir)[k] !== v);
  // files staged and then superseded inside this same commit never belonged to any generation
  const files = [...new Set([...snap.files.filter((f) => !replacedFiles.has(f)), ...current.values()])].sort();
  summary.filesWritten = newFiles.length;
  if (newFiles.length === 0 && !provenanceChanged) {
    collectGarbage(datasetsDir, snap);
    return summary;
  }
  killPoint('commit:before-manifest');
  const manifest = await buildManifest(datasetsDir, { files, generation, provenance, previous, conn });
  writeManifestCommit(datasetsDir, JSON.stringify(manifest, null, 1) + '\n');
  summary.generation = generation;
  killPoint('commit:after-manifest');
  if (provenanceChanged) writeFileAtomic(provenancePath(datasetsDir), JSON.stringify(provenance, null, 1) + '\n');
  collectGarbage(datasetsDir, { generation, files });
  killPoint('commit:after-gc');
  return summary;
}

/** writeFileAtomic with a kill point between the temp file and its rename: the last instant before the commit */
function writeManifestCommit(datasetsDir: string, content: string): void {
  const file = manifestPath(datasetsDir);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, content);
  killPoint('commit:manifest-written');
  fs.renameSync(tmp, file);
}
