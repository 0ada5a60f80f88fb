// freqtrade data directories: the real files of ../shared/freqtrade-user-data checked hour by hour against
// ../shared/market-data's CSVs of the same source, and the importer's guarantees on small synthetic feather
// files (synthetic fixtures written here with apache-arrow, not market data).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compressionRegistry, CompressionType, Float64, Table, tableToIPC, TimestampMillisecond, TimestampNanosecond, vectorFromArray } from 'apache-arrow';
import { freqtradeFileParts, freqtradeInputs, importFreqtrade, parseFreqtradeFile } from './freqtrade-import.ts';
import { spawnSync } from 'node:child_process';
import { parseFreqtradeName } from './freqtrade-names.ts';
import { readFeather } from './freqtrade-feather.ts';
import zlib from 'node:zlib';
import { xxh32 } from './freqtrade-lz4.ts';
import { InputError, UserError } from '../errors.ts';
import { openStore } from './store.ts';
import { queryRows } from './duckdb.ts';
import type { ColumnBatch } from './dataset-writer.ts';
import type { TableName } from './tables.ts';
import { datasetSnapshot } from '../testing/dataset-snapshot.ts';

const FT = path.resolve(import.meta.dirname, '../../../shared/freqtrade-user-data/binance');
const MD = path.resolve(import.meta.dirname, '../../../shared/market-data');
const H = 3_600_000;
const T0 = Date.UTC(2024, 11, 31, 20); // crosses a year boundary: two partitions

function parsed(file: string): { batch: ColumnBatch; notes: string[] } {
  const r = parseFreqtradeFile({ file, exchange: 'binance', explicit: true });
  if ('skip' in r) throw new Error(r.skip);
  return { batch: r.batch, notes: r.report.notes };
}

