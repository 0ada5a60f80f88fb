/**
 * `regime import --freqtrade DIR|FILE…`: a freqtrade data directory (user_data/data, one exchange folder in it,
 * or single .feather files) into the dataset, through the same checks and the same atomic writer as the CSV
 * importer. Every file is decoded and checked before anything is written.
 *
 * Directory scans skip what cannot be imported (other timeframes, trades, index/premium-index frames, other
 * data formats) and say why for each file; a file named explicitly is imported or refused, never skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, UserError } from '../errors.ts';
import { BatchBuilder, type RowValues } from './batch-builder.ts';
import { commitBatches, type ColumnBatch, type CommitSummary } from './dataset-writer.ts';
import { concatBatches, mergeBatches } from './import-files.ts';
import { assertSymbol, assertVenue } from './layout.ts';
import { provenancePath, readProvenance } from './manifest.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { readFeather, type FeatherFrame } from './freqtrade-feather.ts';
import { parseFreqtradeName, TABLE_OF_CANDLE_TYPE, venueFor, type FreqtradeName } from './freqtrade-names.ts';
import type { TableName } from './tables.ts';

const HOUR = 3_600_000;
const NOMINAL_FUNDING_INTERVALS = new Set([1, 2, 4, 8]);
/** funding times a few ms/s past the hour (as some APIs report them) are the settlement of that hour */
const SETTLEMENT_TOLERANCE_MS = 60_000;

export interface FreqtradeImportOptions {
  /** dataset folder for every file instead of the one derived from the exchange */
  venue?: string;
  /** provenance text recorded for the affected venue/tables (default: the freqtrade file names) */
  note?: string;
}

export interface FreqtradeFileReport {
  file: string;
  /** `freqtrade:<exchange>/[futures/]<name>`, the row-level source label and provenance entry */
  source: string;
  table: TableName;
  venue: string;
  symbol: string;
  rows: number;
  first: string;
  last: string;
  notes: string[];
}

export interface FreqtradeImportReport {
  files: FreqtradeFileReport[];
  skipped: { file: string; reason: string }[];
  commit: CommitSummary;
}

interface Candidate {
  file: string;
  exchange: string | null;
  /** explicitly named by the user: problems are errors, not skips */
  explicit: boolean;
}

const iso = (ts: number) => new Date(ts).toISOString().slice(0, 16).replace('T', ' ');

function isExchangeDir(dir: string): boolean {
  return fs.readdirSync(dir).some((n) => n.endsWith('.feather')) || fs.existsSync(path.join(dir, 'futures'));
}

/** Exchange name of a file inside a freqtrade layout: its folder, or the folder above `futures/`. */
function exchangeOfFile(file: string): string | null {
  let dir = path.dirname(path.resolve(file));
  if (path.basename(dir) === 'futures') dir = path.dirname(dir);
  const name = path.basename(dir);
  return /^[a-z0-9_-]{2,40}$/.test(name) ? name : null;
}

function listFeatherLike(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(dir, e.name)).sort();
}

/** The files to consider: DIR may be user_data/data (exchange folders inside) or one exchange folder. */
export function collectFreqtradeFiles(inputs: string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new InputError(input, null, null, 'no such file or directory');
    if (fs.statSync(input).isFile()) {
      out.push({ file: input, exchange: exchangeOfFile(input), explicit: true });
      continue;
    }
    const exchangeDirs = isExchangeDir(input)
      ? [input]
      : fs.readdirSync(input, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(input, e.name)).filter(isExchangeDir).sort();
    if (exchangeDirs.length === 0) {
      throw new InputError(input, null, null, 'no freqtrade data here: expected <exchange>/<PAIR>-<tf>.feather files (freqtrade\'s user_data/data) or an exchange folder');
    }
    for (const dir of exchangeDirs) {
      const exchange = path.basename(path.resolve(dir));
      const files = listFeatherLike(dir);
      const futures = path.join(dir, 'futures');
      if (fs.existsSync(futures)) files.push(...listFeatherLike(futures));
      for (const file of files) out.push({ file, exchange, explicit: false });
    }
  }
  return out;
}

function sourceLabel(file: string, exchange: string | null): string {
  const inFutures = path.basename(path.dirname(path.resolve(file))) === 'futures';
  return `freqtrade:${[exchange, inFutures ? 'futures' : null, path.basename(file)].filter(Boolean).join('/')}`;
}

