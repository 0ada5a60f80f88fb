/**
 * LZ4 frame decoder (the LZ4_FRAME body compression that pyarrow — and so freqtrade — writes into Feather v2 /
 * Arrow IPC files). apache-arrow's JS reader has a codec registry but ships no codec, and the only npm LZ4
 * packages are native addons or unmaintained, so the format (lz4 frame spec v1.6.x) is decoded here.
 * Every checksum the frame carries (header, block, content) is verified: a truncated or damaged file fails
 * loudly instead of yielding plausible-looking prices.
 */

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

const PRIME1 = 2654435761;
const PRIME2 = 2246822519;
const PRIME3 = 3266489917;
const PRIME4 = 668265263;
const PRIME5 = 374761393;

export class Lz4Error extends Error {
  constructor(problem: string) {
    super(`LZ4 frame: ${problem}`);
    this.name = 'Lz4Error';
  }
}

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function read32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** xxHash32 with seed 0, the checksum the LZ4 frame format uses. */
export function xxh32(b: Uint8Array, start = 0, end = b.length): number {
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (PRIME1 + PRIME2) >>> 0;
    let v2 = PRIME2;
    let v3 = 0;
    let v4 = (0 - PRIME1) >>> 0;
    const limit = end - 16;
    while (i <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(read32(b, i), PRIME2)) >>> 0, 13), PRIME1) >>> 0;
      v2 = Math.imul(rotl((v2 + Math.imul(read32(b, i + 4), PRIME2)) >>> 0, 13), PRIME1) >>> 0;
      v3 = Math.imul(rotl((v3 + Math.imul(read32(b, i + 8), PRIME2)) >>> 0, 13), PRIME1) >>> 0;
      v4 = Math.imul(rotl((v4 + Math.imul(read32(b, i + 12), PRIME2)) >>> 0, 13), PRIME1) >>> 0;
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = PRIME5;
  }
  h = (h + (end - start)) >>> 0;
  while (i + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(read32(b, i), PRIME3)) >>> 0, 17), PRIME4) >>> 0;
    i += 4;
  }
  while (i < end) {
    h = Math.imul(rotl((h + Math.imul(b[i], PRIME5)) >>> 0, 11), PRIME1) >>> 0;
    i++;
  }
  h = Math.imul(h ^ (h >>> 15), PRIME2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), PRIME3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Growable output; matches may reach back into earlier blocks (linked blocks), so all frames share one buffer. */