/** The market-data CSVs as columns, read plainly here so the comparison does not lean on the CSV importer. */
function csv(file: string, table: TableName, symbol: string): ColumnBatch {
  const raw = fs.readFileSync(file);
  const lines = (file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rowsOf = lines.slice(1).map((l) => l.split(','));
  const values: ColumnBatch['values'] = {};
  header.forEach((h, k) => {
    if (h !== 'ts_ms' && h !== 'source') values[h] = Float64Array.from(rowsOf, (r) => (r[k] === '' ? NaN : Number(r[k])));
  });
  return { table, venue: 'x', symbol, ts: Float64Array.from(rowsOf, (r) => Number(r[0])), values };
}

/** Every hour both hold in their common range must be in both, with identical values in `columns`. */
function expectSameRows(a: ColumnBatch, b: ColumnBatch, columns: string[]): number {
  const from = Math.max(a.ts[0], b.ts[0]);
  const to = Math.min(a.ts[a.ts.length - 1], b.ts[b.ts.length - 1]);
  const index = (x: ColumnBatch) => {
    const m = new Map<number, number>();
    x.ts.forEach((t, i) => t >= from && t <= to && m.set(t, i));
    return m;
  };
  const ia = index(a);
  const ib = index(b);
  expect([...ia.keys()]).toEqual([...ib.keys()]);
  let compared = 0;
  for (const [t, i] of ia) {
    const j = ib.get(t)!;
    for (const c of columns) {
      const va = a.values[c][i];
      const vb = b.values[c][j];
      if (va !== vb) expect({ hour: new Date(t).toISOString(), column: c, feather: va }).toEqual({ hour: new Date(t).toISOString(), column: c, feather: vb });
    }
    compared++;
  }
  return compared;
}

describe('real freqtrade files against ../shared/market-data', () => {
  it.each(['BTC', 'ETH', 'SOL'])('%s spot: exactly the CSV rows, every OHLCV value of every hour', (base) => {
    const f = parsed(path.join(FT, `${base}_USDT-1h.feather`)).batch;
    const c = csv(path.join(MD, `candles_1h_${base}USDT.csv`), 'candles_1h', `${base}USDT`);
    expect(f.ts.length).toBe(c.ts.length); // same range, so "overlap" is everything
    const n = expectSameRows(f, c, ['open', 'high', 'low', 'close', 'volume']);
    expect(n).toBe(c.ts.length);
    expect(n).toBeGreaterThan(50_000);
  });

  it('BTC perpetual and mark-price klines match the CSVs', () => {
    const perp = parsed(path.join(FT, 'futures/BTC_USDT_USDT-1h-futures.feather')).batch;
    expect(expectSameRows(perp, csv(path.join(MD, 'perp_1h_BTCUSDT.csv.gz'), 'perp_1h', 'BTCUSDT'), ['open', 'high', 'low', 'close', 'volume'])).toBe(58_623);
    const mark = parsed(path.join(FT, 'futures/BTC_USDT_USDT-1h-mark.feather'));
    expect(mark.notes.join()).toMatch(/volume column ignored/);
    expect(expectSameRows(mark.batch, csv(path.join(MD, 'mark_1h_BTCUSDT.csv.gz'), 'mark_1h', 'BTCUSDT'), ['open', 'high', 'low', 'close'])).toBe(56_084);
  });

  it('ETH spot goes to the commit a calendar year at a time, in order; joined, the years are the whole file', () => {
    const file = path.join(FT, 'ETH_USDT-1h.feather');
    const parts: ColumnBatch[] = [];
    const it = freqtradeFileParts({ file, exchange: 'binance', explicit: true });
    let next = it.next();
    for (; !next.done; next = it.next()) parts.push(next.value);
    const years = parts.map((p) => [...new Set([...p.ts].map((t) => new Date(t).getUTCFullYear()))]);
    expect(years.every((y) => y.length === 1)).toBe(true);
    expect(years.flat()).toEqual([...new Set([...parsed(file).batch.ts].map((t) => new Date(t).getUTCFullYear()))]);
    expect(years.length).toBeGreaterThanOrEqual(8);
    const whole = parsed(file).batch;
    expect(parts.flatMap((p) => [...p.ts])).toEqual([...whole.ts]);
    expect(parts.flatMap((p) => [...(p.values.close as Float64Array)])).toEqual([...(whole.values.close as Float64Array)]);
    expect('report' in next.value && next.value.report.rows).toBe(whole.ts.length);
  });

  it('BTC funding: one row per settlement, rate and 8 h interval as in the CSV', () => {
    const { batch } = parsed(path.join(FT, 'futures/BTC_USDT_USDT-1h-funding_rate.feather'));
    const c = csv(path.join(MD, 'funding_BTCUSDT.csv'), 'funding', 'BTCUSDT');
    expect(expectSameRows(batch, c, ['funding_rate', 'funding_interval_hours'])).toBe(7_323);
    expect(batch.values.source[0]).toBe('freqtrade:binance/futures/BTC_USDT_USDT-1h-funding_rate.feather');
  });
});

describe('freqtrade names', () => {
  it('maps spot, futures, mark and funding files to pairs and candle types', () => {
    expect(parseFreqtradeName('BTC_USDT-1h.feather')).toMatchObject({ symbol: 'BTCUSDT', candleType: 'spot', timeframe: '1h', settle: null });
    expect(parseFreqtradeName('1000SHIB_USDT_USDT-1h-futures.feather')).toMatchObject({ symbol: '1000SHIBUSDT', candleType: 'futures', settle: 'USDT' });
    expect(parseFreqtradeName('ADA_USDT_USDT-8h-funding_rate.feather')).toMatchObject({ candleType: 'funding_rate', timeframe: '8h' });
    expect(parseFreqtradeName('BTC_USDT-trades.feather')).toMatch(/trades file/);
    expect(parseFreqtradeName('BTC_USDT-1h.json')).toMatch(/convert-data --format-from json --format-to feather/);
    expect(parseFreqtradeName('BTC_USDT_USDT-1h.feather')).toMatch(/no -futures\/-mark\/-funding_rate suffix/);
    expect(parseFreqtradeName('BTC_USDT-1h-mark.feather')).toMatch(/needs a futures pair/);
  });
});

// ---------- synthetic feather files ----------

let dir: string;
let ds: string;
let ft: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-freqtrade-'));
  ds = path.join(dir, 'datasets');
  ft = path.join(dir, 'user_data', 'data', 'binance');
  fs.mkdirSync(ds);
  fs.mkdirSync(path.join(ft, 'futures'), { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFeather(name: string, dates: number[], cols: Record<string, number[]>, compression: CompressionType | null = null, nanos = true): string {
  const table = new Table({
    date: vectorFromArray(dates, nanos ? new TimestampNanosecond('UTC') : new TimestampMillisecond('UTC')),
    ...Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, vectorFromArray(v, new Float64())])),
  });
  const file = path.join(ft, name);
  fs.writeFileSync(file, tableToIPC(table, 'file', compression));
  return file;
}

function syntheticCandles(n: number, start = T0): { dates: number[]; cols: Record<string, number[]> } {
  const dates = Array.from({ length: n }, (_, i) => start + i * H);
  const open = dates.map((_, i) => 100 + i);
  return { dates, cols: { open, high: open.map((o) => o + 2), low: open.map((o) => o - 1), close: open.map((o) => o + 1), volume: open.map((o) => o / 10) } };
}