/** Re-states a BatchBuilder complaint about "line N" as "row N" of the frame, with the row's time. */
function rowError(err: unknown, file: string, dates: Float64Array): never {
  if (err instanceof InputError && err.line !== null) {
    const where = [err.file, `line ${err.line}`, err.field === null ? null : `field '${err.field}'`].filter(Boolean).join(', ') + ': ';
    const problem = err.message.startsWith(where) ? err.message.slice(where.length) : err.message;
    const at = dates[err.line - 1];
    throw new InputError(file, null, err.field, `row ${err.line}${at === undefined || Number.isNaN(at) ? '' : ` (date ${iso(at)})`}: ${problem}`);
  }
  throw err;
}

/** a column's values, NaN where the file holds a null */
function column(frame: FeatherFrame, file: string, name: string): Float64Array {
  const c = frame.columns.get(name);
  if (!c) throw new InputError(file, null, name, `column '${name}' is missing (found: ${[...frame.columns.keys()].join(', ')})`);
  if (name === 'date' && !/^Timestamp/.test(c.type)) throw new InputError(file, null, 'date', `expected a timestamp column, found ${c.type}`);
  if (name !== 'date' && !/^Float|^Int|^Uint/.test(c.type)) throw new InputError(file, null, name, `expected a numeric column, found ${c.type}`);
  return c.values;
}

/** the frame's candles a calendar year at a time (BatchBuilder.takeCompletedYear); returns the notes */
function* candleYears(file: string, frame: FeatherFrame, table: TableName, venue: string, symbol: string): Generator<ColumnBatch, string[]> {
  const date = column(frame, file, 'date');
  const cols = { open: column(frame, file, 'open'), high: column(frame, file, 'high'), low: column(frame, file, 'low'), close: column(frame, file, 'close') };
  const volume = table === 'mark_1h' ? null : column(frame, file, 'volume');
  const builder = new BatchBuilder(file, table, venue, symbol);
  // one reused row in the table's column order (open, high, low, close[, volume]); NaN = missing
  const row = new Float64Array(builder.numericColumns.length).fill(NaN);
  const { open, high, low, close } = cols;
  for (let i = 0; i < frame.rows; i++) {
    const ts = date[i];
    if (Number.isNaN(ts)) throw new InputError(file, null, 'date', `row ${i + 1}: missing date`);
    row[0] = open[i];
    row[1] = high[i];
    row[2] = low[i];
    row[3] = close[i];
    if (volume) row[4] = volume[i];
    try {
      builder.addRow(i + 1, ts, row);
    } catch (err) {
      rowError(err, file, date);
    }
    // a look every 1,024 rows is often enough to hold about a year
    if ((i & 1023) === 1023) for (let year; (year = builder.takeCompletedYear()); ) yield year;
  }
  for (let year; (year = builder.takeCompletedYear()); ) yield year;
  yield builder.finish();
  return table === 'mark_1h' ? ['volume column ignored (mark-price klines have none)'] : [];
}

/**
 * freqtrade stores funding as a candle frame with the rate in `open`. The files freqtrade writes hold one row
 * per settlement; the interval each rate paid for is the spacing to the previous settlement. A frame with one
 * row per hour and zeros between settlements cannot be told apart from real zero-rate settlements, so it is
 * refused rather than guessed at.
 */
