/**
 * Where a backtest's data comes from: the store, or the copy of what the store gave before for the same dataset
 * manifest, symbols, range and loading code, kept beside the results (engine/results/cache-file.ts).
 *
 * Why a copy: opening the store and reading the 88 Parquet files of the bundled data through DuckDB is ≈ 0.5 s
 * of every default backtest, before the replay can start; the copy reads in a few milliseconds. It is safe to
 * reuse because a dataset generation never changes once committed, and the manifest (with every file's
 * sha256) names the generation: an import writes a new manifest, so the next run misses and reads the store. A
 * manifest-less datasets folder is never cached. The first run after an import (or a clone) pays the store read
 * and writes the copy (≈ 11 MB for the bundled data).
 */
import path from 'node:path';
import type { TimeRange } from '../data/load.ts';
import type { Store } from '../data/store.ts';
import { DEFAULT_DATASETS_DIR, manifestHash } from '../data/layout.ts';
import { cacheFileName, codeVersion, loadShared, saveShared } from '../results/cache-file.ts';
import type { ReplayData } from './replay-data.ts';

export interface LoadedData {
  data: ReplayData;
  /** sha256 of the manifest of the generation read (null: the folder has no manifest) */
  datasetHash: string | null;
}

export interface ReplaySource {
  load(symbols: string[], range: TimeRange): Promise<LoadedData>;
}

/** the store's data, and the manifest of the generation it pins (read before the caller may release the pin) */
export function storeSource(store: Store): ReplaySource {
  return {
    async load(symbols, range) {
      // DuckDB's bindings load with the loader, only when the store is read (not for a cached copy)
      const { loadReplayData } = await import('./replay-data.ts');
      const data = await loadReplayData(store, symbols, range);
      return { data, datasetHash: manifestHash(store.datasetsDir) };
    },
  };
}

/** copies kept per cache folder: a few symbol sets and ranges */
const KEEP = 4;
const FORMAT = 1;
/** the modules whose code decides what is loaded (their imports are followed) */
const ROOTS = ['replay/replay-data.ts', 'replay/replay-source.ts'];

export function dataCacheFile(dir: string, datasetHash: string, symbols: readonly string[], range: TimeRange): string {
  return cacheFileName(dir, { format: FORMAT, code: codeVersion(ROOTS), datasetHash, symbols, from: range.from ?? null, to: range.to ?? null }, 'data');
}

export interface CachedSource extends ReplaySource {
  /** after load(): whether the copy was read (false: the store was, and a copy is being written) */
  readonly hit: boolean | null;
  /** resolves once the copy written by a miss is in place (a copy that cannot be written is simply not kept) */
  settled(): Promise<void>;
}

/**
 * The copy under cacheDir when there is one, else the store (opened with `open`, closed once read) and a new copy.
 * datasetsDir: the folder the store opens (default: the bundled datasets).
 */
export function cachedSource(cacheDir: string, datasetsDir: string | undefined, open: () => Promise<Store>): CachedSource {
  let hit: boolean | null = null;
  let saving: Promise<void> = Promise.resolve();
  return {
    get hit() {
      return hit;
    },
    settled: () => saving,
    async load(symbols, range) {
      const before = manifestHash(path.resolve(datasetsDir ?? DEFAULT_DATASETS_DIR));
      const cached = before === null ? null : loadShared<ReplayData>(dataCacheFile(cacheDir, before, symbols, range));
      if (cached) {
        hit = true;
        return { data: cached, datasetHash: before };
      }
      hit = false;
      const store = await open();
      let loaded: LoadedData;
      try {
        loaded = await storeSource(store).load(symbols, range);
      } finally {
        store.close();
      }
      const { datasetHash } = loaded;
      if (datasetHash !== null) saving = saveShared(dataCacheFile(cacheDir, datasetHash, symbols, range), loaded.data, KEEP).catch(() => undefined);
      return loaded;
    },
  };
}
