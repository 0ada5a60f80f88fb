/**
 * `regime import`: turns CSV files into dataset partitions. Every file is parsed and checked before anything is
 * written, so one bad file means nothing from this import lands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, UserError } from '../errors.ts';
import { commitBatches, type ColumnBatch, type CommitSummary } from './dataset-writer.ts';
import { parseMarketCsvYears, type CsvTarget } from './market-csv.ts';
import { isArchiveHeader, looksLikeArchiveLine, parseBinanceArchiveYears, symbolFromArchiveName, yearFromArchiveName } from './binance-archive.ts';
import { DEFAULT_IMPORT_LIMITS, fileProblem, LineReader, type ImportLimits } from './read-text.ts';
import { assertSymbol, assertVenue } from './layout.ts';
import { LIQUIDATION_KINDS, tableSpec, type TableName } from './tables.ts';

export interface ImportOptions {
  /** 'auto' looks at the first line: 12 headerless fields is a Binance archive kline file */
  format?: 'auto' | 'csv' | 'binance-archive';
  table?: TableName;
  symbol?: string;
  venue?: string;
  /** liquidations: observed | aggregated | modelled */
  kind?: string;
  /** liquidations/funding: the row-level source label */
  source?: string;
  /** open interest: 4h | 1d */
  period?: string;
  /** provenance text recorded for venue/table in the manifest */
  note?: string;
  /** per-file limits (rows, decompressed bytes, line length); defaults in DEFAULT_IMPORT_LIMITS */
  limits?: Partial<ImportLimits>;
  /** progress: files parsed so far, then the commit */
  onProgress?: (event: { phase: 'parse'; done: number; total: number } | { phase: 'commit' }) => void;
}

export interface FileReport {
  file: string;
  table: TableName;
  venue: string;
  symbol: string;
  rows: number;
  format: 'csv' | 'binance-archive';
  notes: string[];
}

export interface ImportReport {
  files: FileReport[];
  commit: CommitSummary;
}

interface Guess {
  table: TableName;
  symbol?: string;
  period?: string;
  kind?: string;
  source?: string;
}

/** Recognises the file names used in ../shared/market-data so a plain `regime import FILE` does the right thing. */
export function guessFromName(base: string): Guess | null {
  const name = base.replace(/\.(csv|csv\.gz|zip)$/, '');
  let m: RegExpExecArray | null;
  if ((m = /^candles_1h_([A-Z0-9]+)$/.exec(name))) return { table: 'candles_1h', symbol: m[1] };
  if ((m = /^perp_1h_([A-Z0-9]+)$/.exec(name))) return { table: 'perp_1h', symbol: m[1] };
  if ((m = /^mark_1h_([A-Z0-9]+)$/.exec(name))) return { table: 'mark_1h', symbol: m[1] };
  if ((m = /^funding_([A-Z0-9]+)$/.exec(name))) return { table: 'funding', symbol: m[1] };
  if ((m = /^oi_(4h|1d)_([A-Z0-9]+)$/.exec(name))) return { table: 'open_interest', symbol: m[2], period: m[1] };
  if ((m = /^liquidations_([A-Z0-9]+)_agg_([a-z_]+)_1h_coinglass$/.exec(name))) {
    return {
      table: 'liquidations_1h',
      symbol: `${m[1]}USDT`,
      kind: 'aggregated',
      source: `coinglass_aggregated(${m[2].split('_').join(',')})`,
    };
  }
  const archiveSymbol = symbolFromArchiveName(base);
  if (archiveSymbol) return { table: 'candles_1h', symbol: archiveSymbol };
  return null;
}