function parseFunding(file: string, frame: FeatherFrame, venue: string, symbol: string, source: string): { batch: ColumnBatch; notes: string[] } {
  const date = column(frame, file, 'date');
  const rate = column(frame, file, 'open');
  const notes: string[] = [];
  const n = frame.rows;
  if (n < 2) throw new InputError(file, null, 'date', `${n} settlement${n === 1 ? '' : 's'}: at least two are needed to tell the funding interval`);
  const zeros = rate.filter((r) => r === 0).length;
  if (zeros * 2 > n) {
    throw new InputError(file, null, 'open', `${zeros} of ${n} rows have a funding rate of exactly 0: this looks like an hourly frame filled with zeros between settlements, where real zero-rate settlements cannot be told from filler; import the settlement history instead (\`regime fetch --exchange binanceusdm\`)`);
  }
  const ts: number[] = [];
  const calc: (number | null)[] = [];
  let rounded = 0;
  for (let i = 0; i < n; i++) {
    const raw = date[i];
    if (Number.isNaN(raw)) throw new InputError(file, null, 'date', `row ${i + 1}: missing date`);
    const nominal = Math.round(raw / HOUR) * HOUR;
    if (raw !== nominal && Math.abs(raw - nominal) <= SETTLEMENT_TOLERANCE_MS) {
      ts.push(nominal);
      calc.push(raw);
      rounded++;
    } else {
      ts.push(raw);
      calc.push(null);
    }
  }
  if (rounded > 0) notes.push(`${rounded} settlement times rounded to their hour (raw time kept in calc_time_ms)`);
  const firstSpacing = (ts[1] - ts[0]) / HOUR;
  let interval = NOMINAL_FUNDING_INTERVALS.has(firstSpacing) ? firstSpacing : NaN;
  if (Number.isNaN(interval)) {
    throw new InputError(file, null, 'date', `rows 1–2: the first two settlements are ${firstSpacing} h apart, not 1, 2, 4 or 8 h: cannot tell the funding interval`);
  }
  const irregular: string[] = [];
  const builder = new BatchBuilder(file, 'funding', venue, symbol);
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      const spacing = (ts[i] - ts[i - 1]) / HOUR;
      // A longer spacing is missing settlements (a gap, kept as one), not a longer interval.
      if (NOMINAL_FUNDING_INTERVALS.has(spacing)) interval = spacing;
      else if (spacing > 0) irregular.push(`${iso(ts[i])} (${spacing} h after the previous)`);
    }
    try {
      builder.add(i + 1, ts[i], { funding_rate: rate[i], funding_interval_hours: interval, calc_time_ms: calc[i], source });
    } catch (err) {
      rowError(err, file, date);
    }
  }
  if (irregular.length > 0) {
    notes.push(`${irregular.length} irregular spacings (missing settlements kept as gaps, previous interval carried): ${irregular.slice(0, 3).join(', ')}${irregular.length > 3 ? ', …' : ''}`);
  }
  if (zeros > 0) notes.push(`${zeros} settlements with a rate of exactly 0`);
  return { batch: builder.finish(), notes };
}

/** What a file will become, from its name and folder alone (nothing is read), or why it is skipped. */
interface Classified {
  candidate: Candidate;
  name: FreqtradeName;
  table: TableName;
  venue: string;
  symbol: string;
  source: string;
}

/** Either a parsed file or the reason it cannot be imported (an error when the file was named explicitly). */
export function parseFreqtradeFile(candidate: Candidate, opts: FreqtradeImportOptions = {}): { batch: ColumnBatch; report: FreqtradeFileReport } | { skip: string } {
  const c = classifyFreqtradeFile(candidate, opts);
  return 'skip' in c ? c : readFreqtradeFile(c);
}

/** parseFreqtradeFile's rows as the import hands them to the commit: a calendar year at a time for candles; the report (or why it is skipped) is the return value */
export function* freqtradeFileParts(candidate: Candidate, opts: FreqtradeImportOptions = {}): Generator<ColumnBatch, { report: FreqtradeFileReport } | { skip: string }> {
  const c = classifyFreqtradeFile(candidate, opts);
  return 'skip' in c ? c : yield* freqtradeFileYears(c);
}

function classifyFreqtradeFile(candidate: Candidate, opts: FreqtradeImportOptions): Classified | { skip: string } {
  const { file, exchange } = candidate;
  const parsedName = parseFreqtradeName(path.basename(file));
  if (typeof parsedName === 'string') return { skip: parsedName };
  const name: FreqtradeName = parsedName;
  const table = TABLE_OF_CANDLE_TYPE[name.candleType];
  if (!table) return { skip: `${name.candleType} frames have no table here (candles_1h, perp_1h, mark_1h and funding are imported)` };
  if (name.settle !== null && name.settle !== name.quote) {
    return { skip: `${name.base}/${name.quote}:${name.settle} is a coin-margined (inverse) contract: only linear contracts settled in the quote currency map to perp_1h/mark_1h/funding` };
  }
  // Funding rows are settlements whatever timeframe freqtrade put in the name; candles must be hourly bars.
  if (table !== 'funding' && name.timeframe !== '1h') {
    return { skip: `timeframe ${name.timeframe}: the tables hold 1h bars and other timeframes are not converted; download 1h data (\`freqtrade download-data --timeframes 1h${name.candleType === 'spot' ? '' : ' --trading-mode futures'}\`) and import that file` };
  }
  const venueName = opts.venue ?? (exchange ? venueFor(exchange, name.candleType) : null);
  if (!venueName) throw new InputError(file, null, null, 'cannot tell the exchange from the folder name (freqtrade keeps files in user_data/data/<exchange>/): pass --venue');
  let venue: string;
  let symbol: string;
  try {
    venue = assertVenue(venueName);
    symbol = assertSymbol(name.symbol);
  } catch (err) {
    throw new InputError(file, null, null, (err as Error).message);
  }
  return { candidate, name, table, venue, symbol, source: sourceLabel(file, exchange) };
}

