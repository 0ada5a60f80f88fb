/**
 * CSV files with a header, in the layout of ../shared/market-data (ts_ms first, then the table's columns).
 * Columns the table does not know are ignored and reported; missing required columns are an error.
 */
import { InputError } from '../errors.ts';
import { BatchBuilder, type RowValues } from './batch-builder.ts';
import { DEFAULT_IMPORT_LIMITS, parseInteger, parseNumber, type ImportLimits, type TextLine } from './read-text.ts';
import { tableSpec, type TableName } from './tables.ts';
import type { ColumnBatch } from './dataset-writer.ts';

export interface CsvTarget {
  table: TableName;
  venue: string;
  symbol: string;
  /** constant values for columns the file lacks (liquidation kind/source, open-interest period, funding source) */
  constants?: Record<string, string>;
}

export interface ParsedCsv {
  batch: ColumnBatch;
  ignoredColumns: string[];
}

function splitCsv(text: string): string[] {
  return text.split(',').map((f) => {
    const t = f.trim();
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
  });
}

export async function parseMarketCsv(
  file: string,
  lines: AsyncIterable<TextLine>,
  target: CsvTarget,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): Promise<ParsedCsv> {
  const spec = tableSpec(target.table);
  const builder = new BatchBuilder(file, target.table, target.venue, target.symbol);
  let header: string[] | null = null;
  let index = new Map<string, number>();
  let ignoredColumns: string[] = [];
  const constants = target.constants ?? {};
  for await (const { line, text: rowText } of lines) {
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
      continue;
    }
    const fields = splitCsv(rowText);
    if (fields.length !== header.length) {
      throw new InputError(file, line, null, `expected ${header.length} fields as in the header, found ${fields.length}`);
    }
    if (builder.size >= limits.maxRows) throw new InputError(file, line, null, `more than ${limits.maxRows} rows: over the import row limit (raise it with --max-rows)`);
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
  }
  if (!header) throw new InputError(file, null, null, 'file is empty');
  return { batch: builder.finish(), ignoredColumns };
}