function funding(dates: number[], rates: number[]): Record<string, number[]> {
  return { open: rates, high: rates.map(() => 0), low: rates.map(() => 0), close: rates.map(() => 0), volume: rates.map(() => 0) };
}

async function rows(sql: string) {
  const store = await openStore({ datasetsDir: ds });
  try {
    return await queryRows(store.conn, sql);
  } finally {
    store.close();
  }
}

const snapshot = () => datasetSnapshot(ds);

/**
 * Test-only encoders, so apache-arrow writes compressed IPC here (it keeps a buffer uncompressed unless the codec
 * makes it smaller): a greedy LZ4 block compressor, and zstd frames of RLE and raw blocks.
 */
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const read32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
function lengthBytes(n: number, out: number[]): void {
  for (; n >= 255; n -= 255) out.push(255);
  out.push(n);
}
function lz4Block(src: Uint8Array): number[] {
  const out: number[] = [];
  const seen = new Map<number, number>();
  const sequence = (from: number, to: number, offset: number, len: number) => {
    const lit = to - from;
    out.push((Math.min(lit, 15) << 4) | (len ? Math.min(len - 4, 15) : 0));
    if (lit >= 15) lengthBytes(lit - 15, out);
    out.push(...src.subarray(from, to));
    if (!len) return;
    out.push(offset & 0xff, offset >>> 8);
    if (len - 4 >= 15) lengthBytes(len - 4 - 15, out);
  };
  let anchor = 0;
  let i = 0;
  while (i < src.length - 12) {
    const key = read32(src, i);
    const cand = seen.get(key);
    seen.set(key, i);
    if (cand !== undefined && i - cand <= 65535) {
      let len = 4;
      while (i + len < src.length - 5 && src[cand + len] === src[i + len]) len++;
      sequence(anchor, i, i - cand, len);
      i += len;
      anchor = i;
    } else i++;
  }
  sequence(anchor, src.length, 0, 0);
  return out;
}
function lz4Frame(data: Uint8Array): Uint8Array {
  const desc = [0x40 | 0x20 | 0x10 | 0x04, 0x40]; // independent blocks, block + content checksums, 64 KB blocks
  const out = [0x04, 0x22, 0x4d, 0x18, ...desc, (xxh32(Uint8Array.from(desc)) >>> 8) & 0xff];
  for (let i = 0; i < data.length; i += 65536) {
    const block = Uint8Array.from(lz4Block(data.subarray(i, i + 65536)));
    out.push(...u32(block.length), ...block, ...u32(xxh32(block)));
  }
  out.push(0, 0, 0, 0, ...u32(xxh32(data)));
  return Uint8Array.from(out);
}
function zstdFrame(data: Uint8Array): Uint8Array {
  const out = [0x28, 0xb5, 0x2f, 0xfd, 0xa0, ...u32(data.length)]; // single segment, 4-byte content size
  const blocks: { type: 0 | 1; bytes: Uint8Array }[] = [];
  let raw = 0;
  for (let i = 0; i < data.length; ) {
    let run = 1;
    while (i + run < data.length && run < 65536 && data[i + run] === data[i]) run++;
    if (run >= 16) {
      if (raw < i) blocks.push({ type: 0, bytes: data.subarray(raw, i) });
      blocks.push({ type: 1, bytes: data.subarray(i, i + run) });
      raw = i + run;
    }
    i += run;
    if (i - raw >= 65536) (blocks.push({ type: 0, bytes: data.subarray(raw, i) }), (raw = i));
  }
  if (raw < data.length || blocks.length === 0) blocks.push({ type: 0, bytes: data.subarray(raw) });
  blocks.forEach((b, k) => {
    const header = (k === blocks.length - 1 ? 1 : 0) | (b.type << 1) | (b.bytes.length << 3);
    out.push(header & 0xff, (header >>> 8) & 0xff, (header >>> 16) & 0xff, ...(b.type === 1 ? [b.bytes[0]] : b.bytes));
  });
  return Uint8Array.from(out);
}

