/**
 * Binance public-archive kline CSVs: 12 columns (open_time, open, high, low, close, volume, close_time,
 * quote_volume, count, taker_buy_base, taker_buy_quote, ignore), no header in spot files, a header in some
 * futures files. Open time is in milliseconds, except in the spot archive from 2025 on, which uses
 * microseconds: the unit is detected from the first row's magnitude, and every row of a file must share it
 * (the archive is monthly files, so a mix inside one file means a corrupt or hand-edited file).
 */
import { InputError } from '../errors.ts';
import { BatchBuilder } from './batch-builder.ts';
import { DEFAULT_IMPORT_LIMITS, eachLineByBlock, parseInteger, parseNumber, type ImportLimits, type LineReader } from './read-text.ts';
import { decimalAt, integerAt, splitFields } from './fast-number.ts';
import type { ColumnBatch } from './dataset-writer.ts';
import type { TableName } from './tables.ts';

const HOUR_MS = 3_600_000;
/** epoch ms stays below 1e14 until the year 5138; epoch µs is above it since 1973 */
const MICROS_THRESHOLD = 1e14;

export interface ArchiveTarget {
  table: Extract<TableName, 'candles_1h' | 'perp_1h' | 'mark_1h'>;
  venue: string;
  symbol: string;
  /** the year the file's name gives, which every row must lie in (BatchBuilder.holdToYear) */
  namedYear?: number | null;
}

/** a monthly or daily archive file's name (BTCUSDT-1h-2025-01.zip, …-2025-01-31.csv); captures the symbol and the year */
const ARCHIVE_NAME = /^([A-Z0-9]+)-1h-(\d{4})-\d{2}(-\d{2})?\.(csv|zip|csv\.gz)$/;

/** BTCUSDT-1h-2025-01.csv(.zip) → BTCUSDT; null when the name does not say */
export function symbolFromArchiveName(base: string): string | null {
  return ARCHIVE_NAME.exec(base)?.[1] ?? null;
}

/** BTCUSDT-1h-2025-01.zip → 2025: the year of the klines the file holds; null when the name does not say */
export function yearFromArchiveName(base: string): number | null {
  const m = ARCHIVE_NAME.exec(base);
  return m ? Number(m[2]) : null;
}

/** A first line of only numeric fields (no header) is an archive kline row, whatever its field count. */
export function looksLikeArchiveLine(text: string): boolean {
  const f = text.split(',');
  return f.length >= 6 && f.every((x) => /^\s*[-+]?[\d.eE+-]+\s*$/.test(x));
}

export function isArchiveHeader(text: string): boolean {
  return text.split(',')[0].trim() === 'open_time';
}

export function toMillis(raw: number): { ms: number; unit: 'ms' | 'us' } {
  return raw >= MICROS_THRESHOLD ? { ms: raw / 1000, unit: 'us' } : { ms: raw, unit: 'ms' };
}

const UNIT_NAME = { ms: 'milliseconds', us: 'microseconds' } as const;

/**
 * `reader` stands on the file's first line. Rows in the archive's plain form are read from the bytes; any other
 * line (spaces, exponents, a header, anything wrong) goes through the string path, which holds every check and
 * every error message, so both paths accept and reject exactly the same lines. Yields the rows a calendar year
 * at a time as each year is read to its end (parseMarketCsvYears).
 */
