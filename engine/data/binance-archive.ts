/**
 * Binance public-archive kline CSVs: 12 columns (open_time, open, high, low, close, volume, close_time,
 * quote_volume, count, taker_buy_base, taker_buy_quote, ignore), no header in spot files, a header in some
 * futures files. Open time is in milliseconds, except in the spot archive from 2025 on, which uses
 * microseconds: each row's unit is detected from its magnitude.
 */
import { InputError } from '../errors.ts';
import { BatchBuilder } from './batch-builder.ts';
import { parseInteger, parseNumber, splitLines } from './read-text.ts';
import type { ColumnBatch } from './dataset-writer.ts';
import type { TableName } from './tables.ts';

const HOUR_MS = 3_600_000;
/** epoch ms stays below 1e14 until the year 5138; epoch µs is above it since 1973 */
const MICROS_THRESHOLD = 1e14;

export interface ArchiveTarget {
  table: Extract<TableName, 'candles_1h' | 'perp_1h' | 'mark_1h'>;
  venue: string;
  symbol: string;
}

/** BTCUSDT-1h-2025-01.csv(.zip) → BTCUSDT; null when the name does not say */
export function symbolFromArchiveName(base: string): string | null {
  const m = /^([A-Z0-9]+)-1h-\d{4}-\d{2}(-\d{2})?\.(csv|zip|csv\.gz)$/.exec(base);
  return m ? m[1] : null;
}

export function isArchiveKlineText(text: string): boolean {
  const first = text.slice(0, text.indexOf('\n') >>> 0 || text.length).split(',');
  return first.length === 12;
}

export function toMillis(raw: number): { ms: number; unit: 'ms' | 'us' } {
  return raw >= MICROS_THRESHOLD ? { ms: Math.floor(raw / 1000), unit: 'us' } : { ms: raw, unit: 'ms' };
}

export function parseBinanceArchive(file: string, text: string, target: ArchiveTarget): { batch: ColumnBatch; units: Set<string> } {
  const lines = splitLines(text);
  const builder = new BatchBuilder(file, target.table, target.venue, target.symbol);
  const units = new Set<string>();
  for (const [i, { line, text: rowText }] of lines.entries()) {
    const f = rowText.split(',').map((s) => s.trim());
    if (i === 0 && f[0] === 'open_time') continue;
    if (f.length !== 12) throw new InputError(file, line, null, `expected 12 comma-separated fields of a Binance kline, found ${f.length}`);
    const open = toMillis(parseInteger(f[0], file, line, 'open_time'));
    const close = toMillis(parseInteger(f[6], file, line, 'close_time'));
    units.add(open.unit);
    if (close.ms - open.ms !== HOUR_MS - 1) {
      throw new InputError(file, line, 'close_time', `bar spans ${close.ms - open.ms + 1} ms, not one hour: only 1h klines can be imported`);
    }
    const ohlc = {
      open: parseNumber(f[1], file, line, 'open'),
      high: parseNumber(f[2], file, line, 'high'),
      low: parseNumber(f[3], file, line, 'low'),
      close: parseNumber(f[4], file, line, 'close'),
    };
    const volume = parseNumber(f[5], file, line, 'volume');
    if (target.table === 'mark_1h') builder.add(line, open.ms, ohlc);
    else if (target.table === 'perp_1h') builder.add(line, open.ms, { ...ohlc, volume });
    else {
      builder.add(line, open.ms, {
        ...ohlc,
        volume,
        quote_volume: parseNumber(f[7], file, line, 'quote_volume'),
        trades: parseInteger(f[8], file, line, 'count'),
      });
    }
  }
  return { batch: builder.finish(), units };
}
