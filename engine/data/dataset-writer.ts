/**
 * Writes imported rows into the hive-partitioned Parquet dataset so that a crash at any moment leaves either the
 * previous dataset or the complete new one, never a mix a reader can see:
 *   1. every affected partition is rewritten (existing rows merged with the new ones) into a staging folder;
 *   2. a journal listing the moves is written atomically (temp file + rename) — this is the commit point;
 *   3. the staged files are renamed over the live ones, the manifest is rebuilt, the journal is removed.
 * `recoverDataset` runs before every read or write: with a journal it rolls forward (finishes step 3), without
 * one it deletes leftover staging folders (an import that died before its commit point never happened).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDuckDB, queryRows, sqlString } from './duckdb.ts';
import { partitionFile, yearOf } from './layout.ts';
import { tableSpec, type TableName } from './tables.ts';
import { rebuildManifest } from './manifest.ts';
import { writeFileAtomic } from './atomic-file.ts';

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
}

interface Journal {
  id: string;
  moves: { from: string; to: string }[];
}

const STAGING = '.staging';
const JOURNAL = '.import-journal.json';

/** Test hook: lets the atomicity tests kill the process at a precise step, as a power cut would. */
function crashPoint(step: string): void {
  if (process.env.REGIME_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

export async function recoverDataset(datasetsDir: string): Promise<'clean' | 'rolled-forward' | 'rolled-back'> {
  const journalFile = path.join(datasetsDir, JOURNAL);
  const stagingDir = path.join(datasetsDir, STAGING);
  if (fs.existsSync(journalFile)) {
    const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as Journal;
    await applyJournal(datasetsDir, journal);
    return 'rolled-forward';
  }
  if (fs.existsSync(stagingDir)) {
    fs.rmSync(stagingDir, { recursive: true, force: true });
    return 'rolled-back';
  }
  return 'clean';
}

async function applyJournal(datasetsDir: string, journal: Journal): Promise<void> {
  let moved = 0;
  for (const move of journal.moves) {
    // After a crash some moves are already done: their source is gone and the target is the new file.
    if (!fs.existsSync(move.from)) continue;
    fs.mkdirSync(path.dirname(move.to), { recursive: true });
    fs.renameSync(move.from, move.to);
    moved++;
    if (moved === 1) crashPoint('mid-rename');
  }
  await rebuildManifest(datasetsDir);
  fs.rmSync(path.join(datasetsDir, JOURNAL), { force: true });
  fs.rmSync(path.join(datasetsDir, STAGING), { recursive: true, force: true });
}

function sqlType(type: string): string {
  return type === 'VARCHAR' ? 'VARCHAR' : 'DOUBLE';
}

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

/**
 * Merges the batches into the dataset. Rows whose key already exists are replaced (exchanges restate bars);
 * identical rows are left alone, and a partition with nothing new is not rewritten, so importing the same
 * file twice changes no byte.
 */
export async function commitBatches(datasetsDir: string, batches: ColumnBatch[]): Promise<CommitSummary> {
  await recoverDataset(datasetsDir);
  const stageId = randomUUID();
  const stagingRoot = path.join(datasetsDir, STAGING, stageId);
  const { instance, conn } = await openDuckDB();
  const summary: CommitSummary = { partitions: [], added: 0, replaced: 0, unchanged: 0, filesWritten: 0 };
  const moves: Journal['moves'] = [];
  try {
    for (const [b, batch] of batches.entries()) {
      const spec = tableSpec(batch.table);
      const incoming = `incoming_${b}`;
      await loadBatch(conn, incoming, batch);
      const years = new Set<number>();
      for (const t of batch.ts) years.add(yearOf(t));
      const valueCols = spec.columns.map((c) => `"${c.name}"`);
      const keyCols = ['ts', ...spec.extraKey.map((k) => `"${k}"`)];
      for (const year of [...years].sort()) {
        const live = partitionFile(datasetsDir, batch.venue, batch.table, batch.symbol, year);
        const fromIncoming = `SELECT epoch_ms(ts_ms::BIGINT) AS ts, ${castedColumns(batch.table)}, 1 AS prio FROM ${incoming}
          WHERE year(epoch_ms(ts_ms::BIGINT)) = ${year}`;
        const existing = fs.existsSync(live)
          ? `SELECT ts, ${valueCols.join(', ')}, 0 AS prio FROM read_parquet(${sqlString(live)}, hive_partitioning = false)`
          : null;
        const both = existing ? `${fromIncoming} UNION ALL ${existing}` : fromIncoming;
        await conn.run(`CREATE OR REPLACE TEMP TABLE merged AS
          SELECT *, count(*) OVER (PARTITION BY ${keyCols.join(', ')}) AS copies,
                 count(DISTINCT (${valueCols.join(', ')})) OVER (PARTITION BY ${keyCols.join(', ')}) AS variants
          FROM (${both})`);
        const [counts] = await queryRows(
          conn,
          `SELECT count(*) FILTER (WHERE prio = 1 AND copies = 1)::INTEGER AS added,
                  count(*) FILTER (WHERE prio = 1 AND copies > 1 AND variants > 1)::INTEGER AS replaced,
                  count(*) FILTER (WHERE prio = 1 AND copies > 1 AND variants = 1)::INTEGER AS unchanged
           FROM merged`,
        );
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
        const staged = path.join(stagingRoot, path.relative(datasetsDir, live));
        fs.mkdirSync(path.dirname(staged), { recursive: true });
        await conn.run(`COPY (
            SELECT ts, ${valueCols.join(', ')} FROM merged
            WHERE prio = 1 OR copies = 1
            ORDER BY ${keyCols.join(', ')}
          ) TO ${sqlString(staged)} (FORMAT parquet, COMPRESSION zstd)`);
        moves.push({ from: staged, to: live });
      }
    }
  } catch (err) {
    fs.rmSync(stagingRoot, { recursive: true, force: true });
    throw err;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  summary.filesWritten = moves.length;
  if (moves.length === 0) {
    fs.rmSync(stagingRoot, { recursive: true, force: true });
    return summary;
  }
  crashPoint('after-stage');
  writeFileAtomic(path.join(datasetsDir, JOURNAL), JSON.stringify({ id: stageId, moves } satisfies Journal, null, 1));
  crashPoint('after-journal');
  await applyJournal(datasetsDir, { id: stageId, moves });
  return summary;
}
