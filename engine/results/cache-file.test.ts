// Values kept on disk between runs: what is written comes back as it was, shared arrays and objects included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheFileName, loadShared, saveShared } from './cache-file.ts';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-file-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cache files', () => {
  it('reads back numbers, Maps and typed arrays; an array or object reached twice is stored once and read back as one', async () => {
    const hours = Int32Array.from([3, 5, 8, 13]);
    const range = { symbol: 'SYNTH', present: hours };
    const value = {
      grid: { symbols: [range], bySymbol: new Map([['SYNTH', range]]), close: Float64Array.from([1.5, NaN, -Infinity]) },
      tables: { bySymbol: new Map([['SYNTH', { hours, ret: new Float64Array([0.25, NaN]) }]]) },
      n: NaN,
    };
    const file = path.join(tmp, 'shared.bin');
    await saveShared(file, value);
    const back = loadShared<typeof value>(file)!;
    expect(back.n).toBeNaN();
    expect([...back.grid.close]).toEqual([1.5, NaN, -Infinity]);
    expect(back.grid.bySymbol.get('SYNTH')).toBe(back.grid.symbols[0]);
    const present = back.grid.symbols[0].present;
    expect([...present]).toEqual([3, 5, 8, 13]);
    expect(back.tables.bySymbol.get('SYNTH')!.hours).toBe(present);
    expect(present.buffer).toBeInstanceOf(SharedArrayBuffer);
    // the shared array's 16 bytes are in the file once: the same value with a copy of it in the tables holds them twice
    const copied = { ...value, tables: { bySymbol: new Map([['SYNTH', { hours: hours.slice(), ret: value.tables.bySymbol.get('SYNTH')!.ret }]]) } };
    const twice = path.join(tmp, 'twice.bin');
    await saveShared(twice, copied);
    expect(fs.statSync(twice).size - fs.statSync(file).size).toBeGreaterThanOrEqual(16);
  });

  it('keeps the newest cache files of its folder and touches nothing else there', async () => {
    const dir = path.join(tmp, 'pruned');
    fs.mkdirSync(path.join(dir, 'a-folder'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a cache file');
    const files = ['one', 'two', 'three'].map((key, i) => cacheFileName(dir, { key }, i === 1 ? 'inputs' : 'features'));
    for (const [i, file] of files.entries()) {
      await saveShared(file, { i: new Float64Array([i]) }, 2);
      // mtimes a second apart, so the order does not rest on the file system's clock resolution
      fs.utimesSync(file, 1_700_000_000 + i, 1_700_000_000 + i);
    }
    await saveShared(files[2], { i: new Float64Array([2]) }, 2);
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(files[1]), path.basename(files[2]), 'a-folder', 'notes.txt'].sort());
  });

  it('an unreadable or cut file reads as none', async () => {
    const file = path.join(tmp, 'cut.bin');
    await saveShared(file, { a: new Float64Array(64) });
    fs.truncateSync(file, fs.statSync(file).size - 8);
    expect(loadShared(file)).toBeNull();
    expect(loadShared(path.join(tmp, 'missing.bin'))).toBeNull();
  });
});
