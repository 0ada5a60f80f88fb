// The importer's fast paths (#13.5) against the slow ones they stand in for, on SYNTHETIC inputs (seeded random
// walks and hand-made lines, not market data): byte-range line reading vs a plain split, numbers read from bytes
// vs Number(), plain vs unusual spellings of the same rows, the three input forms giving the same rows, and a bad
// file in a later series leaving nothing behind although earlier series were already staged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Mulberry32 } from '../score/prng.ts';
import { decimalAt, integerAt } from './fast-number.ts';
import { readLines } from './read-text.ts';
import { importFiles, parseImportFile } from './import-files.ts';
import { importFreqtrade } from './freqtrade-import.ts';
import { writeArchiveZips, writeFreqtradeDir, writeMarketCsvs } from './import-bench-data.ts';
import { openStore } from './store.ts';
import { readFloatColumns } from './duckdb.ts';
import { datasetSnapshot } from '../testing/dataset-snapshot.ts';
import { InputError } from '../errors.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-import-fast-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('numbers from bytes', () => {
  it('equal Number() for every plain decimal and integer they accept, seeded', () => {
    const rng = new Mulberry32(13);
    let accepted = 0;
    for (let k = 0; k < 20_000; k++) {
      const intDigits = 1 + Math.floor(rng.next() * 9);
      const fracDigits = Math.floor(rng.next() * 10);
      let s = rng.next() < 0.2 ? '-' : '';
      for (let i = 0; i < intDigits; i++) s += Math.floor(rng.next() * 10);
      if (fracDigits > 0 || rng.next() < 0.1) s += '.';
      for (let i = 0; i < fracDigits; i++) s += Math.floor(rng.next() * 10);
      const b = bytes(s);
      const v = decimalAt(b, 0, b.length);
      if (Number.isNaN(v)) {
        // refused only beyond 15 significant digits, where m / 10^k would no longer be exact
        expect(s.replace(/[-.]/g, '').replace(/^0+/, '').length, s).toBeGreaterThan(15);
        continue;
      }
      accepted++;
      expect(Object.is(v, Number(s)), s).toBe(true);
    }
    expect(accepted).toBeGreaterThan(15_000);
    for (const s of ['0', '-0', '1700000000000', '1735689600000000', '9007199254740991', '00042']) {
      const b = bytes(s);
      expect(Object.is(integerAt(b, 0, b.length), Number(s))).toBe(true);
    }
    for (const s of ['0.1', '123456789012345', '-0.0', '1.', '0.000000000000000000001']) {
      const b = bytes(s);
      expect(Object.is(decimalAt(b, 0, b.length), Number(s))).toBe(true);
    }
  });

  it('refuse (NaN) whatever they do not handle, so the line goes to the string path', () => {
    for (const s of ['', '-', '.5', '0.30000000000000004', '1e5', '+1', ' 1', '1 ', '1,5', '0x10', '1234567890123456', '"1"', '1.2.3', 'NaN']) {
      const b = bytes(s);
      expect(decimalAt(b, 0, b.length), s).toBeNaN();
    }
    for (const s of ['', '-', '1.0', '9007199254740993', '12345678901234567', '1e3', '+5']) {
      const b = bytes(s);
      expect(integerAt(b, 0, b.length), s).toBeNaN();
    }
  });
});

describe('lines as byte ranges', () => {
  /** the line rules, stated simply: split on LF, count every line, drop one trailing CR, skip blank ones */
  function reference(text: string): string[] {
    const body = text.startsWith('\ufeff') ? text.slice(1) : text;
    const parts = body.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts.flatMap((raw, i) => {
      const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      return t.trim() === '' ? [] : [`${i + 1}:${t}`];
    });
  }

  it('give the same numbered lines as a plain split, across 1 MB chunks, plain and gzipped', async () => {
    const rng = new Mulberry32(7);
    const pieces: string[] = ['\ufeffts_ms,open'];
    let size = 0;
    while (size < 2_600_000) {
      size += pieces[pieces.length - 1].length + 1;
      const r = rng.next();
      if (r < 0.02) pieces.push('');
      else if (r < 0.03) pieces.push('   \t');
      else if (r < 0.04) pieces.push('\u00a0');
      else if (r < 0.05) pieces.push(`${Math.floor(rng.next() * 1e6)},é${rng.next()}`);
      else if (r < 0.3) pieces.push(`${Math.floor(rng.next() * 1e13)},${rng.next()}\r`);
      else pieces.push(`${Math.floor(rng.next() * 1e13)},${(rng.next() * 1000).toFixed(4)}`);
    }
    const text = pieces.join('\n') + '\n\n';
    const plain = path.join(dir, 'lines.csv');
    fs.writeFileSync(plain, text);
    const gz = path.join(dir, 'lines.csv.gz');
    fs.writeFileSync(gz, zlib.gzipSync(Buffer.from(text)));
    const expected = reference(text);
    expect(expected.length).toBeGreaterThan(50_000);
    for (const f of [plain, gz]) {
      const got: string[] = [];
      for await (const l of readLines(f)) got.push(`${l.line}:${l.text}`);
      expect(got).toEqual(expected);
    }
  });
});

