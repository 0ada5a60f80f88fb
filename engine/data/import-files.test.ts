// Importer behaviour on small synthetic CSV files (synthetic fixtures, not market data): idempotency,
// atomicity under a crash, and a clear error for every kind of bad input with nothing written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { importBatches, importFiles, seriesParts, type FileReport } from './import-files.ts';
import { openStore } from './store.ts';
import { queryRows } from './duckdb.ts';
import { InputError, UserError } from '../errors.ts';
import { buildManifest, readManifest } from './manifest.ts';
import { formatGap, hourlyGapRuns } from './gaps.ts';
import { makeSingleEntryZip } from './zip.ts';
import { datasetSnapshot } from '../testing/dataset-snapshot.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const H = 3_600_000;
const T0 = Date.UTC(2024, 11, 31, 20); // crosses a year boundary so two partitions are written

let dir: string;
let ds: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-import-'));
  ds = path.join(dir, 'datasets');
  fs.mkdirSync(ds);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function syntheticCandles(n: number, start = T0, price = 100): string {
  const lines = ['ts_ms,open,high,low,close,volume'];
  for (let i = 0; i < n; i++) lines.push(`${start + i * H},${price + i},${price + i + 2},${price + i - 1},${price + i + 1},${price - 90 + i}`);
  return lines.join('\n') + '\n';
}

