// The append path of commitBatches: rows all newer than the series' newest stored row (the live loop's hourly
// commit) skip the merge's window counts. It must write the same files and report the same counts as the merge,
// which a batch that also restates one stored row (unchanged) forces. Synthetic candles and funding only.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { BatchBuilder } from './batch-builder.ts';
import { commitBatches, openCommitConnection, type ColumnBatch, type CommitSummary } from './dataset-writer.ts';

const HOUR = 3_600_000;
// 44 hours before a new year: the appends below cross into a new yearly partition
const T0 = Date.UTC(2024, 11, 30, 4);
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-dataset-append-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function candles(symbol: string, from: number, to: number): BatchBuilder {
  const b = new BatchBuilder('synthetic', 'candles_1h', 'binanceus', symbol);
  for (let h = from; h < to; h++) {
    const p = 100 + Math.sin(h);
    b.add(b.size + 1, T0 + h * HOUR, { open: p, high: p + 1, low: p - 1, close: p + 0.25, volume: h % 7 === 0 ? 0 : 1.5 + h, quote_volume: 5 * h, trades: h });
  }
  return b;
}

function funding(symbol: string, from: number, to: number): BatchBuilder {
  const b = new BatchBuilder('synthetic', 'funding', 'binanceusdm', symbol);
  for (let h = Math.ceil(from / 8) * 8; h < to; h += 8) b.add(b.size + 1, T0 + h * HOUR, { funding_rate: 0.0001 * (h % 5), funding_interval_hours: 8, calc_time_ms: T0 + h * HOUR + 3, source: 'synthetic' });
  return b;
}

/** partition folder → sha256 of its one file */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.parquet')) out[path.relative(dir, d)] = createHash('sha256').update(fs.readFileSync(f)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** 12 hourly commits after 40 hours of history; `restate` adds the hour before to every candle batch (a merge) */
async function hourly(dir: string, restate: boolean): Promise<CommitSummary[]> {
  const db = await openCommitConnection();
  const out: CommitSummary[] = [];
  try {
    await commitBatches(dir, ['AAAUSDT', 'BBBUSDT'].flatMap((s) => [candles(s, 0, 40).finish(), funding(s, 0, 40).finish()]), { duckdb: db });
    for (let h = 40; h < 52; h++) {
      const batches: ColumnBatch[] = [];
      for (const s of ['AAAUSDT', 'BBBUSDT']) {
        // (the new year's first hour has no earlier row in its partition to restate)
        const sameYear = new Date(T0 + (h - 1) * HOUR).getUTCFullYear() === new Date(T0 + h * HOUR).getUTCFullYear();
        batches.push(candles(s, restate && sameYear ? h - 1 : h, h + 1).finish());
        if (h % 8 === 0) batches.push(funding(s, h, h + 1).finish());
      }
      const r = await commitBatches(dir, batches, { duckdb: db });
      // the restated hour is the one difference between the two runs' summaries
      out.push({ ...r, unchanged: 0, partitions: r.partitions.map((p) => ({ ...p, unchanged: 0 })) });
    }
    // two batches of one series in one commit: the second is newer than the first, which no manifest names yet
    out.push(await commitBatches(dir, [candles('AAAUSDT', 52, 54).finish(), candles('AAAUSDT', 54, 56).finish()], { duckdb: db }));
  } finally {
    db.close();
  }
  return out;
}

describe('hourly appends', () => {
  it('write the same files and counts as the merge of the same rows', async () => {
    const append = await hourly(path.join(base, 'append'), false);
    const merge = await hourly(path.join(base, 'merge'), true);
    expect(append).toEqual(merge);
    const a = files(path.join(base, 'append'));
    expect(Object.keys(a).some((p) => p.endsWith('year=2025'))).toBe(true);
    expect(Object.keys(a)).toHaveLength(8);
    expect(a).toEqual(files(path.join(base, 'merge')));
    expect(append.at(-1)!.added).toBe(4);
  }, 60_000);
});