function resolveTarget(file: string, opts: ImportOptions): { target: CsvTarget; guess: Guess | null } {
  const guess = guessFromName(path.basename(file));
  const table = opts.table ?? guess?.table;
  if (!table) throw new InputError(file, null, null, 'cannot tell the table from the file name: pass --table');
  tableSpec(table);
  const symbol = opts.symbol ?? guess?.symbol;
  if (!symbol) throw new InputError(file, null, null, 'cannot tell the symbol from the file name: pass --symbol');
  try {
    assertSymbol(symbol);
  } catch (err) {
    throw new InputError(file, null, null, (err as Error).message);
  }
  const venue = assertVenue(opts.venue ?? tableSpec(table).defaultVenue);
  const constants: Record<string, string> = {};
  if (table === 'liquidations_1h') {
    const kind = opts.kind ?? guess?.kind;
    const source = opts.source ?? guess?.source;
    if (!kind || !(LIQUIDATION_KINDS as readonly string[]).includes(kind)) {
      throw new UserError(`${file}: liquidation imports need --kind ${LIQUIDATION_KINDS.join('|')} (say what the data is)`);
    }
    if (!source) throw new UserError(`${file}: liquidation imports need --source (where the numbers come from)`);
    constants.kind = kind;
    constants.source = source;
  }
  if (table === 'funding') constants.source = opts.source ?? `${venue}_import`;
  if (table === 'open_interest') {
    const period = opts.period ?? guess?.period;
    if (!period) throw new UserError(`${file}: open-interest imports need --period 4h|1d`);
    constants.period = period;
  }
  return { target: { table, venue, symbol, constants }, guess };
}

/** Moves the reader to the file's first non-blank line; false for a file without one. */
async function firstLine(reader: LineReader): Promise<boolean> {
  for (;;) {
    if (reader.next()) return true;
    if (!(await reader.fill())) return false;
  }
}

/**
 * A file's rows a calendar year at a time, in time order, each year as soon as it is read to its end (the parsers
 * need rows in time order anyway), so memory holds about a year of the file however long its history; the
 * generator's return value is the file's report. A file whose name gives a year (an archive name) must hold only
 * that year's rows (BatchBuilder.holdToYear).
 */
export async function* parseImportFileYears(file: string, opts: ImportOptions): AsyncGenerator<ColumnBatch, FileReport> {
  const { target } = resolveTarget(file, opts);
  const limits = { ...DEFAULT_IMPORT_LIMITS, ...opts.limits };
  const reader = new LineReader(file, limits);
  try {
    if (!(await firstLine(reader))) throw new InputError(file, null, null, 'file is empty');
    const first = reader.text();
    const format = opts.format && opts.format !== 'auto' ? opts.format
      : isArchiveHeader(first) || looksLikeArchiveLine(first) ? 'binance-archive' : 'csv';
    const notes: string[] = [];
    // a file whose name gives a year (an archive name) is held to it: seriesParts commits such files a year at a time
    const namedYear = yearFromArchiveName(path.basename(file));
    let rows = 0;
    let years: AsyncGenerator<ColumnBatch, { units: Set<string> } | { ignoredColumns: string[] }>;
    if (format === 'binance-archive') {
      if (target.table !== 'candles_1h' && target.table !== 'perp_1h' && target.table !== 'mark_1h') {
        throw new InputError(file, null, null, `Binance archive klines can only go into candles_1h, perp_1h or mark_1h, not ${target.table}`);
      }
      years = parseBinanceArchiveYears(file, reader, { table: target.table, venue: target.venue, symbol: target.symbol, namedYear }, limits);
    } else {
      years = parseMarketCsvYears(file, reader, { ...target, namedYear }, limits);
    }
    for (;;) {
      const next = await years.next();
      if (next.done) {
        if ('units' in next.value) notes.push(`open time units: ${[...next.value.units].join(', ')}`);
        else if (next.value.ignoredColumns.length > 0) notes.push(`ignored columns: ${next.value.ignoredColumns.join(', ')}`);
        break;
      }
      rows += next.value.ts.length;
      yield next.value;
    }
    return { file, table: target.table, venue: target.venue, symbol: target.symbol, rows, format, notes };
  } finally {
    await reader.close();
  }
}