function write(name: string, text: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const snapshot = () => datasetSnapshot(ds);

async function rows(sql: string) {
  const store = await openStore({ datasetsDir: ds });
  try {
    return await queryRows(store.conn, sql);
  } finally {
    store.close();
  }
}

describe('importing CSV', () => {
  it('writes partitions by symbol and year and a manifest', async () => {
    const f = write('candles_1h_TESTUSDT.csv', syntheticCandles(10));
    const r = await importFiles(ds, [f]);
    expect(r.commit.added).toBe(10);
    const files = readManifest(ds)!.tables.candles_1h!.files.map((x) => x.path);
    expect(files).toEqual([
      expect.stringMatching(/^binance\/candles_1h\/symbol=TESTUSDT\/year=2024\/g1-[0-9a-f]+\.parquet$/),
      expect.stringMatching(/^binance\/candles_1h\/symbol=TESTUSDT\/year=2025\/g1-[0-9a-f]+\.parquet$/),
    ]);
    for (const x of files) expect(fs.existsSync(path.join(ds, x))).toBe(true);
    expect(await rows(`SELECT count(*)::INTEGER AS n, max(close) AS c FROM candles_1h`)).toEqual([{ n: 10, c: 110 }]);
    expect(readManifest(ds)!.tables.candles_1h!.rows).toBe(10);
  });

  it('is idempotent: the same file twice changes no byte and adds no row', async () => {
    const f = write('candles_1h_TESTUSDT.csv', syntheticCandles(10));
    await importFiles(ds, [f]);
    const before = snapshot();
    const again = await importFiles(ds, [f]);
    expect(again.commit).toMatchObject({ added: 0, replaced: 0, unchanged: 10, filesWritten: 0 });
    expect(snapshot()).toEqual(before);
    expect(await rows(`SELECT count(*)::INTEGER AS n FROM candles_1h`)).toEqual([{ n: 10 }]);
  });

  it('merges overlapping imports and replaces restated bars', async () => {
    await importFiles(ds, [write('candles_1h_TESTUSDT.csv', syntheticCandles(10))]);
    const restated = syntheticCandles(15).replace(`${T0 + 9 * H},109,111,108,110,19`, `${T0 + 9 * H},109,112,108,111,19`);
    const r = await importFiles(ds, [write('candles_1h_TESTUSDT.csv', restated)]);
    expect(r.commit).toMatchObject({ added: 5, replaced: 1, unchanged: 9 });
    expect(await rows(`SELECT count(*)::INTEGER AS n, count(DISTINCT ts)::INTEGER AS d FROM candles_1h`)).toEqual([{ n: 15, d: 15 }]);
    expect(await rows(`SELECT close FROM candles_1h WHERE ts = epoch_ms(${T0 + 9 * H})`)).toEqual([{ close: 111 }]);
  });

  it('hands a long file to the commit a year at a time, years read before a bad row near the end; nothing lands', async () => {
    // 2023-01-01 to 2025-12-31 hourly: ≈ 1.6 MB, more than one block of lines (read-text.ts)
    const start = Date.UTC(2023, 0, 1);
    const n = (Date.UTC(2026, 0, 1) - start) / H;
    const text = syntheticCandles(n, start);
    const good = write('candles_1h_LONGUSDT.csv', text);
    const reports = new Array<FileReport>(1);
    const years: number[][] = [];
    for await (const b of importBatches([good], {}, reports)) years.push([...new Set([...b.ts].map((t) => new Date(t).getUTCFullYear()))]);
    expect(years).toEqual([[2023], [2024], [2025]]);
    expect(reports[0].rows).toBe(n);
    // the last row's high below its low: the first years reach the commit before the parser gets there
    const lines = text.trimEnd().split('\n');
    const last = lines[lines.length - 1].split(',');
    lines[lines.length - 1] = [last[0], last[1], String(Number(last[3]) - 1), last[3], last[4], last[5]].join(',');
    const bad = write('candles_1h_BADUSDT.csv', lines.join('\n') + '\n');
    const seen: number[] = [];
    const err = await (async () => {
      for await (const b of importBatches([bad], {}, new Array<FileReport>(1))) seen.push(new Date(b.ts[0]).getUTCFullYear());
    })().catch((e: unknown) => e);
    // how many depends on the block size (≈ 1 MB): at least 2023, never the year with the bad row
    expect(seen[0]).toBe(2023);
    expect(seen).not.toContain(2025);
    expect((err as Error).message).toMatch(new RegExp(`candles_1h_BADUSDT\\.csv, line ${n + 1}, field 'high': high \\S+ is below low`));
    // an empty folder that was there before stays; the folders the commit made for its staged years go with them
    const kept = path.join(ds, 'binance', 'candles_1h', 'symbol=BADUSDT');
    fs.mkdirSync(kept, { recursive: true });
    const before = snapshot();
    await expect(importFiles(ds, [bad])).rejects.toThrow(`line ${n + 1}, field 'high'`);
    expect(snapshot()).toEqual(before);
    expect(fs.readdirSync(ds, { recursive: true }).map(String).sort()).toEqual(['binance', path.join('binance', 'candles_1h'), path.relative(ds, kept)]);
    fs.rmSync(path.join(ds, 'binance'), { recursive: true });
    // the good file lands as one batch of the whole file would: three partitions, every row
    const r = await importFiles(ds, [good]);
    expect(r.commit.partitions.map((p) => [p.year, p.added])).toEqual([[2023, 8760], [2024, 8784], [2025, 8760]]);
    expect(r.files[0].rows).toBe(n);
  });

  it("the manifest's gaps: inside a partition, across the year boundary, at a year's start and end, as the table's gap runs", async () => {
    const hours = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i * H);
    const ts = [
      ...hours(Date.UTC(2022, 11, 31, 20), 2), // 20:00, 21:00, then 2022-12-31 22:00 .. 2023-01-01 02:00 missing
      ...hours(Date.UTC(2023, 0, 1, 3), 3), // a one-hour gap inside 2023 follows
      ...hours(Date.UTC(2023, 0, 1, 7), 2),
      ...hours(Date.UTC(2023, 11, 31, 22), 1), // 2023-12-31 23:00 missing: the gap ends its year
      ...hours(Date.UTC(2024, 0, 1, 0), 2),
      ...hours(Date.UTC(2024, 11, 31, 23), 1), // 2025-01-01 00:00 missing: the gap starts the next year
      ...hours(Date.UTC(2025, 0, 1, 1), 2),
    ];
    const text = ['ts_ms,open,high,low,close,volume', ...ts.map((t, i) => `${t},${100 + i},${102 + i},${99 + i},${101 + i},${i}`)].join('\n');
    await importFiles(ds, [write('candles_1h_GAPUSDT.csv', text)]);
    const series = readManifest(ds)!.tables.candles_1h!.series[0];
    expect(series.gaps).toEqual([
      '2022-12-31 22:00 .. 2023-01-01 02:00 (5 h)',
      '2023-01-01 06:00 (1 h)',
      '2023-01-01 09:00 .. 2023-12-31 21:00 (8749 h)',
      '2023-12-31 23:00 (1 h)',
      '2024-01-01 02:00 .. 2024-12-31 22:00 (8781 h)',
      '2025-01-01 00:00 (1 h)',
    ]);
    const store = await openStore({ datasetsDir: ds });
    try {
      expect(series.gaps).toEqual((await hourlyGapRuns(store.conn, 'candles_1h')).map(formatGap));
    } finally {
      store.close();
    }
    // two files of one year overlap (a partition never has two; the safe path reads every hour): the same runs
    const files = readManifest(ds)!.tables.candles_1h!.files.map((f) => f.path);
    const y2023 = files.find((f) => f.includes('year=2023'))!;
    const copy = y2023.replace(/g1-[0-9a-f]+/, 'g1-copy');
    fs.copyFileSync(path.join(ds, y2023), path.join(ds, copy));
    const rebuilt = await buildManifest(ds, { files: [...files, copy].sort() });
    expect(rebuilt.tables.candles_1h!.series[0].gaps).toEqual(series.gaps);
  });

  it('merges several files of one series (monthly archives) and rejects conflicting overlaps', async () => {
    const a = write('a.csv', syntheticCandles(5));
    const b = write('b.csv', syntheticCandles(5, T0 + 3 * H, 103));
    const r = await importFiles(ds, [a, b], { table: 'candles_1h', symbol: 'TESTUSDT' });
    expect(r.commit.added).toBe(8);
    const c = write('c.csv', syntheticCandles(5, T0 + 3 * H, 500));
    await expect(importFiles(ds, [a, c], { table: 'candles_1h', symbol: 'OTHERUSDT' })).rejects.toThrow(/also appears in .*a\.csv with different values/);
  });
});

