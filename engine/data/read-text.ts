import fs from 'node:fs';
import zlib from 'node:zlib';
import { InputError } from '../errors.ts';
import { readZipSingleEntry } from './zip.ts';

/** Reads a text input, transparently decompressing .gz and single-file .zip (Binance's archive format). */
export function readTextInput(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new InputError(file, null, null, `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    if (file.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
    else if (file.endsWith('.zip')) bytes = readZipSingleEntry(bytes);
  } catch (err) {
    throw new InputError(file, null, null, `cannot decompress: ${(err as Error).message}`);
  }
  return bytes.toString('utf8');
}

/** Splits into lines, keeping 1-based line numbers and dropping blank lines (a trailing newline is normal). */
export function splitLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    if (raw[i].trim() !== '') out.push({ line: i + 1, text: raw[i] });
  }
  return out;
}

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INTEGER_RE = /^[-+]?\d+$/;

export function parseNumber(raw: string, file: string, line: number, field: string): number {
  const s = raw.trim();
  if (s === '') throw new InputError(file, line, field, 'empty value');
  if (!NUMBER_RE.test(s)) throw new InputError(file, line, field, `'${raw}' is not a number`);
  return Number(s);
}

export function parseInteger(raw: string, file: string, line: number, field: string): number {
  const s = raw.trim();
  if (s === '') throw new InputError(file, line, field, 'empty value');
  if (!INTEGER_RE.test(s)) throw new InputError(file, line, field, `'${raw}' is not an integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new InputError(file, line, field, `'${raw}' is out of range`);
  return n;
}