/** A whole file as one batch (parseImportFileYears' years joined): for files of a series that must be merged. */
export async function parseImportFile(file: string, opts: ImportOptions): Promise<{ batch: ColumnBatch; report: FileReport }> {
  const parts: ColumnBatch[] = [];
  const years = parseImportFileYears(file, opts);
  for (;;) {
    const next = await years.next();
    if (next.done) return { batch: concatBatches(parts), report: next.value };
    parts.push(next.value);
  }
}

/** Several files for the same series (e.g. monthly archives) become one batch; overlapping rows must agree. */
export function mergeBatches(batches: { batch: ColumnBatch; file: string }[]): ColumnBatch[] {
  const groups = new Map<string, { batch: ColumnBatch; file: string }[]>();
  for (const item of batches) {
    const key = `${item.batch.venue}/${item.batch.table}/${item.batch.symbol}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const out: ColumnBatch[] = [];
  for (const items of groups.values()) {
    if (items.length === 1) {
      out.push(items[0].batch);
      continue;
    }
    const disjoint = concatDisjoint(items.map((i) => i.batch));
    if (disjoint) {
      out.push(disjoint);
      continue;
    }
    const spec = tableSpec(items[0].batch.table);
    const extraKey = (item: number, row: number) =>
      spec.extraKey.map((k) => String(items[item].batch.values[k]?.[row])).join('|');
    const rows: { ts: number; key: string; item: number; row: number }[] = [];
    items.forEach((it, item) => it.batch.ts.forEach((ts, row) => rows.push({ ts, key: extraKey(item, row), item, row })));
    rows.sort((a, b) => a.ts - b.ts || a.key.localeCompare(b.key) || a.item - b.item);
    const keep: typeof rows = [];
    for (const r of rows) {
      const prev = keep[keep.length - 1];
      if (prev && prev.ts === r.ts && prev.key === r.key) {
        const same = spec.columns.every((c) => {
          const a = items[prev.item].batch.values[c.name]?.[prev.row];
          const b = items[r.item].batch.values[c.name]?.[r.row];
          return a === b || (Number.isNaN(a) && Number.isNaN(b));
        });
        if (!same) {
          throw new InputError(items[r.item].file, null, 'ts_ms',
            `${new Date(r.ts).toISOString()} also appears in ${items[prev.item].file} with different values`);
        }
        continue;
      }
      keep.push(r);
    }
    const first = items[0].batch;
    const values: ColumnBatch['values'] = {};
    for (const c of spec.columns) {
      const pick = (r: (typeof keep)[number]) => items[r.item].batch.values[c.name]?.[r.row] ?? null;
      values[c.name] = c.type === 'VARCHAR'
        ? keep.map((r) => pick(r) as string | null)
        : Float64Array.from(keep, (r) => (pick(r) as number | null) ?? NaN);
    }
    out.push({ table: first.table, venue: first.venue, symbol: first.symbol, ts: Float64Array.from(keep, (r) => r.ts), values });
  }
  return out;
}

/** the batches of one series, in time order and disjoint (a file's years), as one; a single batch as it is */
export function concatBatches(parts: ColumnBatch[]): ColumnBatch {
  if (parts.length === 1) return parts[0];
  const joined = concatDisjoint(parts);
  if (!joined) throw new Error('concatBatches: the parts overlap');
  return joined;
}

/**
 * Monthly archive files of one series do not overlap: ordered by first hour, each ends before the next starts,
 * so their columns are simply concatenated (each batch is already strictly increasing). null when they overlap.
 */
function concatDisjoint(batches: ColumnBatch[]): ColumnBatch | null {
  const sorted = batches.filter((b) => b.ts.length > 0).sort((a, b) => a.ts[0] - b.ts[0]);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].ts[0] <= sorted[i - 1].ts[sorted[i - 1].ts.length - 1]) return null;
  const spec = tableSpec(sorted[0].table);
  const n = sorted.reduce((a, b) => a + b.ts.length, 0);
  const ts = new Float64Array(n);
  const values: ColumnBatch['values'] = {};
  let at = 0;
  for (const b of sorted) {
    ts.set(b.ts, at);
    at += b.ts.length;
  }
  for (const c of spec.columns) {
    if (c.type === 'VARCHAR') {
      values[c.name] = sorted.flatMap((b) => (b.values[c.name] as (string | null)[] | undefined) ?? new Array<null>(b.ts.length).fill(null));
    } else {
      const col = new Float64Array(n);
      let k = 0;
      for (const b of sorted) {
        const v = b.values[c.name] as Float64Array | undefined;
        if (v) col.set(v, k);
        else col.fill(NaN, k, k + b.ts.length);
        k += b.ts.length;
      }
      values[c.name] = col;
    }
  }
  return { table: sorted[0].table, venue: sorted[0].venue, symbol: sorted[0].symbol, ts, values };
}

/**
 * The parts a series' files (indices into `files`) are parsed and committed in: a part per calendar year, years
 * ascending, when every file is a Binance archive whose name gives its year (monthly or daily files, the long
 * histories), so memory holds a year of the series rather than all of it; else the whole series as one part.
 */
export function seriesParts(members: readonly number[], files: readonly string[]): { year: number | null; members: number[] }[] {
  const years = members.map((i) => yearFromArchiveName(path.basename(files[i])));
  if (years.some((y) => y === null)) return [{ year: null, members: [...members] }];
  const parts = new Map<number, number[]>();
  members.forEach((i, k) => {
    const year = years[k]!;
    const part = parts.get(year);
    if (part) part.push(i);
    else parts.set(year, [i]);
  });
  return [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([year, m]) => ({ year, members: m }));
}

/**
 * The batches an import commits, in order: a year of a series (venue/table/symbol) at a time when the series is one
 * file or archive files named by year (seriesParts), else the series' files merged into one batch; each parsed and
 * checked only when the commit asks for it, so memory holds a year, or one such series, rather than the whole
 * import. reports[i] is filled once file i is parsed.
 */
export async function* importBatches(files: readonly string[], opts: ImportOptions, reports: FileReport[]): AsyncGenerator<ColumnBatch> {
  const groups = new Map<string, number[]>();
  files.forEach((file, i) => {
    const t = resolveTarget(file, opts).target;
    const key = `${t.venue}/${t.table}/${t.symbol}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  let done = 0;
  for (const members of groups.values()) {
    for (const part of seriesParts(members, files)) {
      if (part.members.length === 1) {
        // one file (a whole history in one CSV, say): its years go to the commit as they are read
        const i = part.members[0];
        opts.onProgress?.({ phase: 'parse', done, total: files.length });
        reports[i] = yield* parseImportFileYears(files[i], opts);
        done++;
        continue;
      }
      const parsed: { file: string; batch: ColumnBatch }[] = [];
      for (const i of part.members) {
        opts.onProgress?.({ phase: 'parse', done, total: files.length });
        const p = await parseImportFile(files[i], opts);
        reports[i] = p.report;
        parsed.push({ file: files[i], batch: p.batch });
        done++;
      }
      yield* mergeBatches(parsed);
    }
  }
  opts.onProgress?.({ phase: 'commit' });
}

/**
 * Parses and commits the files inside the writer's commit (importBatches). Every file is still checked before the
 * commit point: a bad file anywhere deletes what was staged and the dataset stays as it was.
 */
export async function importFiles(datasetsDir: string, files: string[], opts: ImportOptions = {}): Promise<ImportReport> {
  if (files.length === 0) throw new UserError('import: name at least one file');
  // every file's table and symbol known (or refused) before the datasets folder is touched
  const targets = files.map((file) => resolveTarget(file, opts).target);
  const reports: FileReport[] = new Array(files.length);
  const provenance: Record<string, string> = {};
  if (opts.note) for (const t of targets) provenance[`${t.venue}/${t.table}`] = opts.note;
  const commit = await commitBatches(datasetsDir, importBatches(files, opts, reports), { provenance });
  return { files: reports, commit };
}

export function assertFilesExist(files: string[]): void {
  for (const f of files) {
    try {
      if (fs.statSync(f).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    } catch (err) {
      throw new InputError(f, null, null, fileProblem(err));
    }
  }
}