describe('Binance public-archive klines', () => {
  const kline = (openTime: number, unit: 'ms' | 'us', o = 100) => {
    const f = unit === 'us' ? 1000 : 1;
    return `${openTime * f},${o},${o + 2},${o - 1},${o + 1},10.5,${(openTime + H - 1) * f},1050.2,42,5,500,0`;
  };

  it('reads millisecond and microsecond open times (spot archive from 2025) alike', async () => {
    const ms = write('BTCUSDT-1h-2024-12.csv', [kline(T0, 'ms'), kline(T0 + H, 'ms')].join('\n'));
    const us = write('BTCUSDT-1h-2025-01.csv', [kline(T0 + 4 * H, 'us'), kline(T0 + 5 * H, 'us')].join('\n'));
    const r = await importFiles(ds, [ms, us]);
    expect(r.files.map((x) => x.notes[0])).toEqual(['open time units: ms', 'open time units: us']);
    const got = await rows(`SELECT epoch_ms(ts)::DOUBLE AS t, quote_volume, trades::INTEGER AS trades FROM candles_1h ORDER BY ts`);
    expect(got.map((g) => g.t)).toEqual([T0, T0 + H, T0 + 4 * H, T0 + 5 * H]);
    expect(got[3]).toMatchObject({ quote_volume: 1050.2, trades: 42 });
  });

  it('reads the single CSV inside a Binance .zip', async () => {
    const csv = Buffer.from([kline(T0, 'ms'), kline(T0 + H, 'ms')].join('\n'));
    const f = write('ETHUSDT-1h-2024-12.zip', makeZip('ETHUSDT-1h-2024-12.csv', csv));
    const r = await importFiles(ds, [f]);
    expect(r.files[0]).toMatchObject({ symbol: 'ETHUSDT', rows: 2, format: 'binance-archive' });
  });

  it('commits a series of archive files a year at a time: the same dataset as all its rows in one file', async () => {
    // November 2024 to February 2025, two files a year, given out of order
    const months = [Date.UTC(2024, 10, 30, 22), Date.UTC(2024, 11, 31, 22), Date.UTC(2025, 0, 31, 22), Date.UTC(2025, 1, 1)];
    const names = ['BTCUSDT-1h-2024-11.csv', 'BTCUSDT-1h-2024-12.csv', 'BTCUSDT-1h-2025-01.csv', 'BTCUSDT-1h-2025-02.csv'];
    const files = [2, 0, 3, 1].map((m) => write(names[m], [kline(months[m], 'ms', 100 + m), kline(months[m] + H, 'ms', 110 + m)].join('\n')));
    expect(seriesParts([0, 1, 2, 3], files)).toEqual([{ year: 2024, members: [1, 3] }, { year: 2025, members: [0, 2] }]);
    // one name that gives no year: the series is one part, as any CSV
    expect(seriesParts([0, 1], [files[0], write('BTCUSDT.csv', '')])).toEqual([{ year: null, members: [0, 1] }]);
    // what the commit is handed: a batch a year, in year order
    const batches = [];
    for await (const b of importBatches(files, {}, new Array<FileReport>(files.length))) batches.push({ symbol: b.symbol, ts: [...b.ts] });
    expect(batches).toEqual([
      { symbol: 'BTCUSDT', ts: [months[0], months[0] + H, months[1], months[1] + H] },
      { symbol: 'BTCUSDT', ts: [months[2], months[2] + H, months[3], months[3] + H] },
    ]);
    const r = await importFiles(ds, files);
    expect(r.commit.partitions.map((p) => [p.year, p.added])).toEqual([[2024, 4], [2025, 4]]);
    const byYear = await rows(`SELECT epoch_ms(ts)::DOUBLE AS t, open FROM candles_1h ORDER BY ts`);
    const whole = path.join(dir, 'whole');
    fs.mkdirSync(whole);
    const all = write('all-rows.csv', months.flatMap((t, m) => [kline(t, 'ms', 100 + m), kline(t + H, 'ms', 110 + m)]).join('\n'));
    await importFiles(whole, [all], { format: 'binance-archive', table: 'candles_1h', symbol: 'BTCUSDT' });
    const store = await openStore({ datasetsDir: whole });
    try {
      expect(byYear).toEqual(await queryRows(store.conn, `SELECT epoch_ms(ts)::DOUBLE AS t, open FROM candles_1h ORDER BY ts`));
    } finally {
      store.close();
    }
    expect(byYear).toHaveLength(8);
  });

  it('refuses an archive file holding klines of another year than its name gives; nothing lands', async () => {
    const good = write('BTCUSDT-1h-2024-11.csv', kline(Date.UTC(2024, 10, 5), 'ms'));
    const stray = write('BTCUSDT-1h-2024-12.csv', [kline(Date.UTC(2024, 11, 31, 23), 'ms'), kline(Date.UTC(2025, 0, 1), 'ms')].join('\n'));
    const before = snapshot();
    const err = await importFiles(ds, [good, stray]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${stray}, line 2, field 'open_time': 2025-01-01 00:00 UTC is not in 2024, the year the file's name gives`);
    expect(snapshot()).toEqual(before);
  });

  it('a market-data CSV with an archive name is held to its year too, and the error names its time column', async () => {
    const f = write('BTCUSDT-1h-2024-06.csv', syntheticCandles(2, Date.UTC(2025, 0, 1)));
    const other = write('candles_1h_BTCUSDT.csv', syntheticCandles(2, Date.UTC(2024, 0, 1)));
    await expect(importFiles(ds, [other, f], { symbol: 'BTCUSDT' })).rejects.toThrow(`${f}, line 2, field 'ts_ms': 2025-01-01 00:00 UTC is not in 2024, the year the file's name gives`);
    // the first row outside the year is refused where it stands, whatever follows and however long the file (a
    // check of each year's batch found it only once a block of lines was read: after a later bad row in a short file)
    for (const [symbol, n] of [['SHORTUSDT', 10], ['LONGUSDT', 30_000]] as const) {
      const lines = syntheticCandles(n, Date.UTC(2020, 11, 31, 23)).trimEnd().split('\n');
      lines[n] = lines[n].replace(/,[^,]+,([^,]+),([^,]+),([^,]+)$/, ',x,$1,$2,$3');
      const file = write(`${symbol}-1h-2021-05.csv`, lines.join('\n'));
      await expect(importFiles(ds, [file])).rejects.toThrow(`${file}, line 2, field 'ts_ms': 2020-12-31 23:00 UTC is not in 2021, the year the file's name gives`);
    }
  });

  it('rejects a kline that is not one hour long', async () => {
    const bad = `${T0},1,2,0.5,1.5,10,${T0 + 60_000 - 1},10,1,1,1,0`;
    const f = write('BTCUSDT-1h-2024-12.csv', bad);
    await expect(importFiles(ds, [f])).rejects.toThrow(/line 1, field 'close_time': bar spans 60000 ms/);
  });
});

const makeZip = makeSingleEntryZip;

describe('bad input: a clear error naming file, line and field; nothing written', () => {
  const header = 'ts_ms,open,high,low,close,volume';
  const good = `${T0},100,102,99,101,10`;
  const cases: { name: string; file: string; text: string; error: RegExp; opts?: Record<string, string> }[] = [
    { name: 'missing column', file: 'candles_1h_XUSDT.csv', text: `ts_ms,open,high,low,volume\n${T0},1,2,0.5,3`, error: /line 1, field 'close': header lacks required column/ },
    { name: 'no ts_ms', file: 'candles_1h_XUSDT.csv', text: `time,open,high,low,close,volume\n${good}`, error: /field 'ts_ms': header lacks 'ts_ms'/ },
    { name: 'wrong field count', file: 'candles_1h_XUSDT.csv', text: `${header}\n${good}\n${T0 + H},100,102,99,101`, error: /line 3: expected 6 fields as in the header, found 5/ },
    { name: 'not a number', file: 'candles_1h_XUSDT.csv', text: `${header}\n${good}\n${T0 + H},100,abc,99,101,10`, error: /line 3, field 'high': 'abc' is not a number/ },
    { name: 'empty value', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0},100,102,99,,10`, error: /line 2, field 'close': missing value/ },
    { name: 'timestamp not on the hour', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0 + 60_000},100,102,99,101,10`, error: /line 2, field 'ts_ms': .* is not on the hour/ },
    { name: 'timestamp in seconds', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0 / 1000},100,102,99,101,10`, error: /line 2, field 'ts_ms': timestamp .* is outside 2009..2100/ },
    { name: 'duplicate timestamp', file: 'candles_1h_XUSDT.csv', text: `${header}\n${good}\n${good}`, error: /line 3, field 'ts_ms': duplicate timestamp .* \(also on line 2\)/ },
    { name: 'non-monotonic rows', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0 + H},100,102,99,101,10\n${good}`, error: /line 3, field 'ts_ms': .* earlier than the previous row's \(line 2\)/ },
    { name: 'non-positive price', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0},0,102,99,101,10`, error: /line 2, field 'open': non-positive value 0/ },
    { name: 'high below low', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0},100,98,99,100,10`, error: /line 2, field 'high': high 98 is below low 99/ },
    { name: 'high below close', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0},100,101,99,102,10`, error: /line 2, field 'high': high 101 is below open\/close 102/ },
    { name: 'negative volume', file: 'candles_1h_XUSDT.csv', text: `${header}\n${T0},100,102,99,101,-1`, error: /line 2, field 'volume': negative value -1/ },
    { name: 'empty file', file: 'candles_1h_XUSDT.csv', text: '', error: /file is empty/ },
    { name: 'header only', file: 'candles_1h_XUSDT.csv', text: `${header}\n`, error: /no data rows/ },
    { name: 'funding rate in percent', file: 'funding_XUSDT.csv', text: `ts_ms,funding_rate,funding_interval_hours\n${T0},1.5,8`, error: /line 2, field 'funding_rate': rate 1.5 is ≥ 10 %/ },
    { name: 'funding interval', file: 'funding_XUSDT.csv', text: `ts_ms,funding_rate,funding_interval_hours\n${T0},0.0001,0`, error: /line 2, field 'funding_interval_hours': non-positive value 0/ },
    { name: 'liquidation total mismatch', file: 'liq.csv', text: `ts_ms,long_liq_usd,short_liq_usd,total_liq_usd\n${T0},10,20,31`, error: /line 2, field 'total_liq_usd': total 31 differs from long \+ short = 30/, opts: { table: 'liquidations_1h', symbol: 'XUSDT', kind: 'aggregated', source: 'test' } },
    { name: 'liquidation kind invalid', file: 'liq.csv', text: `ts_ms,long_liq_usd,short_liq_usd,kind\n${T0},10,20,guessed`, error: /line 2, field 'kind': kind 'guessed' must be one of/, opts: { table: 'liquidations_1h', symbol: 'XUSDT', source: 'test', kind: 'observed' } },
    { name: 'gzip corrupt', file: 'candles_1h_XUSDT.csv.gz', text: 'not gzip', error: /cannot decompress/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await importFiles(ds, [write('candles_1h_GOODUSDT.csv', syntheticCandles(3))]);
      const before = snapshot();
      const f = write(c.file, c.text);
      const err = await importFiles(ds, [f], c.opts).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(f);
      expect((err as Error).message).toMatch(c.error);
      expect(snapshot()).toEqual(before);
    });
  }

  it('a liquidation import must say what the data is', async () => {
    const f = write('liq.csv', `ts_ms,long_liq_usd,short_liq_usd\n${T0},1,2`);
    await expect(importFiles(ds, [f], { table: 'liquidations_1h', symbol: 'XUSDT' })).rejects.toThrow(UserError);
    await expect(importFiles(ds, [f], { table: 'liquidations_1h', symbol: 'XUSDT' })).rejects.toThrow(/--kind observed\|aggregated\|modelled/);
  });

  it('one bad file among good ones means nothing from the import lands', async () => {
    const goodFile = write('candles_1h_AUSDT.csv', syntheticCandles(3));
    const badFile = write('candles_1h_BUSDT.csv', `${header}\n${T0},100,98,99,100,10`);
    await expect(importFiles(ds, [goodFile, badFile])).rejects.toThrow(/candles_1h_BUSDT/);
    expect(snapshot()).toEqual({});
  });

  it('the CLI exits non-zero with a one-line error and no stack trace', () => {
    const f = write('candles_1h_XUSDT.csv', `${header}\n${T0},100,98,99,100,10`);
    const child = spawnSync(process.execPath, ['scripts/regime.mjs', '--datasets', ds, 'import', f], { cwd: REPO, encoding: 'utf8' });
    expect(child.status).toBe(3);
    expect(child.stderr).toMatch(/^error: .*candles_1h_XUSDT\.csv, line 2, field 'high': high 98 is below low 99\n$/);
    expect(child.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(snapshot()).toEqual({});
  });
});
