/**
 * `npm run bench -- live-commit`: the live loop's hourly dataset commit with a DuckDB of its own per commit (as
 * before) and with the session's one (openCommitConnection), timed alternately in this process. Synthetic
 * candles in a scratch folder; CPU time of this process, so a loaded machine inflates both sides alike. A third
 * side restates the previous hour with each new one, which makes every commit take the merge (what an hourly
 * append cost before rows newer than everything stored skipped it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchBuilder } from '../data/batch-builder.ts';
import { commitBatches, openCommitConnection, type ColumnBatch } from '../data/dataset-writer.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const SYMBOLS = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
const HOURS = 30;

function hourBatch(symbol: string, h: number, from = h): ColumnBatch {
  const b = new BatchBuilder('synthetic', 'candles_1h', 'binance', symbol);
  for (let x = Math.max(0, from); x <= h; x++) {
    const p = 100 + x;
    b.add(b.size + 1, T0 + x * HOUR, { open: p, high: p + 1, low: p - 1, close: p, volume: 1 });
  }
  return b.finish();
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function benchLiveCommit(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-commit-bench-'));
  const db = await openCommitConnection();
  const own: number[] = [];
  const shared: number[] = [];
  const merged: number[] = [];
  try {
    for (let h = 0; h < HOURS; h++) {
      let t = process.cpuUsage();
      await commitBatches(path.join(dir, 'own'), SYMBOLS.map((s) => hourBatch(s, h)));
      own.push(cpuMs(t));
      t = process.cpuUsage();
      await commitBatches(path.join(dir, 'shared'), SYMBOLS.map((s) => hourBatch(s, h)), { duckdb: db });
      shared.push(cpuMs(t));
      t = process.cpuUsage();
      await commitBatches(path.join(dir, 'merged'), SYMBOLS.map((s) => hourBatch(s, h, h - 1)), { duckdb: db });
      merged.push(cpuMs(t));
    }
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const a = median(own);
  const b = median(shared);
  const c = median(merged);
  return [
    `## Live hourly commit (synthetic: ${SYMBOLS.length} symbols, one row each, ${HOURS} hours, alternating)`,
    `DuckDB per commit:      ${a.toFixed(1)} ms CPU (median)`,
    `one DuckDB per session: ${b.toFixed(1)} ms CPU (median), ${(a / b).toFixed(2)}× less`,
    `same, each commit merging (previous hour restated): ${c.toFixed(1)} ms CPU (median); the append skips the merge: ${(c / b).toFixed(2)}× less`,
  ];
}
