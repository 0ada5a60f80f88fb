import zlib from 'node:zlib';

/**
 * Binance's public archive ships each CSV alone in a .zip. Reading the one entry takes the central directory
 * and one inflate; a general zip library would be a dependency for nothing more.
 */
export function readZipSingleEntry(zip: Buffer): Buffer {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  const entries = zip.readUInt16LE(eocd + 10);
  if (entries !== 1) throw new Error(`zip holds ${entries} entries; expected exactly one CSV`);
  const central = zip.readUInt32LE(eocd + 16);
  if (zip.readUInt32LE(central) !== 0x02014b50) throw new Error('corrupt zip central directory');
  const method = zip.readUInt16LE(central + 10);
  const compressedSize = zip.readUInt32LE(central + 20);
  const localHeader = zip.readUInt32LE(central + 42);
  if (zip.readUInt32LE(localHeader) !== 0x04034b50) throw new Error('corrupt zip local header');
  const nameLen = zip.readUInt16LE(localHeader + 26);
  const extraLen = zip.readUInt16LE(localHeader + 28);
  const start = localHeader + 30 + nameLen + extraLen;
  const data = zip.subarray(start, start + compressedSize);
  if (method === 0) return Buffer.from(data);
  if (method === 8) return zlib.inflateRawSync(data);
  throw new Error(`unsupported zip compression method ${method}`);
}