/** a small SYNTHETIC archive month: plain lines, the same rows spelled unusually, and one bad line */
function archiveRows(n: number): string[] {
  const t0 = Date.UTC(2024, 0, 1);
  const H = 3_600_000;
  return Array.from({ length: n }, (_, i) => {
    const p = 100 + i;
    return `${t0 + i * H},${p}.5000,${p + 2}.25,${p - 1}.125,${p + 1},12.5,${t0 + (i + 1) * H - 1},1250.75,${40 + i},6.25,625.5,0`;
  });
}

describe('plain rows and unusual spellings', () => {
  it('give the same batch: exponents, spaces, + signs and leading dots go the string way to the same values', async () => {
    const plain = archiveRows(200);
    const odd = plain.map((line, i) => {
      const f = line.split(',');
      if (i % 5 === 0) f[1] = ` ${f[1]} `;
      if (i % 5 === 1) f[5] = '1.25e1';
      if (i % 5 === 2) f[8] = `+${f[8]}`;
      if (i % 5 === 3) f[5] = '12.50000000000000000001';
      return f.join(',');
    });
    const a = path.join(dir, 'AUSDT-1h-2024-01.csv');
    const b = path.join(dir, 'BUSDT-1h-2024-01.csv');
    fs.writeFileSync(a, plain.join('\n') + '\n');
    fs.writeFileSync(b, odd.join('\r\n') + '\r\n');
    const pa = await parseImportFile(a, {});
    const pb = await parseImportFile(b, {});
    expect(pb.batch.ts).toEqual(pa.batch.ts);
    expect(pb.batch.values).toEqual(pa.batch.values);
    expect(pa.batch.ts.length).toBe(200);
  });

  it('a bad value among plain rows is named exactly as the string path names it', async () => {
    const lines = archiveRows(50);
    lines[30] = lines[30].replace(',12.5,', ',-12.5,');
    const f = path.join(dir, 'CUSDT-1h-2024-01.csv');
    fs.writeFileSync(f, lines.join('\n') + '\n');
    const err = await parseImportFile(f, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${f}, line 31, field 'volume': negative value -12.5`);
  });
});

async function tableRows(ds: string): Promise<Record<string, Float64Array>> {
  const store = await openStore({ datasetsDir: ds });
  try {
    return await readFloatColumns(store.conn, `SELECT (symbol = 'SYNBUSDT')::DOUBLE AS b, epoch_ms(ts)::DOUBLE AS t, open, high, low, close, volume FROM candles_1h ORDER BY symbol, ts`);
  } finally {
    store.close();
  }
}

describe('the three input forms', () => {
  it('archive zips, market-data CSVs and a freqtrade directory of one synthetic walk store the same candles', async () => {
    const spec = { symbols: 2, years: 1, firstYear: 2024 };
    const zips = writeArchiveZips(path.join(dir, 'zips'), spec).filter((f) => /-(0[1-3])\.zip$/.test(f));
    const csvs = writeMarketCsvs(path.join(dir, 'csv'), spec);
    const ft = writeFreqtradeDir(path.join(dir, 'ft'), spec);
    const dsZip = path.join(dir, 'ds-zip');
    const dsCsv = path.join(dir, 'ds-csv');
    const dsFt = path.join(dir, 'ds-ft');
    await importFiles(dsZip, zips);
    await importFiles(dsCsv, csvs);
    await importFreqtrade(dsFt, [ft]);
    const [z, c, f] = [await tableRows(dsZip), await tableRows(dsCsv), await tableRows(dsFt)];
    expect(c).toEqual(f);
    // the archive copy holds January to March only: it must equal those rows of the others
    const n = z.t.length;
    expect(n).toBe(2 * (31 + 29 + 31) * 24);
    const months = (x: Record<string, Float64Array>) => {
      const keep = Array.from(x.t.keys()).filter((i) => x.t[i] < Date.UTC(2024, 3, 1));
      return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Float64Array.from(keep, (i) => v[i])]));
    };
    expect(z).toEqual(months(c));
  });
});

describe('series written while later ones are parsed', () => {
  it('a bad file in a later series removes the partitions already staged: the dataset is unchanged', async () => {
    const ds = path.join(dir, 'ds');
    const good = writeArchiveZips(path.join(dir, 'zips'), { symbols: 2, years: 1, firstYear: 2024 }).filter((f) => /-0[1-2]\.zip$/.test(f));
    await importFiles(ds, good.filter((f) => f.includes('SYNAUSDT')));
    const before = datasetSnapshot(ds);
    const lines = archiveRows(24);
    lines[10] = lines[10].replace(/^(\d+),/, (_, t) => `${Number(t) + 1},`);
    const bad = path.join(dir, 'SYNCUSDT-1h-2024-01.csv');
    fs.writeFileSync(bad, lines.join('\n') + '\n');
    // SYNA and SYNB come first and are staged; SYNC fails
    const err = await importFiles(ds, [...good, bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/SYNCUSDT-1h-2024-01\.csv, line 11, field 'open_time'.*not on the hour/);
    expect(datasetSnapshot(ds)).toEqual(before);
  });
});
