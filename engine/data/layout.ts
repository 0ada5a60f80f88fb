import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { TableName } from './tables.ts';

/** The bundled dataset that ships with the repository; every command uses it unless told otherwise. */
export const DEFAULT_DATASETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../datasets');

export function tableDir(datasetsDir: string, venue: string, table: TableName): string {
  return path.join(datasetsDir, venue, table);
}

export function partitionFile(datasetsDir: string, venue: string, table: TableName, symbol: string, year: number): string {
  return path.join(tableDir(datasetsDir, venue, table), `symbol=${symbol}`, `year=${year}`, 'data.parquet');
}

export function manifestPath(datasetsDir: string): string {
  return path.join(datasetsDir, 'manifest.json');
}

/** sha256 of the manifest: names the dataset generation a run read (null: the folder has none) */
export function manifestHash(datasetsDir: string): string | null {
  const file = manifestPath(datasetsDir);
  return fs.existsSync(file) ? createHash('sha256').update(fs.readFileSync(file)).digest('hex') : null;
}

export function yearOf(tsMs: number): number {
  return new Date(tsMs).getUTCFullYear();
}

const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;
const VENUE_RE = /^[a-z0-9_-]{2,40}$/;

export function assertSymbol(symbol: string, what = 'symbol'): string {
  if (!SYMBOL_RE.test(symbol)) throw new Error(`${what} '${symbol}' must be upper-case letters and digits, e.g. BTCUSDT`);
  return symbol;
}

export function assertVenue(venue: string): string {
  if (!VENUE_RE.test(venue)) throw new Error(`venue '${venue}' must be lower-case letters, digits, '-' or '_'`);
  return venue;
}
