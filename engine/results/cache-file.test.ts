// Values kept on disk between runs: what is written comes back as it was, shared arrays and objects included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadShared, saveShared } from './cache-file.ts';

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

  it('an unreadable or cut file reads as none', async () => {
    const file = path.join(tmp, 'cut.bin');
    await saveShared(file, { a: new Float64Array(64) });
    fs.truncateSync(file, fs.statSync(file).size - 8);
    expect(loadShared(file)).toBeNull();
    expect(loadShared(path.join(tmp, 'missing.bin'))).toBeNull();
  });
});
