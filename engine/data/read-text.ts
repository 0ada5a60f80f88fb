/**
 * Streams an input file as numbered text lines: plain, .gz or single-entry .zip, decompressed on the fly, so
 * memory does not grow with the file. Lines are split on bytes and each is decoded as strict UTF-8, so a bad
 * byte is reported with its line. Limits stop a runaway input with an error naming the limit.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { InputError } from '../errors.ts';
import { checkZipEntry, readZipEntryInfo, zipEntryChunks } from './zip.ts';

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

const CHUNK = 1 << 20;
const SMALL_COMPRESSED = 4 << 20;
const SMALL_DECOMPRESSED = 64 << 20;

/**
 * A small file (Binance's monthly archives are ~30 KB) is read and inflated in one synchronous step: the
 * stream machinery costs more than the work there. Only when the declared decompressed size is small too, so
 * memory stays bounded; everything else streams.
 */
function smallFileBytes(file: string): Buffer | null {
  const size = fs.statSync(file).size;
  if (size > SMALL_COMPRESSED) return null;
  if (file.endsWith('.zip')) {
    const zip = fs.readFileSync(file);
    const fd = fs.openSync(file, 'r');
    let entry;
    try {
      entry = readZipEntryInfo(fd, size);
    } finally {
      fs.closeSync(fd);
    }
    if (entry.size > SMALL_DECOMPRESSED) return null;
    const data = zip.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
    const out = entry.method === 8 ? zlib.inflateRawSync(data, { maxOutputLength: entry.size + 1 }) : Buffer.from(data);
    checkZipEntry(entry, out);
    return out;
  }
  const bytes = fs.readFileSync(file);
  if (!file.endsWith('.gz')) return bytes;
  // gzip's trailer holds the size mod 2^32; a bomb can lie about it, so the inflate is capped as well
  if (bytes.length < 18 || bytes.readUInt32LE(bytes.length - 4) > SMALL_DECOMPRESSED) return null;
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: SMALL_DECOMPRESSED });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
    throw err;
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
    const small = smallFileBytes(file);
    if (small) {
      for (let at = 0; at < small.length; at += CHUNK) yield small.subarray(at, at + CHUNK);
      return;
    }
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
  let first = true;
  const tooLong = (startLine: number, bytes: Buffer): never => {
    if (startLine === 1 && bytes.includes(0x0d)) {
      throw new InputError(file, 1, null, 'lines end in a lone CR (classic Mac line endings): convert the file to LF or CRLF line endings');
    }
    throw new InputError(file, startLine, null, `line is longer than ${limits.maxLineBytes} bytes: not a market-data CSV`);
  };
  /** Decodes a run of whole lines at once (a 0x0A byte never sits inside a UTF-8 sequence, so cutting there is safe). */
  const decodeLines = (bytes: Buffer): string[] => {
    let start = 0;
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    first = false;
    try {
      return decoder.decode(bytes.subarray(start)).split('\n');
    } catch {
      // find the line with the bad bytes, for the message
      let from = start;
      for (let k = 0; ; k++) {
        const nl = bytes.indexOf(0x0a, from);
        const piece = bytes.subarray(from, nl < 0 ? bytes.length : nl);
        try {
          decoder.decode(piece);
        } catch {
          throw new InputError(file, line + k + 1, null, 'holds bytes that are not UTF-8 (re-save the file as UTF-8)');
        }
        if (nl < 0) throw new InputError(file, line + 1, null, 'holds bytes that are not UTF-8 (re-save the file as UTF-8)');
        from = nl + 1;
      }
    }
  };
  function* emit(texts: string[]): Generator<TextLine> {
    for (const raw of texts) {
      line++;
      if (raw.length > limits.maxLineBytes) tooLong(line, Buffer.from(raw));
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim() !== '') yield { line, text };
    }
  }
  for await (const chunk of byteChunks(file)) {
    total += chunk.length;
    if (total > limits.maxBytes) throw new InputError(file, null, null, `larger than the import limit of ${limits.maxBytes} bytes (decompressed; raise it with --max-bytes)`);
    const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl < 0) {
      pending = buf;
      if (pending.length > limits.maxLineBytes) tooLong(line + 1, pending);
      continue;
    }
    const texts = decodeLines(buf.subarray(0, lastNl));
    pending = Buffer.from(buf.subarray(lastNl + 1));
    yield* emit(texts);
    if (pending.length > limits.maxLineBytes) tooLong(line + 1, pending);
  }
  if (pending.length > 0) yield* emit(decodeLines(pending));
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