export async function* parseBinanceArchiveYears(
  file: string,
  reader: LineReader,
  target: ArchiveTarget,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): AsyncGenerator<ColumnBatch, { units: Set<string> }> {
  const builder = new BatchBuilder(file, target.table, target.venue, target.symbol);
  if (target.namedYear != null) builder.holdToYear(target.namedYear, 'open_time');
  const units = new Set<string>();
  let fileUnit: { unit: 'ms' | 'us'; line: number } | null = null;
  let first = true;
  const slowRow = (line: number, rowText: string): void => {
    const f = rowText.split(',').map((s) => s.trim());
    if (first && isArchiveHeader(rowText)) {
      first = false;
      return;
    }
    first = false;
    if (f.length !== 12) {
      throw new InputError(file, line, null, `expected the 12 fields of a Binance kline (open_time, open, high, low, close, volume, close_time, quote_volume, count, taker_buy_base, taker_buy_quote, ignore), found ${f.length}`);
    }
    if (builder.rowsAdded >= limits.maxRows) throw new InputError(file, line, null, `more than ${limits.maxRows} rows: over the import row limit (raise it with --max-rows)`);
    const rawOpen = parseInteger(f[0], file, line, 'open_time');
    const open = toMillis(rawOpen);
    const close = toMillis(parseInteger(f[6], file, line, 'close_time'));
    if (!fileUnit) fileUnit = { unit: open.unit, line };
    else if (open.unit !== fileUnit.unit) {
      throw new InputError(file, line, 'open_time', `open time is in ${UNIT_NAME[open.unit]} but line ${fileUnit.line} is in ${UNIT_NAME[fileUnit.unit]}: one archive file uses one unit`);
    }
    if (close.unit !== open.unit) throw new InputError(file, line, 'close_time', `close time is in ${UNIT_NAME[close.unit]} but open time in ${UNIT_NAME[open.unit]}`);
    if (!Number.isInteger(open.ms)) throw new InputError(file, line, 'open_time', `open time ${rawOpen} µs is not a whole millisecond, let alone on the hour`);
    units.add(open.unit);
    if (open.ms % HOUR_MS !== 0) {
      throw new InputError(file, line, 'open_time', `open time ${new Date(open.ms).toISOString()} (read as ${UNIT_NAME[open.unit]}) is not on the hour`);
    }
    if (Math.floor(close.ms) - open.ms !== HOUR_MS - 1) {
      throw new InputError(file, line, 'close_time', `bar spans ${Math.floor(close.ms) - open.ms + 1} ms, not one hour: only 1h klines can be imported`);
    }
    const row: Record<string, number> = {
      open: parseNumber(f[1], file, line, 'open'),
      high: parseNumber(f[2], file, line, 'high'),
      low: parseNumber(f[3], file, line, 'low'),
      close: parseNumber(f[4], file, line, 'close'),
    };
    if (target.table !== 'mark_1h') row.volume = parseNumber(f[5], file, line, 'volume');
    if (target.table === 'candles_1h') {
      row.quote_volume = parseNumber(f[7], file, line, 'quote_volume');
      row.trades = parseInteger(f[8], file, line, 'count');
    }
    builder.add(line, open.ms, row);
  };
  const row = new Float64Array(builder.numericColumns.length).fill(NaN);
  const starts = new Int32Array(12);
  const ends = new Int32Array(12);
  const withVolume = target.table !== 'mark_1h';
  const withQuote = target.table === 'candles_1h';
  /** true when the line was a plain row and is stored; false sends it down the string path */
  const fastRow = (): boolean => {
    const b = reader.buf;
    if (first || !splitFields(b, reader.start, reader.end, 12, starts, ends) || builder.rowsAdded >= limits.maxRows) return false;
    const rawOpen = integerAt(b, starts[0], ends[0]);
    const rawClose = integerAt(b, starts[6], ends[6]);
    if (Number.isNaN(rawOpen) || Number.isNaN(rawClose)) return false;
    const unit = rawOpen >= MICROS_THRESHOLD ? 'us' : 'ms';
    if ((rawClose >= MICROS_THRESHOLD ? 'us' : 'ms') !== unit || (fileUnit && fileUnit.unit !== unit)) return false;
    const openMs = unit === 'us' ? rawOpen / 1000 : rawOpen;
    const closeMs = unit === 'us' ? rawClose / 1000 : rawClose;
    if (!Number.isInteger(openMs) || openMs % HOUR_MS !== 0 || Math.floor(closeMs) - openMs !== HOUR_MS - 1) return false;
    for (let k = 0; k < 4; k++) if (Number.isNaN((row[k] = decimalAt(b, starts[k + 1], ends[k + 1])))) return false;
    if (withVolume && Number.isNaN((row[4] = decimalAt(b, starts[5], ends[5])))) return false;
    if (withQuote && (Number.isNaN((row[5] = decimalAt(b, starts[7], ends[7]))) || Number.isNaN((row[6] = integerAt(b, starts[8], ends[8]))))) return false;
    if (!fileUnit) fileUnit = { unit, line: reader.line };
    units.add(unit);
    builder.addRow(reader.line, openMs, row);
    return true;
  };
  for await (const _ of eachLineByBlock(reader, () => {
    if (!fastRow()) slowRow(reader.line, reader.text());
  })) {
    for (let year; (year = builder.takeCompletedYear()); ) yield year;
  }
  yield builder.finish();
  return { units };
}
