// Feature sets kept on disk between sweeps (SYNTHETIC columns; the sweep round trip is in sweep.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeatureSet } from './features.ts';
import { featureCacheFile, featureCodeVersion, inputsCacheFile, loadFeatureSet, saveFeatureSet } from './feature-cache.ts';
import { loadShared, saveShared } from '../results/cache-file.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-feature-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** a small synthetic set: every array type the real one uses, NaN and infinities, a subarray of a larger buffer */
function synthetic(): FeatureSet {
  const wide = new Float64Array([9, 1.5, NaN, -Infinity, 7]);
  return {
    key: 'synthetic-key',
    symbols: ['AAA', 'BBB'],
    firstHour: Date.UTC(2024, 0, 1),
    hours: 3,
    cascadeWindowHours: 4,
    bySymbol: [],
    pairs: [{ a: 0, b: 1, corr: wide.subarray(1, 4), normal: new Float64Array([NaN, 0.25, Infinity]), leader: Int8Array.of(1, -1, 0) }],
    index: {
      symbols: [],
      pairs: [{ hours: Int32Array.of(0, 2), corr: new Float64Array(0), normal: Float64Array.of(0.5), direction: Int8Array.of(-1) }],
    },
  } as unknown as FeatureSet;
}

const key = { datasetHash: 'abc', featureKey: 'synthetic-key', symbols: ['AAA', 'BBB'], firstHour: 0, lastHour: 3_600_000 };

describe('feature cache', () => {
  it('gives back the same set, values and array types, its arrays in shared memory', async () => {
    const file = featureCacheFile(tmp, key)!;
    await saveFeatureSet(file, synthetic());
    const back = loadFeatureSet(file)!;
    expect(back).toEqual(synthetic());
    expect(back.pairs[0].corr).toBeInstanceOf(Float64Array);
    expect(back.pairs[0].leader).toBeInstanceOf(Int8Array);
    expect(back.index!.pairs[0].hours).toBeInstanceOf(Int32Array);
    expect(back.pairs[0].corr.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Object.is(back.pairs[0].corr[1], NaN)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('names an entry by the dataset, the feature key, the symbols, the range and the code; none without a dataset manifest', () => {
    const names = new Set([
      featureCacheFile(tmp, key),
      featureCacheFile(tmp, { ...key, datasetHash: 'abd' }),
      featureCacheFile(tmp, { ...key, featureKey: 'other' }),
      featureCacheFile(tmp, { ...key, symbols: ['AAA'] }),
      featureCacheFile(tmp, { ...key, lastHour: 7_200_000 }),
    ]);
    expect(names.size).toBe(5);
    expect(featureCacheFile(tmp, key)).toBe(featureCacheFile(tmp, { ...key }));
    expect(featureCacheFile(tmp, { ...key, datasetHash: null })).toBeNull();
    expect(featureCodeVersion()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keeps Maps, and an object reached twice as one object (a market\'s ranges in its list and its Map)', async () => {
    const range = { symbol: 'AAA', offset: 3, present: Int32Array.of(3, 4, 6) };
    const value = { grid: { symbols: [range], bySymbol: new Map([['AAA', range]]), close: Float64Array.of(1, NaN) }, options: { horizons: [4, 24], lead: Infinity } };
    const file = inputsCacheFile(tmp, 'abc', { symbols: ['AAA'] })!;
    expect(file.endsWith('.inputs')).toBe(true);
    expect(inputsCacheFile(tmp, 'abc', { symbols: ['BBB'] })).not.toBe(file);
    expect(inputsCacheFile(tmp, null, { symbols: ['AAA'] })).toBeNull();
    await saveShared(file, value);
    const back = loadShared<typeof value>(file)!;
    expect(back).toEqual(value);
    expect(back.grid.bySymbol).toBeInstanceOf(Map);
    expect(back.grid.bySymbol.get('AAA')).toBe(back.grid.symbols[0]);
    expect(back.grid.symbols[0].present.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('reads a missing, truncated or garbled entry as no entry', async () => {
    const file = featureCacheFile(tmp, { ...key, featureKey: 'broken' })!;
    expect(loadFeatureSet(file)).toBeNull();
    await saveFeatureSet(file, synthetic());
    const whole = fs.readFileSync(file);
    for (const cut of [1, 8, 9]) {
      fs.writeFileSync(file, whole.subarray(0, whole.length - cut));
      expect(loadFeatureSet(file)).toBeNull();
    }
    fs.writeFileSync(file, Buffer.concat([whole.subarray(0, 8), Buffer.from('{not json'), whole.subarray(17)]));
    expect(loadFeatureSet(file)).toBeNull();
    fs.writeFileSync(file, Buffer.alloc(3));
    expect(loadFeatureSet(file)).toBeNull();
  });
});
