/**
 * datasets/manifest.json: what the dataset holds and where it came from — per table and symbol the rows, the
 * first/last timestamp, the gaps, and per file its sha256 — so a run can name exactly the data it used.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { openDuckDB, queryRows, readFloatColumns, sqlPath, type DuckDBConnection } from './duckdb.ts';
import { formatGap, hourlyGapRuns, isoHour, type GapRun } from './gaps.ts';
import { manifestPath } from './layout.ts';
import { TABLE_NAMES, tableSpec, type TableName } from './tables.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { readSnapshot } from './snapshot.ts';

export interface ManifestFile {
  path: string;
  rows: number;
  sha256: string;
}

export interface ManifestSeries {
  venue: string;
  symbol: string;
  rows: number;
  first: string;
  last: string;
  first_ms: number;
  last_ms: number;
  gaps: string[];
  missing_hours?: number;
  sources?: string[];
  kinds?: string[];
}

export interface ManifestTable {
  rows: number;
  source: string[];
  series: ManifestSeries[];
  files: ManifestFile[];
}

export interface Manifest {
  format: 1;
  /** bumped by every commit; the file lists below are the generation's complete contents (see snapshot.ts) */
  generation?: number;
  tables: Partial<Record<TableName, ManifestTable>>;
}

export function provenancePath(datasetsDir: string): string {
  return path.join(datasetsDir, 'provenance.json');
}

/** venue/table → human-readable source, written by whoever imported the data */
export function readProvenance(datasetsDir: string): Record<string, string> {
  const file = provenancePath(datasetsDir);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export function listParquetFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listParquetFiles(full));
    else if (entry.name.endsWith('.parquet')) out.push(full);
  }
  return out.sort();
}

/** one buffer for every file hashed: reading each new partition whole left ≈ 20 MB of buffers per 80 partitions for the GC */
const hashChunk = Buffer.alloc(1 << 16);

function sha256(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, hashChunk, 0, hashChunk.length, null)) > 0; ) hash.update(hashChunk.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function readManifest(datasetsDir: string): Manifest | null {
  const file = manifestPath(datasetsDir);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest) : null;
}

export interface BuildManifestOptions {
  /** the generation's files (dataset-relative, '/'); default: the current snapshot */
  files?: string[];
  generation?: number;
  /** venue/table → provenance text; default provenance.json */
  provenance?: Record<string, string>;
  /** a generation-aware manifest whose per-file rows and sha256 can be reused: its files never change */
  previous?: Manifest | null;
  /** an open connection to use (the writer's) instead of a new in-memory DuckDB */
  conn?: DuckDBConnection;
}

/**
 * Missing-hour runs of one series whose files each hold sorted rows: each file reports only its first and last hour and
 * the hours that follow a gap (a window over one partition: ≈ 9,000 rows), and the runs between files are found
 * from their ends, so memory does not follow the series' length (reading every hour of every file left the
 * import's peak RSS growing with the dataset). Files that overlap (never two partitions of one series; kept for
 * safety) are read whole and sorted. The same runs and numbers as hourlyGapRuns' window query over the whole table.
 */
async function seriesGapRuns(conn: DuckDBConnection, symbol: string, files: string[]): Promise<GapRun[]> {
  const runs: GapRun[] = [];
  const gap = (prev: number, next: number) => runs.push({ symbol, start_ms: prev + HOUR_MS, end_ms: next - HOUR_MS, hours: (next - prev) / HOUR_MS - 1 });
  const ends: { first: number; last: number; inner: [number, number][] }[] = [];
  for (const f of files) {
    const { t, p, last } = await readFloatColumns(
      conn,
      `SELECT t, p, l AS last FROM (
         SELECT epoch_ms(ts)::DOUBLE AS t, (lag(epoch_ms(ts)) OVER (ORDER BY ts))::DOUBLE AS p, max(epoch_ms(ts)) OVER ()::DOUBLE AS l
         FROM read_parquet(${sqlPath(f)}, hive_partitioning = false))
       WHERE p IS NULL OR t - p > ${HOUR_MS} ORDER BY t`,
    );
    if (t.length === 0) continue;
    const inner: [number, number][] = [];
    for (let i = 1; i < t.length; i++) inner.push([p[i], t[i]]);
    ends.push({ first: t[0], last: last[0], inner });
  }
  ends.sort((a, b) => a.first - b.first);
  for (let i = 1; i < ends.length; i++) if (ends[i].first <= ends[i - 1].last) return overlappingGapRuns(conn, symbol, files);
  ends.forEach((e, i) => {
    if (i > 0 && e.first - ends[i - 1].last > HOUR_MS) gap(ends[i - 1].last, e.first);
    for (const [prev, next] of e.inner) gap(prev, next);
  });
  return runs;
}

/** seriesGapRuns for files whose hours overlap: every hour read, sorted, scanned once */
async function overlappingGapRuns(conn: DuckDBConnection, symbol: string, files: string[]): Promise<GapRun[]> {
  const parts: Float64Array[] = [];
  for (const f of files) parts.push((await readFloatColumns(conn, `SELECT epoch_ms(ts)::DOUBLE AS t FROM read_parquet(${sqlPath(f)}, hive_partitioning = false)`)).t);
  const ts = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    ts.set(p, at);
    at += p.length;
  }
  ts.sort();
  const runs: GapRun[] = [];
  for (let i = 1; i < ts.length; i++) {
    const step = ts[i] - ts[i - 1];
    if (step > HOUR_MS) runs.push({ symbol, start_ms: ts[i - 1] + HOUR_MS, end_ms: ts[i] - HOUR_MS, hours: step / HOUR_MS - 1 });
  }
  return runs;
}

const HOUR_MS = 3_600_000;