describe('importing a freqtrade directory', () => {
  it('reads LZ4_FRAME and ZSTD compressed files the same as uncompressed ones', () => {
    const { dates, cols } = syntheticCandles(3000);
    cols.volume = cols.volume.map(() => 0); // long runs, so the RLE-only zstd encoder compresses too
    const plainFile = writeFeather('A_USDT-1h.feather', dates, cols);
    const plain = readFeather(plainFile);
    compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: lz4Frame });
    const lz4File = writeFeather('B_USDT-1h.feather', dates, cols, CompressionType.LZ4_FRAME);
    compressionRegistry.set(CompressionType.ZSTD, { encode: zstdFrame });
    const zstdFile = writeFeather('C_USDT-1h.feather', dates, cols, CompressionType.ZSTD);
    // the reader registers its own decoders over the test encoders
    for (const f of [lz4File, zstdFile]) {
      expect(fs.statSync(f).size).toBeLessThan(fs.statSync(plainFile).size * 0.9);
      expect(readFeather(f)).toEqual(plain);
    }
  });

  it('imports spot, futures, mark and funding into their tables, skips what it cannot import and says why, and is idempotent', async () => {
    const { dates, cols } = syntheticCandles(10);
    writeFeather('TEST_USDT-1h.feather', dates, cols);
    writeFeather('futures/TEST_USDT_USDT-1h-futures.feather', dates, cols, null, false);
    const { volume: _v, ...ohlc } = cols;
    writeFeather('futures/TEST_USDT_USDT-1h-mark.feather', dates, ohlc);
    writeFeather('futures/TEST_USDT_USDT-1h-funding_rate.feather', [T0, T0 + 8 * H], funding([], [0.0001, -0.0002]));
    writeFeather('TEST_USDT-5m.feather', dates.map((_, i) => T0 + i * 300_000), cols);
    fs.writeFileSync(path.join(ft, 'TEST_USDT-1h.json'), '[]');
    const r = await importFreqtrade(ds, [path.join(dir, 'user_data', 'data')]);
    expect(r.files.map((f) => `${f.venue}/${f.table}/${f.symbol}:${f.rows}`).sort()).toEqual([
      'binance/candles_1h/TESTUSDT:10', 'binanceusdm/funding/TESTUSDT:2', 'binanceusdm/mark_1h/TESTUSDT:10', 'binanceusdm/perp_1h/TESTUSDT:10',
    ]);
    expect(r.skipped.map((s) => `${path.basename(s.file)}: ${s.reason}`)).toEqual([
      expect.stringMatching(/TEST_USDT-1h\.json: .*convert-data/),
      expect.stringMatching(/TEST_USDT-5m\.feather: timeframe 5m: .*download-data --timeframes 1h/),
    ]);
    expect(r.commit.added).toBe(32);
    expect(await rows(`SELECT 'candles' AS t, count(*)::INTEGER AS n, max(close) AS c FROM candles_1h
      UNION ALL SELECT 'perp', count(*)::INTEGER, max(close) FROM perp_1h UNION ALL SELECT 'mark', count(*)::INTEGER, max(close) FROM mark_1h
      UNION ALL SELECT 'funding', count(*)::INTEGER, min(funding_rate) FROM funding ORDER BY t`)).toEqual([
      { t: 'candles', n: 10, c: 110 }, { t: 'funding', n: 2, c: -0.0002 }, { t: 'mark', n: 10, c: 110 }, { t: 'perp', n: 10, c: 110 },
    ]);
    expect(await rows(`SELECT DISTINCT source, funding_interval_hours::INTEGER AS iv FROM funding`)).toEqual([
      { source: 'freqtrade:binance/futures/TEST_USDT_USDT-1h-funding_rate.feather', iv: 8 },
    ]);
    const provenance = JSON.parse(fs.readFileSync(path.join(ds, 'provenance.json'), 'utf8'));
    expect(provenance['binanceusdm/funding']).toBe('freqtrade:binance/futures/TEST_USDT_USDT-1h-funding_rate.feather');
    const before = snapshot();
    const again = await importFreqtrade(ds, [ft]); // the exchange folder itself works too
    expect(again.commit).toMatchObject({ added: 0, replaced: 0, unchanged: 32, filesWritten: 0 });
    expect(snapshot()).toEqual(before);
  });

  it('refuses a file of another timeframe named explicitly, naming the timeframe and what to do', async () => {
    const { dates, cols } = syntheticCandles(10);
    const f = writeFeather('futures/TEST_USDT_USDT-4h-futures.feather', dates.map((_, i) => T0 + i * 4 * H), cols);
    const err = await importFreqtrade(ds, [f]).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(`${f}: timeframe 4h: the tables hold 1h bars and other timeframes are not converted; download 1h data (\`freqtrade download-data --timeframes 1h --trading-mode futures\`) and import that file`);
    expect(snapshot()).toEqual({});
  });

  it('a bad row names file, row, hour and field, and nothing of the import is written', async () => {
    const good = syntheticCandles(10);
    writeFeather('GOOD_USDT-1h.feather', good.dates, good.cols);
    const bad = syntheticCandles(10);
    bad.cols.high[2] = 50; // below low
    const badFile = writeFeather('BAD_USDT-1h.feather', bad.dates, bad.cols);
    const err = await importFreqtrade(ds, [ft]).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(`${badFile}, field 'high': row 3 (date 2024-12-31 22:00): high 50 is below low 101`);
    expect(err.exitCode).toBe(3);
    expect(snapshot()).toEqual({});
  });

  it('funding: interval from the spacing to the previous settlement, a missing settlement stays a gap', async () => {
    const hours = [0, 8, 16, 20, 24, 40, 44]; // 8 h, then 4 h, then one 4 h settlement missing (16 h spacing)
    const f = writeFeather('futures/TEST_USDT_USDT-1h-funding_rate.feather', hours.map((h) => T0 + h * H + (h === 20 ? 3 : 0)), funding([], [1, 2, 3, 4, 5, 6, 7].map((x) => x * 1e-5)));
    const { batch, notes } = parsed(f);
    expect([...batch.ts].map((t) => (t - T0) / H)).toEqual(hours);
    expect([...(batch.values.funding_interval_hours as Float64Array)]).toEqual([8, 8, 8, 4, 4, 4, 4]);
    expect([...(batch.values.calc_time_ms as Float64Array)].map((v) => (Number.isNaN(v) ? null : v - T0))).toEqual([null, null, null, 20 * H + 3, null, null, null]);
    expect(notes.join('\n')).toMatch(/1 settlement times rounded/);
    expect(notes.join('\n')).toMatch(/1 irregular spacings .*2025-01-02 12:00 \(16 h after the previous\)/);
  });

  it('funding: an hourly frame with zeros between settlements is refused, not guessed at', async () => {
    const dates = Array.from({ length: 24 }, (_, i) => T0 + i * H);
    const rates = dates.map((_, i) => (i % 8 === 0 ? 1e-4 : 0));
    const f = writeFeather('futures/TEST_USDT_USDT-1h-funding_rate.feather', dates, funding([], rates));
    const err = await importFreqtrade(ds, [f]).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/field 'open': 21 of 24 rows have a funding rate of exactly 0: .*filled with zeros between settlements/);
    expect(snapshot()).toEqual({});
  });

  it('refuses Feather v1, foreign files and missing columns with the file named', async () => {
    const v1 = path.join(ft, 'OLD_USDT-1h.feather');
    fs.writeFileSync(v1, Buffer.concat([Buffer.from('FEA1'), Buffer.alloc(64)]));
    await expect(importFreqtrade(ds, [v1])).rejects.toThrow(`${v1}: Feather v1 file`);
    const junk = path.join(ft, 'JUNK_USDT-1h.feather');
    fs.writeFileSync(junk, 'date,open\n');
    await expect(importFreqtrade(ds, [junk])).rejects.toThrow(`${junk}: not a Feather v2 / Arrow IPC file`);
    const { dates, cols } = syntheticCandles(5);
    const { close: _c, ...noClose } = cols;
    const f = writeFeather('NOCLOSE_USDT-1h.feather', dates, noClose);
    await expect(importFreqtrade(ds, [f])).rejects.toThrow(`${f}, field 'close': column 'close' is missing (found: date, open, high, low, volume)`);
    expect(snapshot()).toEqual({});
  });
});

