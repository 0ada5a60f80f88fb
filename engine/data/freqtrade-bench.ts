/**
 * `npm run bench -- freqtrade`: reading the real freqtrade directory (../shared/freqtrade-user-data): LZ4-frame
 * decoding + Arrow decoding alone, then decoding + the importer's row checks, then one full import of the
 * biggest spot file into a scratch dataset (staging, Parquet, journal, manifest).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFeather } from './freqtrade-feather.ts';
import { collectFreqtradeFiles, importFreqtrade, parseFreqtradeFile } from './freqtrade-import.ts';

const DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/freqtrade-user-data');

function best(runs: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

export async function benchFreqtrade(runs = 3): Promise<string[]> {
  const lines = ['## freqtrade import: ../shared/freqtrade-user-data (LZ4_FRAME feather, 19 files)'];
  if (!fs.existsSync(DIR)) return [...lines, `skipped: ${DIR} not found`];
  const candidates = collectFreqtradeFiles([DIR]);
  const bytes = candidates.reduce((a, c) => a + fs.statSync(c.file).size, 0);
  let rows = 0;
  const decodeMs = best(runs, () => {
    rows = 0;
    for (const c of candidates) rows += readFeather(c.file).rows;
  });
  lines.push(`decode (LZ4 frames + Arrow → columns): ${rows.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB in ${decodeMs.toFixed(0)} ms (best of ${runs}) = ${((rows / decodeMs) * 1000 / 1e6).toFixed(2)} M rows/s`);
  let checked = 0;
  const parseMs = best(runs, () => {
    checked = 0;
    for (const c of candidates) {
      const r = parseFreqtradeFile(c);
      if (!('skip' in r)) checked += r.batch.ts.length;
    }
  });
  lines.push(`decode + row checks (the importer's parse of the 17 1h files): ${checked.toLocaleString('en-US')} rows in ${parseMs.toFixed(0)} ms (best of ${runs})`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-bench-freqtrade-'));
  try {
    const btc = path.join(DIR, 'binance', 'BTC_USDT-1h.feather');
    const t = performance.now();
    const r = await importFreqtrade(scratch, [btc]);
    lines.push(`full import of BTC_USDT-1h.feather into an empty dataset: ${r.commit.added.toLocaleString('en-US')} rows, ${r.commit.filesWritten} partitions in ${(performance.now() - t).toFixed(0)} ms (one run)`);
    const t2 = performance.now();
    await importFreqtrade(scratch, [btc]);
    lines.push(`the same again (idempotent: compares, writes nothing): ${(performance.now() - t2).toFixed(0)} ms`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return lines;
}
