/**
 * CSV files with a header, in the layout of ../shared/market-data (ts_ms first, then the table's columns).
 * Columns the table does not know are ignored and reported; missing required columns are an error.
 */
import { InputError } from '../errors.ts';
import { BatchBuilder, type RowValues } from './batch-builder.ts';
import { DEFAULT_IMPORT_LIMITS, eachLineByBlock, parseInteger, parseNumber, type ImportLimits, type LineReader } from './read-text.ts';
import { decimalAt, integerAt, splitFields } from './fast-number.ts';
import { tableSpec, type TableName } from './tables.ts';
import type { ColumnBatch } from './dataset-writer.ts';

export interface CsvTarget {
  table: TableName;
  venue: string;
  symbol: string;
  /** constant values for columns the file lacks (liquidation kind/source, open-interest period, funding source) */
  constants?: Record<string, string>;
  /** the year the file's name gives, which every row must lie in (BatchBuilder.holdToYear) */
  namedYear?: number | null;
}

export interface ParsedCsv {
  ignoredColumns: string[];
}

function splitCsv(text: string): string[] {
  return text.split(',').map((f) => {
    const t = f.trim();
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
  });
}

/**
 * `reader` stands on the file's first line (the header). For candle tables, rows of plain numbers are read from
 * the bytes; every other line — and every line of the other tables — goes through the string path, which holds
 * every check and error message, so both paths accept and reject exactly the same lines.
 *
 * Yields the file's rows a calendar year at a time, in time order, as each year is read to its end (rows must be
 * in time order), so a whole history is never held at once; a bad row anywhere still throws before the generator ends.
 */
export async function* parseMarketCsvYears(
  file: string,
  reader: LineReader,
  target: CsvTarget,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): AsyncGenerator<ColumnBatch, ParsedCsv> {
  const spec = tableSpec(target.table);
  const builder = new BatchBuilder(file, target.table, target.venue, target.symbol);
  if (target.namedYear != null) builder.holdToYear(target.namedYear, 'ts_ms');
  let header: string[] | null = null;
  let index = new Map<string, number>();
  let ignoredColumns: string[] = [];
  const constants = target.constants ?? {};
  const slowRow = (line: number, rowText: string): void => {
    if (!header) {
      header = splitCsv(rowText);
      index = new Map(header.map((h, i) => [h, i]));
      if (!index.has('ts_ms')) {
        throw new InputError(file, line, 'ts_ms', `header lacks 'ts_ms' (found: ${header.slice(0, 12).join(',')})`);
      }
      for (const c of spec.columns) {
        if (!index.has(c.name) && !c.nullable && !(c.name in constants) && !(target.table === 'liquidations_1h' && c.name === 'total_liq_usd')) {
          throw new InputError(file, line, c.name, `header lacks required column '${c.name}' for table ${target.table}`);
        }
      }
      const known = new Set(['ts_ms', ...spec.columns.map((c) => c.name)]);
      ignoredColumns = header.filter((h) => !known.has(h));
      return;
    }
    const fields = splitCsv(rowText);
    if (fields.length !== header.length) {
      throw new InputError(file, line, null, `expected ${header.length} fields as in the header, found ${fields.length}`);
    }
    if (builder.rowsAdded >= limits.maxRows) throw new InputError(file, line, null, `more than ${limits.maxRows} rows: over the import row limit (raise it with --max-rows)`);
    const ts = parseInteger(fields[index.get('ts_ms')!], file, line, 'ts_ms');
    const values: RowValues = {};
    for (const c of spec.columns) {
      const at = index.get(c.name);
      const raw = at === undefined ? undefined : fields[at];
      if (raw === undefined || raw === '') {
        values[c.name] = constants[c.name] ?? null;
        continue;
      }
      if (c.type === 'VARCHAR') values[c.name] = raw;
      else if (c.type === 'DOUBLE') values[c.name] = parseNumber(raw, file, line, c.name);
      else values[c.name] = parseInteger(raw, file, line, c.name);
    }
    if (target.table === 'liquidations_1h' && values.total_liq_usd === null) {
      values.total_liq_usd = (values.long_liq_usd as number) + (values.short_liq_usd as number);
    }
    builder.add(line, ts, values);
  };
  const fast = target.table === 'candles_1h' || target.table === 'perp_1h' || target.table === 'mark_1h';
  const columns = fast ? builder.numericColumns : [];
  const row = new Float64Array(columns.length);
  let starts = new Int32Array(0);
  let ends = new Int32Array(0);
  /** per table column: its field in the line (-1: not in the file) and whether it is an integer */
  let fieldOf = new Int32Array(0);
  let tsField = -1;
  const integer = columns.map((c) => c.type !== 'DOUBLE');
  const fastRow = (): boolean => {
    if (!fast || !header) return false;
    if (tsField < 0) {
      starts = new Int32Array(header.length);
      ends = new Int32Array(header.length);
      fieldOf = Int32Array.from(columns, (c) => index.get(c.name) ?? -1);
      tsField = index.get('ts_ms')!;
    }
    const b = reader.buf;
    if (!splitFields(b, reader.start, reader.end, header.length, starts, ends) || builder.rowsAdded >= limits.maxRows) return false;
    const ts = integerAt(b, starts[tsField], ends[tsField]);
    if (Number.isNaN(ts)) return false;
    for (let k = 0; k < columns.length; k++) {
      const f = fieldOf[k];
      if (f < 0 || starts[f] === ends[f]) {
        // an absent or empty field is NULL (candle tables take no constants)
        row[k] = NaN;
        continue;
      }
      const v = integer[k] ? integerAt(b, starts[f], ends[f]) : decimalAt(b, starts[f], ends[f]);
      if (Number.isNaN(v)) return false;
      row[k] = v;
    }
    builder.addRow(reader.line, ts, row);
    return true;
  };
  for await (const _ of eachLineByBlock(reader, () => {
    if (!fastRow()) slowRow(reader.line, reader.text());
  })) {
    for (let year; (year = builder.takeCompletedYear()); ) yield year;
  }
  if (!header) throw new InputError(file, null, null, 'file is empty');
  yield builder.finish();
  return { ignoredColumns };
}
