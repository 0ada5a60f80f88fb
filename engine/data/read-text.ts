/**
 * Streams an input file as numbered text lines: plain, .gz or single-entry .zip, decompressed on the fly, so
 * memory does not grow with the file. Lines are split on bytes and each is decoded as strict UTF-8, so a bad
 * byte is reported with its line. Limits stop a runaway input with an error naming the limit.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { isAscii, isUtf8 } from 'node:buffer';
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

/** bytes JS's String.prototype.trim() removes that are ASCII (a line of only these is blank) */
function isAsciiSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/**
 * The non-blank lines of a file as byte ranges, one block of whole lines at a time, so a parser can read fields
 * straight from the bytes without a string per line. Same rules and errors as before strings existed: each block
 * is checked as strict UTF-8 before any of its lines is seen, a BOM at the start is skipped, CRLF and LF end a
 * line, blank lines count for the numbering but are skipped, and the row/byte/line-length limits apply.
 *
 * Use: `while (await r.fill()) while (r.next()) { r.buf[r.start..r.end), r.line }`.
 */
export class LineReader {
  buf: Buffer = Buffer.alloc(0);
  /** the current line's bytes are buf[start, end), CR stripped; `line` is 1-based */
  start = 0;
  end = 0;
  line = 0;
  /** the current block holds only bytes < 0x80 */
  ascii = true;
  private pos = 1;
  private blockEnd = 0;
  private pending: Buffer = Buffer.alloc(0);
  private total = 0;
  private first = true;
  private done = false;
  private readonly chunks: AsyncGenerator<Buffer>;

  constructor(
    readonly file: string,
    readonly limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
  ) {
    this.chunks = byteChunks(file);
  }

  /** Loads the next block of whole lines; false at the end of the file. */
  async fill(): Promise<boolean> {
    while (!this.done) {
      const n = await this.chunks.next();
      if (n.done) {
        this.done = true;
        if (this.pending.length === 0) return false;
        this.setBlock(this.pending);
        this.pending = Buffer.alloc(0);
        return true;
      }
      const chunk = n.value;
      this.total += chunk.length;
      if (this.total > this.limits.maxBytes) throw new InputError(this.file, null, null, `larger than the import limit of ${this.limits.maxBytes} bytes (decompressed; raise it with --max-bytes)`);
      const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      const lastNl = buf.lastIndexOf(0x0a);
      if (lastNl < 0) {
        this.pending = buf;
        if (this.pending.length > this.limits.maxLineBytes) this.tooLong(this.line + 1, this.pending);
        continue;
      }
      this.pending = Buffer.from(buf.subarray(lastNl + 1));
      this.setBlock(buf.subarray(0, lastNl));
      // the old reader emitted the block's lines before it looked at what was left over: so is this one
      this.checkPending = true;
      return true;
    }
    return false;
  }

  private checkPending = false;

  private setBlock(bytes: Buffer): void {
    let start = 0;
    if (this.first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    this.first = false;
    const block = bytes.subarray(start);
    this.ascii = isAscii(block);
    if (!this.ascii && !isUtf8(block)) this.throwNotUtf8(block);
    this.buf = block;
    this.pos = 0;
    this.blockEnd = block.length;
  }

  /** Moves to the next non-blank line of the block; false when the block is used up. */
  next(): boolean {
    const buf = this.buf;
    for (;;) {
      // a block of k newlines holds k + 1 lines (the last may be empty): pos passes blockEnd after the last one
      if (this.pos > this.blockEnd) {
        if (this.checkPending) {
          this.checkPending = false;
          if (this.pending.length > this.limits.maxLineBytes) this.tooLong(this.line + 1, this.pending);
        }
        return false;
      }
      const s = this.pos;
      let nl = buf.indexOf(0x0a, s);
      if (nl < 0) nl = this.blockEnd;
      this.pos = nl + 1;
      this.line++;
      let e = nl;
      if (e - s > this.limits.maxLineBytes) this.tooLong(this.line, buf.subarray(s, e));
      if (e > s && buf[e - 1] === 0x0d) e--;
      let k = s;
      while (k < e && isAsciiSpace(buf[k])) k++;
      if (k === e) continue;
      if (buf[k] >= 0x80 && buf.toString('utf8', s, e).trim() === '') continue;
      this.start = s;
      this.end = e;
      return true;
    }
  }

  /** The current line as a string. */
  text(): string {
    return this.buf.toString(this.ascii ? 'latin1' : 'utf8', this.start, this.end);
  }

  /** Stops reading (closes the file and any decompressor). */
  async close(): Promise<void> {
    await this.chunks.return(undefined);
  }

  private tooLong(startLine: number, bytes: Buffer): never {
    if (startLine === 1 && bytes.includes(0x0d)) {
      throw new InputError(this.file, 1, null, 'lines end in a lone CR (classic Mac line endings): convert the file to LF or CRLF line endings');
    }
    throw new InputError(this.file, startLine, null, `line is longer than ${this.limits.maxLineBytes} bytes: not a market-data CSV`);
  }

  /** finds the line with the bad bytes, for the message */
  private throwNotUtf8(bytes: Buffer): never {
    let from = 0;
    for (let k = 0; ; k++) {
      const nl = bytes.indexOf(0x0a, from);
      const piece = bytes.subarray(from, nl < 0 ? bytes.length : nl);
      try {
        decoder.decode(piece);
      } catch {
        throw new InputError(this.file, this.line + k + 1, null, 'holds bytes that are not UTF-8 (re-save the file as UTF-8)');
      }
      if (nl < 0) throw new InputError(this.file, this.line + 1, null, 'holds bytes that are not UTF-8 (re-save the file as UTF-8)');
      from = nl + 1;
    }
  }
}

/**
 * Calls fn for the reader's current line and every line after it, pausing after each block of lines (≈ 1 MB) so
 * the caller can hand on what it has gathered before the next block is read.
 */
export async function* eachLineByBlock(r: LineReader, fn: () => void): AsyncGenerator<void> {
  fn();
  for (;;) {
    while (r.next()) fn();
    yield;
    if (!(await r.fill())) return;
  }
}

/** Non-blank lines of a file with their 1-based numbers; CRLF and LF both end a line. */
export async function* readLines(file: string, limits: ImportLimits = DEFAULT_IMPORT_LIMITS): AsyncGenerator<TextLine> {
  const r = new LineReader(file, limits);
  try {
    while (await r.fill()) while (r.next()) yield { line: r.line, text: r.text() };
  } finally {
    await r.close();
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
