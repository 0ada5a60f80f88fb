/**
 * Streams an input file as numbered text lines: plain, .gz or single-entry .zip, decompressed on the fly, so
 * memory does not grow with the file. Lines are split on bytes and each is decoded as strict UTF-8, so a bad
 * byte is reported with its line. Limits stop a runaway input with an error naming the limit.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { InputError } from '../errors.ts';
import { zipEntryChunks } from './zip.ts';

export interface ImportLimits {
  /** data rows per file */
  maxRows: number;
  /** decompressed bytes per file */
  maxBytes: number;
  /** bytes in one line */
  maxLineBytes: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  // 5 million hourly rows are 570 years of one series: far past any real file, small enough to stay in memory
  maxRows: 5_000_000,
  maxBytes: 2 * 1024 ** 3,
  maxLineBytes: 64 * 1024,
};

export interface TextLine {
  /** 1-based */
  line: number;
  text: string;
}

/** Turns the raw file-system errors of opening an input into one line a user can act on. */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTDIR':
      return 'a part of this path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read file (${code ?? (err as Error).message})`;
  }
}

async function* byteChunks(file: string): AsyncGenerator<Buffer> {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
  } catch (err) {
    throw new InputError(file, null, null, fileProblem(err));
  }
  try {
    if (file.endsWith('.zip')) {
      yield* zipEntryChunks(file);
      return;
    }
    const raw = fs.createReadStream(file);
    if (file.endsWith('.gz')) {
      const gunzip = zlib.createGunzip();
      raw.on('error', (err) => gunzip.destroy(err));
      yield* raw.pipe(gunzip) as AsyncIterable<Buffer>;
    } else {
      yield* raw as AsyncIterable<Buffer>;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code) && !code.startsWith('Z_') && code !== 'ERR_INVALID_ARG_TYPE') throw new InputError(file, null, null, fileProblem(err));
    throw new InputError(file, null, null, `cannot decompress: ${(err as Error).message}`);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Non-blank lines of a file with their 1-based numbers; CRLF and LF both end a line. */
export async function* readLines(file: string, limits: ImportLimits = DEFAULT_IMPORT_LIMITS): AsyncGenerator<TextLine> {
  let pending: Buffer = Buffer.alloc(0);
  let line = 0;
  let total = 0;
  const emit = (bytes: Buffer): TextLine | null => {
    line++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    let start = 0;
    if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(start, end));
    } catch {
      throw new InputError(file, line, null, 'holds bytes that are not UTF-8 (re-save the file as UTF-8)');
    }
    return text.trim() === '' ? null : { line, text };
  };
  const tooLong = (): never => {
    if (line === 0 && pending.includes(0x0d)) {
      throw new InputError(file, 1, null, 'lines end in a lone CR (classic Mac line endings): convert the file to LF or CRLF line endings');
    }
    throw new InputError(file, line + 1, null, `line is longer than ${limits.maxLineBytes} bytes: not a market-data CSV`);
  };
  for await (const chunk of byteChunks(file)) {
    total += chunk.length;
    if (total > limits.maxBytes) throw new InputError(file, null, null, `larger than the import limit of ${limits.maxBytes} bytes (decompressed; raise it with --max-bytes)`);
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let from = 0;
    for (let nl = buf.indexOf(0x0a, from); nl >= 0; nl = buf.indexOf(0x0a, from)) {
      if (nl - from > limits.maxLineBytes) {
        pending = buf.subarray(from, nl);
        tooLong();
      }
      const out = emit(buf.subarray(from, nl));
      if (out) yield out;
      from = nl + 1;
    }
    pending = Buffer.from(buf.subarray(from));
    buf = pending;
    if (pending.length > limits.maxLineBytes) tooLong();
  }
  if (pending.length > 0) {
    const out = emit(pending);
    if (out) yield out;
  }
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