/**
 * A file's rows, a calendar year at a time for candles (funding files are a few thousand settlements: one batch),
 * and its report as the return value; or why it is skipped.
 */
function* freqtradeFileYears(c: Classified): Generator<ColumnBatch, { report: FreqtradeFileReport } | { skip: string }> {
  const { name, table, venue, symbol, source } = c;
  const { file } = c.candidate;
  const frame = readFeather(file);
  if (frame.rows === 0) return { skip: 'no rows' };
  let notes: string[];
  let rows = 0;
  let first = NaN;
  let last = NaN;
  const parts = table === 'funding' ? fundingBatch(file, frame, venue, symbol, source) : candleYears(file, frame, table, venue, symbol);
  for (;;) {
    const next = parts.next();
    if (next.done) {
      notes = next.value;
      break;
    }
    const b = next.value;
    if (rows === 0) first = b.ts[0];
    last = b.ts[b.ts.length - 1];
    rows += b.ts.length;
    yield b;
  }
  if (table === 'funding' && name.timeframe !== '1h') notes.push(`timeframe ${name.timeframe} in the name ignored: funding rows are settlements`);
  return { report: { file, source, table, venue, symbol, rows, first: iso(first), last: iso(last), notes } };
}

function* fundingBatch(file: string, frame: FeatherFrame, venue: string, symbol: string, source: string): Generator<ColumnBatch, string[]> {
  const { batch, notes } = parseFunding(file, frame, venue, symbol, source);
  yield batch;
  return notes;
}

/** A whole file as one batch, or why it is skipped. */
function readFreqtradeFile(c: Classified): { batch: ColumnBatch; report: FreqtradeFileReport } | { skip: string } {
  const parts: ColumnBatch[] = [];
  const years = freqtradeFileYears(c);
  for (;;) {
    const next = years.next();
    if (next.done) return 'skip' in next.value ? next.value : { batch: concatBatches(parts), report: next.value.report };
    parts.push(next.value);
  }
}

/** Records where each venue/table's rows came from; only writes when something new is said, so reruns change no byte. */
function recordProvenance(datasetsDir: string, reports: FreqtradeFileReport[], note: string | undefined): void {
  const provenance = readProvenance(datasetsDir);
  let changed = false;
  const byKey = new Map<string, string[]>();
  for (const r of reports) byKey.set(`${r.venue}/${r.table}`, [...(byKey.get(`${r.venue}/${r.table}`) ?? []), r.source]);
  for (const [key, sources] of byKey) {
    const existing = provenance[key] ? provenance[key].split('; ') : [];
    const additions = (note ? [note] : sources).filter((s) => !existing.includes(s));
    if (additions.length === 0) continue;
    provenance[key] = [...existing, ...additions].join('; ');
    changed = true;
  }
  if (changed) writeFileAtomic(provenancePath(datasetsDir), JSON.stringify(provenance, null, 1) + '\n');
}

/**
 * Files are classified by name first; then each series (venue/table/symbol) is read, checked and written in
 * turn inside the commit, so memory holds one series. Any error — or nothing to import — commits nothing.
 */