export async function buildManifest(datasetsDir: string, opts: BuildManifestOptions = {}): Promise<Manifest> {
  const provenance = opts.provenance ?? readProvenance(datasetsDir);
  const snapshot = opts.files ? null : readSnapshot(datasetsDir);
  const allFiles = opts.files ?? snapshot!.files;
  const generation = opts.generation ?? snapshot?.generation ?? undefined;
  const known = new Map<string, ManifestFile>();
  if (typeof opts.previous?.generation === 'number') {
    for (const t of Object.values(opts.previous.tables)) for (const f of t?.files ?? []) known.set(f.path, f);
  }
  const venues = [...new Set(allFiles.map((f) => f.split('/')[0]))].sort();
  const manifest: Manifest = generation === undefined ? { format: 1, tables: {} } : { format: 1, generation, tables: {} };
  const own = opts.conn ? null : await openDuckDB();
  const conn = opts.conn ?? own!.conn;
  try {
    for (const table of TABLE_NAMES) {
      const spec = tableSpec(table);
      const entry: ManifestTable = { rows: 0, source: [], series: [], files: [] };
      for (const venue of venues) {
        const rels = allFiles.filter((f) => f.startsWith(`${venue}/${table}/`)).sort();
        if (rels.length === 0) continue;
        const files = rels.map((r) => path.join(datasetsDir, ...r.split('/')));
        const prov = provenance[`${venue}/${table}`];
        entry.source.push(prov ? `${venue}: ${prov}` : venue);
        // the row counts of all new files in one query (from the Parquet footers) rather than one query each
        const counted = files.filter((_, i) => !known.has(rels[i]));
        const counts = new Map<string, number>();
        if (counted.length > 0) {
          const rows = await queryRows(conn, `SELECT filename, count(*)::DOUBLE AS n FROM read_parquet([${counted.map(sqlPath).join(', ')}], filename = true, hive_partitioning = false) GROUP BY filename`);
          for (const r of rows) counts.set(String(r.filename), Number(r.n));
        }
        for (const [i, file] of files.entries()) {
          const reuse = known.get(rels[i]);
          if (reuse) {
            entry.files.push(reuse);
            continue;
          }
          const rows = counts.get(file);
          if (rows === undefined) throw new Error(`manifest: no row count for ${file}`);
          entry.files.push({ path: rels[i], rows, sha256: sha256(file) });
        }
        // a series whose files all carry over from the previous generation keeps its stats: a commit reads only
        // what it touched, whatever the dataset's size
        const symbolOf = (rel: string) => rel.split('/')[2].slice('symbol='.length);
        const prevSeries = new Map((known.size > 0 ? opts.previous?.tables[table]?.series ?? [] : []).map((x) => [`${x.venue}/${x.symbol}`, x]));
        const fresh = new Set(rels.filter((r) => !known.has(r)).map(symbolOf));
        for (const sym of new Set(rels.map(symbolOf))) {
          const prev = prevSeries.get(`${venue}/${sym}`);
          if (fresh.has(sym) || !prev) fresh.add(sym);
          else {
            entry.series.push(prev);
            entry.rows += prev.rows;
          }
        }
        const freshFiles = files.filter((_, i) => fresh.has(symbolOf(rels[i])));
        if (freshFiles.length === 0) continue;
        const list = freshFiles.map(sqlPath).join(', ');
        await conn.run(`CREATE OR REPLACE TEMP VIEW t AS SELECT * FROM read_parquet([${list}], hive_partitioning = true, union_by_name = true, hive_types = {'symbol': VARCHAR, 'year': BIGINT})`);
        const extra = table === 'liquidations_1h' ? `, list(DISTINCT source ORDER BY source) AS sources, list(DISTINCT kind ORDER BY kind) AS kinds`
          : table === 'funding' ? `, list(DISTINCT source ORDER BY source) AS sources` : '';
        const series = await queryRows(
          conn,
          `SELECT symbol, count(*)::DOUBLE AS rows, epoch_ms(min(ts))::DOUBLE AS first_ms, epoch_ms(max(ts))::DOUBLE AS last_ms ${extra}
           FROM t GROUP BY symbol ORDER BY symbol`,
        );
        let gaps: GapRun[] = [];
        if (spec.hourly && spec.extraKey.length === 0) {
          for (const s of series) gaps.push(...(await seriesGapRuns(conn, String(s.symbol), files.filter((_, i) => symbolOf(rels[i]) === String(s.symbol)))));
        } else if (spec.hourly) gaps = await hourlyGapRuns(conn, 't', spec.extraKey);
        for (const s of series) {
          const symbolGaps = gaps.filter((g) => g.symbol === s.symbol);
          const item: ManifestSeries = {
            venue,
            symbol: String(s.symbol),
            rows: Number(s.rows),
            first: isoHour(Number(s.first_ms)),
            last: isoHour(Number(s.last_ms)),
            first_ms: Number(s.first_ms),
            last_ms: Number(s.last_ms),
            gaps: symbolGaps.map(formatGap),
          };
          if (spec.hourly) item.missing_hours = symbolGaps.reduce((a, g) => a + g.hours, 0);
          if (s.sources) item.sources = (s.sources as string[]).map(String);
          if (s.kinds) item.kinds = (s.kinds as string[]).map(String);
          entry.series.push(item);
          entry.rows += item.rows;
        }
      }
      entry.series.sort((a, b) => (a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
      if (entry.files.length > 0) manifest.tables[table] = entry;
    }
  } finally {
    if (own) {
      own.conn.closeSync();
      own.instance.closeSync();
    }
  }
  return manifest;
}

export async function rebuildManifest(datasetsDir: string): Promise<Manifest> {
  const manifest = await buildManifest(datasetsDir);
  writeFileAtomic(manifestPath(datasetsDir), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}

