// Bounded, strict imports on small SYNTHETIC files (not market data): streamed reading, limits that name
// themselves, strict UTF-8, one time unit per archive file, CRC-checked zips, clear file-system errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { importFiles } from './import-files.ts';
import { readManifest } from './manifest.ts';
import { makeSingleEntryZip } from './zip.ts';
import { InputError } from '../errors.ts';
import { readLines } from './read-text.ts';

const H = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

let dir: string;
let ds: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-strict-'));
  ds = path.join(dir, 'datasets');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  return f;
}

const kline = (openTime: number, unit: 'ms' | 'us', o = 100) => {
  const f = unit === 'us' ? 1000 : 1;
  return `${openTime * f},${o},${o + 2},${o - 1},${o + 1},10.5,${(openTime + H) * f - 1},1050.2,42,5,500,0`;
};

async function importError(files: string[], opts = {}): Promise<InputError> {
  try {
    await importFiles(ds, files, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(3);
    expect(fs.existsSync(path.join(ds, 'manifest.json'))).toBe(false); // nothing written
    return err as InputError;
  }
  throw new Error('import did not fail');
}

describe('strict content', () => {
  it('non-UTF-8 bytes: exit 3 naming the file and line', async () => {
    const text = Buffer.concat([
      Buffer.from(`ts_ms,funding_rate,funding_interval_hours,source\n${T0},0.0001,8,ok\n${T0 + 8 * H},0.0001,8,bad`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\n'),
    ]);
    const err = await importError([write('funding_XUSDT.csv', text)]);
    expect(err.message).toMatch(/funding_XUSDT\.csv, line 3: holds bytes that are not UTF-8/);
  });

  it('a Binance archive file mixing ms and µs open times is an error naming the line', async () => {
    const f = write('BTCUSDT-1h-2025-01.csv', [kline(T0, 'us'), kline(T0 + H, 'us'), kline(T0 + 2 * H, 'ms')].join('\n'));
    const err = await importError([f]);
    expect(err.message).toMatch(/line 3, field 'open_time': open time is in milliseconds but line 1 is in microseconds: one archive file uses one unit/);
  });

  it('µs open times must sit on the hour once converted', async () => {
    const off = `${(T0 + H) * 1000 + 500},1,2,0.5,1.5,10,${(T0 + 2 * H) * 1000 + 499},10,1,1,1,0`;
    const err = await importError([write('BTCUSDT-1h-2025-01.csv', [kline(T0, 'us'), off].join('\n'))]);
    expect(err.message).toMatch(/line 2, field 'open_time': open time \d+ µs is not a whole millisecond/);
    const half = `${(T0 + 30 * 60_000) * 1000},1,2,0.5,1.5,10,${(T0 + 90 * 60_000) * 1000 - 1},10,1,1,1,0`;
    const err2 = await importError([write('BTCUSDT-1h-2025-01.csv', half)]);
    expect(err2.message).toMatch(/line 1, field 'open_time': open time 2025-01-01T00:30:00.000Z \(read as microseconds\) is not on the hour/);
  });

  it('an 11-column archive file says it needs the 12 kline fields', async () => {
    const eleven = kline(T0, 'ms').split(',').slice(0, 11).join(',');
    const err = await importError([write('BTCUSDT-1h-2025-01.csv', eleven)]);
    expect(err.message).toMatch(/line 1: expected the 12 fields of a Binance kline .* found 11/);
  });

  it('a CR-only file is named as such', async () => {
    const text = `ts_ms,open,high,low,close,volume\r${T0},1,2,0.5,1.5,1\r`.repeat(3000);
    const err = await importError([write('candles_1h_XUSDT.csv', text)]);
    expect(err.message).toMatch(/lone CR \(classic Mac line endings\)/);
  });
});

describe('bounded reading', () => {
  it('a row limit stops the import with an error naming the limit', async () => {
    const f = write('BTCUSDT-1h-2025-01.csv', Array.from({ length: 10 }, (_, i) => kline(T0 + i * H, 'ms')).join('\n'));
    const err = await importError([f], { limits: { maxRows: 4 } });
    expect(err.message).toMatch(/line 5: more than 4 rows: over the import row limit \(raise it with --max-rows\)/);
  });

  it('a byte limit on the decompressed size names itself', async () => {
    const f = write('BTCUSDT-1h-2025-01.csv.gz', zlib.gzipSync(Array.from({ length: 200 }, (_, i) => kline(T0 + i * H, 'ms')).join('\n')));
    const err = await importError([f], { limits: { maxBytes: 4096 } });
    expect(err.message).toMatch(/larger than the import limit of 4096 bytes \(decompressed; raise it with --max-bytes\)/);
  });

  it('a line without end is cut off at the line-length limit instead of filling memory', async () => {
    const err = await importError([write('candles_1h_XUSDT.csv', `ts_ms,open,high,low,close,volume\n${'9'.repeat(200_000)}`)]);
    expect(err.message).toMatch(/line 2: line is longer than 65536 bytes/);
  });

  it('the line-length limit counts bytes, not characters (a non-ASCII line over it is refused)', async () => {
    // 40,000 × 'é' is 80,000 bytes in UTF-8 but only 40,000 characters
    const err = await importError([write('candles_1h_XUSDT.csv', `ts_ms,open,high,low,close,volume\n${'é'.repeat(40_000)}\n`)]);
    expect(err.message).toMatch(/line 2: line is longer than 65536 bytes/);
  });

  it('a large gzip of repeated rows fails at its first repeat, without reading it whole', async () => {
    const row = `${kline(T0, 'ms')}\n`;
    const f = write('BTCUSDT-1h-2025-01.csv.gz', zlib.gzipSync(row.repeat(200_000)));
    const err = await importError([f]);
    expect(err.message).toMatch(/line 2, field 'ts_ms': duplicate timestamp/);
  });

  it('streams lines of gzip and zip with the right numbers, CRLF and blank lines included', async () => {
    const text = 'a\r\n\r\nb\nc';
    const got = async (f: string) => {
      const out: string[] = [];
      for await (const l of readLines(f)) out.push(`${l.line}:${l.text}`);
      return out;
    };
    expect(await got(write('x.csv.gz', zlib.gzipSync(text)))).toEqual(['1:a', '3:b', '4:c']);
    expect(await got(write('x.zip', makeSingleEntryZip('x.csv', Buffer.from(text))))).toEqual(['1:a', '3:b', '4:c']);
  });
});

describe('containers and paths', () => {
  it('a zip whose entry fails its CRC-32 is refused', async () => {
    const zip = makeSingleEntryZip('BTCUSDT-1h-2025-01.csv', Buffer.from([kline(T0, 'ms'), kline(T0 + H, 'ms')].join('\n')));
    const crcAt = zip.length - 22 - 46 - 'BTCUSDT-1h-2025-01.csv'.length + 16; // the central directory's CRC field
    zip.writeUInt32LE((zip.readUInt32LE(crcAt) ^ 1) >>> 0, crcAt);
    const err = await importError([write('BTCUSDT-1h-2025-01.zip', zip)]);
    expect(err.message).toMatch(/fails its CRC-32 check: the file is corrupt/);
  });

  it('a folder or a path through a file gets a clear message, not ENOTDIR/EISDIR', async () => {
    fs.mkdirSync(path.join(dir, 'candles_1h_XUSDT.csv'));
    expect((await importError([path.join(dir, 'candles_1h_XUSDT.csv')])).message).toMatch(/candles_1h_XUSDT\.csv: is a folder, not a file$/);
    const file = write('plain.txt', 'x');
    expect((await importError([path.join(file, 'candles_1h_XUSDT.csv')])).message).toMatch(/a part of this path is a file, not a folder$/);
    await expect(importFiles(path.join(file, 'datasets'), [write('candles_1h_YUSDT.csv', `ts_ms,open,high,low,close,volume\n${T0},1,2,0.5,1.5,1\n`)]))
      .rejects.toThrow(/datasets folder .*a part of this path is a file, not a folder/);
  });

  it('import --note lands in manifest.json with the rows it describes', async () => {
    await importFiles(ds, [write('candles_1h_XUSDT.csv', `ts_ms,open,high,low,close,volume\n${T0},1,2,0.5,1.5,1\n`)], { note: 'synthetic test rows' });
    expect(readManifest(ds)!.tables.candles_1h!.source).toEqual(['binance: synthetic test rows']);
  });
});