describe('regime import with freqtrade files', () => {
  it('sends --freqtrade and .feather files to the freqtrade importer and refuses options that do not apply', () => {
    expect(freqtradeInputs(['a.csv'], {})).toBeNull();
    expect(freqtradeInputs([], { freqtrade: 'user_data/data' })).toEqual(['user_data/data']);
    expect(freqtradeInputs(['BTC_USDT-1h.feather'], { format: 'auto' })).toEqual(['BTC_USDT-1h.feather']);
    expect(() => freqtradeInputs(['a.csv'], { freqtrade: 'd' })).toThrow(new UserError('import: .feather files (freqtrade) and CSV files go in separate commands'));
    expect(() => freqtradeInputs(['x.feather'], { table: 'funding', symbol: 'X' })).toThrow(/--table, --symbol do not apply/);
  });

  it('the command exits 3 with one line naming the file and the timeframe, and writes nothing', () => {
    const f = path.join(FT, 'XRP_USDT-5m.feather');
    const r = spawnSync(process.execPath, ['scripts/regime.mjs', '--datasets', ds, 'import', f], { cwd: path.resolve(import.meta.dirname, '../..'), encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(`error: ${f}: timeframe 5m: the tables hold 1h bars and other timeframes are not converted; download 1h data (\`freqtrade download-data --timeframes 1h\`) and import that file\n`);
    expect(snapshot()).toEqual({});
  });
});