export async function importFreqtrade(datasetsDir: string, inputs: string[], opts: FreqtradeImportOptions = {}): Promise<FreqtradeImportReport> {
  if (inputs.length === 0) throw new UserError('import --freqtrade: name a freqtrade data directory or .feather files');
  const candidates = collectFreqtradeFiles(inputs);
  const outcome: ({ report: FreqtradeFileReport } | { skip: string } | null)[] = candidates.map(() => null);
  const groups = new Map<string, { index: number; c: Classified }[]>();
  candidates.forEach((candidate, index) => {
    const c = classifyFreqtradeFile(candidate, opts);
    if ('skip' in c) {
      if (candidate.explicit) throw new InputError(candidate.file, null, null, c.skip);
      outcome[index] = c;
      return;
    }
    const key = `${c.venue}/${c.table}/${c.symbol}`;
    groups.set(key, [...(groups.get(key) ?? []), { index, c }]);
  });
  const reports = () => outcome.flatMap((o) => (o && 'report' in o ? [o.report] : []));
  const skipped = () => outcome.flatMap((o, i) => (o && 'skip' in o ? [{ file: candidates[i].file, reason: o.skip }] : []));
  const nothing = () => {
    const skips = skipped();
    return new UserError(`import --freqtrade: nothing to import in ${inputs.join(', ')} (${skips.length} files skipped${skips.length ? `, e.g. ${path.basename(skips[0].file)}: ${skips[0].reason}` : ''})`);
  };
  // everything skipped by name: said before the datasets folder is touched
  if (groups.size === 0) throw nothing();
  async function* series(): AsyncGenerator<ColumnBatch> {
    for (const members of groups.values()) {
      if (members.length === 1) {
        // one file for the series (freqtrade keeps one): its years go to the commit as they are built
        const { index, c } = members[0];
        const result = yield* freqtradeFileYears(c);
        if ('skip' in result && c.candidate.explicit) throw new InputError(c.candidate.file, null, null, result.skip);
        outcome[index] = result;
        continue;
      }
      const parsed: { batch: ColumnBatch; file: string }[] = [];
      for (const { index, c } of members) {
        const result = readFreqtradeFile(c);
        if ('skip' in result) {
          if (c.candidate.explicit) throw new InputError(c.candidate.file, null, null, result.skip);
          outcome[index] = result;
          continue;
        }
        outcome[index] = { report: result.report };
        parsed.push({ batch: result.batch, file: c.candidate.file });
      }
      if (parsed.length > 0) yield* mergeBatches(parsed);
    }
    if (reports().length === 0) throw nothing();
  }
  const commit = await commitBatches(datasetsDir, series());
  recordProvenance(datasetsDir, reports(), opts.note);
  return { files: reports(), skipped: skipped(), commit };
}

/**
 * For `regime import`: the inputs to treat as freqtrade data (`--freqtrade DIR`, or .feather files), or null for
 * a CSV import. Options that name a table or symbol do not apply: freqtrade's file names say both.
 */
export function freqtradeInputs(files: string[], opts: { freqtrade?: string; table?: string; symbol?: string; kind?: string; period?: string; source?: string; format?: string }): string[] | null {
  const feather = files.filter((f) => f.endsWith('.feather'));
  if (!opts.freqtrade && feather.length === 0) return null;
  if (feather.length !== files.length) {
    throw new UserError('import: .feather files (freqtrade) and CSV files go in separate commands');
  }
  const foreign = (['table', 'symbol', 'kind', 'period', 'source'] as const).filter((k) => opts[k] !== undefined);
  if (foreign.length > 0) {
    throw new UserError(`import --freqtrade: ${foreign.map((k) => `--${k}`).join(', ')} ${foreign.length === 1 ? 'does' : 'do'} not apply (freqtrade's file names give table and symbol; funding rows are labelled freqtrade:<file>)`);
  }
  if (opts.format && opts.format !== 'auto') throw new UserError('import --freqtrade: --format does not apply');
  return [...(opts.freqtrade ? [opts.freqtrade] : []), ...files];
}

export function formatFreqtradeReport(report: FreqtradeImportReport): string[] {
  const lines = report.files.map((f) => `${f.source} → ${f.venue}/${f.table} ${f.symbol}: ${f.rows} rows ${f.first} .. ${f.last} UTC${f.notes.length ? ` (${f.notes.join('; ')})` : ''}`);
  for (const s of report.skipped) lines.push(`skipped ${s.file}: ${s.reason}`);
  const c = report.commit;
  lines.push(`added ${c.added}, replaced ${c.replaced}, unchanged ${c.unchanged}; ${c.filesWritten} partition files written`);
  return lines;
}
