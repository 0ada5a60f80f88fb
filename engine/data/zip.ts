import fs from 'node:fs';
import zlib from 'node:zlib';

/**
 * Binance's public archive ships each CSV alone in a .zip. Reading the one entry takes the central directory
 * and one inflate; a general zip library would be a dependency for nothing more. The entry's CRC-32 and size
 * are checked, so a corrupt archive is an error rather than wrong volumes.
 */
const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** byte offset of the compressed data */
  dataStart: number;
}

function fail(problem: string): never {
  throw new Error(problem);
}

/** Locates the single entry from the archive's tail and local header, reading only those bytes. */
export function readZipEntryInfo(fd: number, fileSize: number): ZipEntry {
  const tailLen = Math.min(fileSize, 65_557);
  const tail = Buffer.alloc(tailLen);
  fs.readSync(fd, tail, 0, tailLen, fileSize - tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('not a zip file (no end-of-central-directory record)');
  const entries = tail.readUInt16LE(eocd + 10);
  if (entries !== 1) fail(`zip holds ${entries} entries; expected exactly one CSV`);
  const centralAt = tail.readUInt32LE(eocd + 16);
  if (centralAt === 0xffffffff) fail('zip64 archives are not supported');
  const central = Buffer.alloc(46);
  if (centralAt + 46 > fileSize || fs.readSync(fd, central, 0, 46, centralAt) !== 46 || central.readUInt32LE(0) !== CENTRAL_SIG) {
    fail('corrupt zip central directory');
  }
  const nameLen = central.readUInt16LE(28);
  const nameBuf = Buffer.alloc(nameLen);
  fs.readSync(fd, nameBuf, 0, nameLen, centralAt + 46);
  const localAt = central.readUInt32LE(42);
  const local = Buffer.alloc(30);
  if (localAt + 30 > fileSize || fs.readSync(fd, local, 0, 30, localAt) !== 30 || local.readUInt32LE(0) !== LOCAL_SIG) fail('corrupt zip local header');
  const entry: ZipEntry = {
    name: nameBuf.toString('utf8'),
    method: central.readUInt16LE(10),
    crc32: central.readUInt32LE(16),
    compressedSize: central.readUInt32LE(20),
    size: central.readUInt32LE(24),
    dataStart: localAt + 30 + local.readUInt16LE(26) + local.readUInt16LE(28),
  };
  if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff) fail('zip64 archives are not supported');
  if (entry.method !== 0 && entry.method !== 8) fail(`unsupported zip compression method ${entry.method}`);
  if (entry.dataStart + entry.compressedSize > fileSize) fail('zip entry runs past the end of the file (truncated download?)');
  return entry;
}

/** The entry's bytes as a stream of chunks; CRC-32 and size are verified when the stream ends. */
export async function* zipEntryChunks(file: string): AsyncGenerator<Buffer> {
  const fd = fs.openSync(file, 'r');
  let entry: ZipEntry;
  try {
    entry = readZipEntryInfo(fd, fs.fstatSync(fd).size);
  } finally {
    fs.closeSync(fd);
  }
  if (entry.compressedSize === 0) {
    if (entry.size !== 0 || entry.crc32 !== 0) fail('zip entry is empty but claims content');
    return;
  }
  const raw = fs.createReadStream(file, { start: entry.dataStart, end: entry.dataStart + entry.compressedSize - 1 });
  const source = entry.method === 8 ? raw.pipe(zlib.createInflateRaw()) : raw;
  if (source !== raw) raw.on('error', (err) => source.destroy(err));
  let crc = 0;
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    crc = zlib.crc32(chunk, crc);
    size += chunk.length;
    yield chunk;
  }
  verify(entry, size, crc);
}

function verify(entry: ZipEntry, size: number, crc: number): void {
  if (size !== entry.size) fail(`zip entry '${entry.name}' inflates to ${size} bytes, but the archive says ${entry.size}: the file is corrupt`);
  if (crc >>> 0 !== entry.crc32) fail(`zip entry '${entry.name}' fails its CRC-32 check: the file is corrupt`);
}

/** The same checks for an entry inflated in one piece. */
export function checkZipEntry(entry: ZipEntry, content: Buffer): void {
  verify(entry, content.length, zlib.crc32(content));
}

/** A one-entry deflated zip, as Binance's archive has them: for synthetic fixtures in tests and the bench. */
export function makeSingleEntryZip(name: string, content: Buffer): Buffer {
  const data = zlib.deflateRawSync(content);
  const nameBuf = Buffer.from(name, 'utf8');
  const crc = zlib.crc32(content) >>> 0;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(LOCAL_SIG, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBuf.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(CENTRAL_SIG, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBuf.length, 28);
  central.writeUInt32LE(0, 42);
  const centralAt = local.length + nameBuf.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(EOCD_SIG, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + nameBuf.length, 12);
  eocd.writeUInt32LE(centralAt, 16);
  return Buffer.concat([local, nameBuf, data, central, nameBuf, eocd]);
}