class Output {
  len = 0;
  constructor(public buf: Uint8Array) {}
  reserve(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

function decodeBlock(src: Uint8Array, start: number, end: number, out: Output, frameStart: number): void {
  let i = start;
  for (;;) {
    if (i >= end) throw new Lz4Error('block ends inside a sequence token');
    const token = src[i++];
    let literals = token >>> 4;
    if (literals === 15) {
      let more: number;
      do {
        if (i >= end) throw new Lz4Error('block ends inside a literal length');
        more = src[i++];
        literals += more;
      } while (more === 255);
    }
    if (i + literals > end) throw new Lz4Error('literals run past the end of the block');
    out.reserve(literals);
    let b = out.buf;
    let to = out.len;
    // short runs are copied byte by byte: a typed-array call per few bytes costs more than it saves
    if (literals < 32) {
      for (let k = 0; k < literals; k++) b[to++] = src[i++];
    } else {
      b.set(src.subarray(i, i + literals), to);
      to += literals;
      i += literals;
    }
    out.len = to;
    if (i === end) return; // the last sequence carries literals only
    if (i + 2 > end) throw new Lz4Error('block ends inside a match offset');
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > to - frameStart) throw new Lz4Error(`match offset ${offset} points before the start of the data`);
    let matchLen = token & 15;
    if (matchLen === 15) {
      let more: number;
      do {
        if (i >= end) throw new Lz4Error('block ends inside a match length');
        more = src[i++];
        matchLen += more;
      } while (more === 255);
    }
    matchLen += 4;
    out.reserve(matchLen);
    b = out.buf;
    let from = to - offset;
    if (offset >= matchLen && matchLen >= 32) {
      b.copyWithin(to, from, from + matchLen);
      to += matchLen;
    } else {
      // also the overlapping case: byte by byte repeats the last `offset` bytes, as the format intends
      for (let k = 0; k < matchLen; k++) b[to++] = b[from++];
    }
    out.len = to;
  }
}

/**
 * What frames are decoded into, kept from one call to the next (a file's columns are decoded one after another):
 * a fresh buffer of 4× the input per column left megabytes of garbage a column, and an import's peak RSS grew with
 * the files' length. One that grew past KEEP_SCRATCH is not kept.
 */
let scratch: Uint8Array = new Uint8Array(1 << 16);
const KEEP_SCRATCH = 16 << 20;

/** Decodes one or more concatenated LZ4 frames (skippable frames are skipped). */
export function lz4FrameDecode(src: Uint8Array): Uint8Array {
  const out = new Output(scratch);
  let i = 0;
  let frames = 0;
  while (i < src.length) {
    if (i + 4 > src.length) throw new Lz4Error('trailing bytes after the last frame');
    const magic = read32(src, i);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (i + 8 > src.length) throw new Lz4Error('truncated skippable frame');
      i += 8 + read32(src, i + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Lz4Error(`bad magic number 0x${magic.toString(16)} at byte ${i} (not LZ4 frame data)`);
    i = decodeFrame(src, i + 4, out);
    frames++;
  }
  if (frames === 0) throw new Lz4Error('no frame found');
  if (out.buf.length <= KEEP_SCRATCH) scratch = out.buf;
  return out.buf.slice(0, out.len);
}

function decodeFrame(src: Uint8Array, at: number, out: Output): number {
  let i = at;
  if (i + 3 > src.length) throw new Lz4Error('truncated frame header');
  const flg = src[i];
  const bd = src[i + 1];
  if (flg >>> 6 !== 1) throw new Lz4Error(`unsupported frame version ${flg >>> 6}`);
  if (flg & 0x02 || bd & 0x8f) throw new Lz4Error('reserved bits set in the frame descriptor');
  const blockChecksum = (flg & 0x10) !== 0;
  const hasContentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  if (flg & 0x01) throw new Lz4Error('frames compressed with a dictionary are not supported');
  const maxBlock = [0, 0, 0, 0, 1 << 16, 1 << 18, 1 << 20, 1 << 22][(bd >>> 4) & 7];
  if (maxBlock === 0) throw new Lz4Error(`invalid block maximum size code ${(bd >>> 4) & 7}`);
  const descEnd = i + 2 + (hasContentSize ? 8 : 0);
  if (descEnd + 1 > src.length) throw new Lz4Error('truncated frame header');
  let contentSize = -1;
  if (hasContentSize) {
    const lo = read32(src, i + 2);
    const hi = read32(src, i + 6);
    contentSize = hi * 2 ** 32 + lo;
  }
  const hc = (xxh32(src, i, descEnd) >>> 8) & 0xff;
  if (hc !== src[descEnd]) throw new Lz4Error('frame header checksum mismatch (damaged data)');
  i = descEnd + 1;
  const frameStart = out.len;
  if (contentSize >= 0) out.reserve(contentSize);
  for (;;) {
    if (i + 4 > src.length) throw new Lz4Error('truncated: missing end mark');
    const word = read32(src, i);
    i += 4;
    if (word === 0) break;
    const uncompressed = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > maxBlock) throw new Lz4Error(`block of ${size} bytes exceeds the frame's maximum ${maxBlock}`);
    if (i + size + (blockChecksum ? 4 : 0) > src.length) throw new Lz4Error('truncated block');
    if (blockChecksum && xxh32(src, i, i + size) !== read32(src, i + size)) {
      throw new Lz4Error('block checksum mismatch (damaged data)');
    }
    if (uncompressed) {
      out.reserve(size);
      out.buf.set(src.subarray(i, i + size), out.len);
      out.len += size;
    } else {
      decodeBlock(src, i, i + size, out, frameStart);
    }
    i += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) {
    if (i + 4 > src.length) throw new Lz4Error('truncated content checksum');
    if (xxh32(out.buf, frameStart, out.len) !== read32(src, i)) throw new Lz4Error('content checksum mismatch (damaged data)');
    i += 4;
  }
  if (contentSize >= 0 && out.len - frameStart !== contentSize) {
    throw new Lz4Error(`frame declares ${contentSize} bytes but decodes to ${out.len - frameStart}`);
  }
  return i;
}
