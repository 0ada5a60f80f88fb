/**
 * Build-once folders for slow test fixtures (a saved backtest, …) within one `npm test` run: the first test file
 * that asks builds the folder aside and renames it in; every later caller, in either worker, gets the same folder.
 * Callers copy what they need out of it, so no test sees another's writes. Outside `npm test` (no globalSetup)
 * every call builds its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import { decode, encode } from '../../engine/sweep/queue-protocol.ts';

/** the run-wide fixture folder from scripts/test/global-setup.ts, or null when run without it */
export function fixtureCacheRoot(): string | null {
  try {
    return inject('regimeFixtureCache') ?? null;
  } catch {
    return null;
  }
}

/**
 * Fills `dest` with what `build(dir)` writes into its dir, built once per `key` and copied to each caller.
 * `build` returns what the caller needs beside the files (kept with every double exact: NaN, ±Infinity and -0
 * survive), a fresh copy for each caller.
 */
export async function buildOnceInto<T>(key: string, dest: string, build: (dir: string) => Promise<T>): Promise<T> {
  const root = fixtureCacheRoot();
  if (!root) return build(dest);
  const cached = path.join(root, key.replace(/[^A-Za-z0-9_.-]/g, '_'));
  const metaFile = path.join(cached, 'fixture-meta.json');
  if (!fs.existsSync(metaFile)) {
    // the other worker may be building the same key: whichever rename lands first wins, the other is dropped
    const tmp = `${cached}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const files = path.join(tmp, 'files');
    fs.mkdirSync(files, { recursive: true });
    const meta = await build(files);
    fs.writeFileSync(path.join(tmp, 'fixture-meta.json'), encode(meta));
    try {
      fs.renameSync(tmp, cached);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(path.join(cached, 'files'), dest, { recursive: true });
  return decode<T>(fs.readFileSync(metaFile, 'utf8'));
}
