/**
 * Feature sets (features.ts, with their rule index) kept on disk between sweeps, so a sweep over data and
 * feature keys seen before skips the feature replay, the largest part of its fixed cost.
 *
 * An entry is named by everything that decides its contents: the dataset manifest, the feature key, the
 * symbols and the loaded range, and the code that computes it (a hash of the sources of the detectors, the
 * Pipeline, the replay, the data layer and the sweep). A changed input is a new name, never a stale read.
 * An unreadable entry is ignored and recomputed. Entries are written and read by engine/results/cache-file.ts
 * (temp + rename; the oldest beyond eight deleted; arrays read into one SharedArrayBuffer, shared by the workers).
 */
import type { FeatureSet } from './features.ts';
import { cacheFileName, codeVersion, loadShared, saveShared } from '../results/cache-file.ts';

const FORMAT = 1;

/** the modules a feature set is computed by (with the data loading): their imports are followed from here */
const ROOTS = ['sweep/features.ts', 'sweep/feature-index.ts', 'sweep/feature-cache.ts', 'replay/replay-data.ts'];
/** the modules the sweep's inputs (the loaded data and the periods' markets) are computed by */
const INPUT_ROOTS = ['replay/replay-data.ts', 'sweep/periods.ts', 'sweep/feature-cache.ts'];

/** a hash of the sources the feature roots import (cache-file.ts) */
export function featureCodeVersion(): string {
  return codeVersion(ROOTS);
}

export interface FeatureCacheKey {
  datasetHash: string | null;
  featureKey: string;
  symbols: readonly string[];
  /** the loaded range (epoch ms of the first and last hour) */
  firstHour: number;
  lastHour: number;
}

export function featureCacheFile(dir: string, key: FeatureCacheKey): string | null {
  // no manifest: nothing names the data, so nothing may be reused
  if (key.datasetHash === null) return null;
  return cacheFileName(dir, { format: FORMAT, code: featureCodeVersion(), ...key, symbols: [...key.symbols] }, 'features');
}

/**
 * The entry of a sweep's inputs: the loaded data and every period's market, named by the dataset manifest and
 * by everything else they are computed from (symbols, range, split, scorer options: `key`) and that code.
 */
export function inputsCacheFile(dir: string, datasetHash: string | null, key: unknown): string | null {
  if (datasetHash === null) return null;
  return cacheFileName(dir, { format: FORMAT, code: codeVersion(INPUT_ROOTS), datasetHash, key }, 'inputs');
}

/** writes the set (temp + rename), without blocking the thread that hands out configurations */
export function saveFeatureSet(file: string, set: FeatureSet): Promise<void> {
  return saveShared(file, set);
}

/** the stored set with its arrays in one SharedArrayBuffer, or null when there is none or it cannot be read */
export function loadFeatureSet(file: string): FeatureSet | null {
  return loadShared<FeatureSet>(file);
}
