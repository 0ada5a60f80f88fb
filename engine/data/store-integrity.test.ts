// Store integrity across processes, on small SYNTHETIC candles (not market data): one writer at a time, readers
// that never truncate an import, snapshot reads, and crash recovery with SIGKILL sent from outside at every kill
// point of a commit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { importFiles } from './import-files.ts';
import { openStore } from './store.ts';
import { queryRows } from './duckdb.ts';
import { readManifest } from './manifest.ts';
import { commitBatches, recoverDataset } from './dataset-writer.ts';
import { acquireWriterLock, WRITER_LOCK } from './writer-lock.ts';
import { commitKillPoints, REPO_ROOT, runRegime } from './crash-harness.ts';
import { BatchBuilder } from './batch-builder.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 11, 31, 20); // crosses a year boundary: two partitions

let dir: string;
let ds: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-integrity-'));
  ds = path.join(dir, 'datasets');
  fs.mkdirSync(ds);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function candlesCsv(n: number, start: number, price: number): string {
  const lines = ['ts_ms,open,high,low,close,volume'];
  for (let i = 0; i < n; i++) lines.push(`${start + i * H},${price},${price + 2},${price - 1},${price + 1},10`);
  return lines.join('\n') + '\n';
}

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

async function query(sql: string) {
  const store = await openStore({ datasetsDir: ds });
  try {
    return await queryRows(store.conn, sql);
  } finally {
    store.close();
  }
}

/** every .parquet under the partition folders, dataset-relative */
function parquetOnDisk(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(path.relative(ds, p).split(path.sep).join('/'));
    }
  };
  walk(ds);
  return out.sort();
}

function manifestFiles(): string[] {
  return (readManifest(ds)?.tables.candles_1h?.files ?? []).map((f) => f.path).sort();
}

/** 3 symbols × 3 years (9 partitions), one file per symbol */
function multiYearFiles(price: number): string[] {
  const start = Date.UTC(2020, 0, 1);
  const hours = 3 * 365 * 24;
  return ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'].map((s) => write(`candles_1h_${s}.csv`, candlesCsv(hours, start, price)));
}

describe('one writer at a time, readers never truncate an import (#16.1)', () => {
  it('an import in a child process while another process opens the store over and over replaces every partition', async () => {
    await importFiles(ds, multiYearFiles(100));
    const restated = multiYearFiles(200);
    const stop = path.join(dir, 'stop');
    const reader = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'engine/data/reader-loop.ts'), ds, stop], { cwd: REPO_ROOT });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const readerDone = new Promise<number | null>((resolve) => reader.on('close', resolve));
    await new Promise<void>((resolve) => reader.stdout.on('data', () => out.includes('open') && resolve()));
    const imp = await runRegime(['--datasets', ds, 'import', ...restated]);
    fs.writeFileSync(stop, '');
    expect(await readerDone).toBe(0);
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    expect(Number(/opens (\d+)/.exec(out)?.[1])).toBeGreaterThan(1);
    expect(imp.stdout).toMatch(/9 partition files written/);
    const rows = await query(`SELECT symbol, year(ts) AS y, min(close) AS lo, max(close) AS hi, count(*)::INTEGER AS n
      FROM candles_1h GROUP BY ALL ORDER BY ALL`);
    expect(rows).toHaveLength(9);
    for (const r of rows) expect([r.lo, r.hi]).toEqual([201, 201]);
    // the reader's pins kept the old files alive; with the reader gone, the next writer collects them
    await recoverDataset(ds);
    expect(parquetOnDisk()).toEqual(manifestFiles());
  }, 300_000);

  it('a second writer waits for the first and then commits on top of it', async () => {
    const [a, b] = await Promise.all([
      runRegime(['--datasets', ds, 'import', write('candles_1h_AAAUSDT.csv', candlesCsv(300, T0, 100))]),
      runRegime(['--datasets', ds, 'import', write('candles_1h_BBBUSDT.csv', candlesCsv(300, T0, 100))]),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await query(`SELECT symbol, count(*)::INTEGER AS n FROM candles_1h GROUP BY ALL ORDER BY ALL`)).toEqual([
      { symbol: 'AAAUSDT', n: 300 },
      { symbol: 'BBBUSDT', n: 300 },
    ]);
    expect(readManifest(ds)!.generation).toBe(2);
  });

  it('a writer that cannot get the lock in time fails naming the owner; nothing is written', async () => {
    const lock = await acquireWriterLock(ds);
    try {
      const b = new BatchBuilder('synthetic', 'candles_1h', 'binance', 'AAAUSDT');
      b.add(1, T0, { open: 1, high: 1, low: 1, close: 1, volume: 1 });
      await expect(commitBatches(ds, [b.finish()], { lock: { timeoutMs: 100 } })).rejects.toThrow(
        new RegExp(`being written by pid ${process.pid} .*waited 0 s`),
      );
    } finally {
      lock.release();
    }
    expect(parquetOnDisk()).toEqual([]);
    expect(fs.existsSync(path.join(ds, WRITER_LOCK))).toBe(false);
  });

  it('a lock left by a dead process is taken over', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('close', r));
    fs.writeFileSync(path.join(ds, WRITER_LOCK), JSON.stringify({ pid: dead.pid, host: os.hostname(), started: '1', command: 'import', since: 'x' }));
    await importFiles(ds, [write('candles_1h_AAAUSDT.csv', candlesCsv(5, T0, 100))], {});
    expect(fs.existsSync(path.join(ds, WRITER_LOCK))).toBe(false);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM candles_1h`)).toEqual([{ n: 5 }]);
  });

  it('a legacy journal whose staged file is missing fails loudly instead of skipping the move', async () => {
    fs.writeFileSync(path.join(ds, '.import-journal.json'), JSON.stringify({ id: 'x', moves: [{ from: path.join(ds, '.staging/x/a.parquet'), to: path.join(ds, 'binance/candles_1h/symbol=A/year=2024/data.parquet') }] }));
    await expect(recoverDataset(ds)).rejects.toThrow(/staged file .*a\.parquet is missing/);
  });
});

describe('snapshot reads (#12.2)', () => {
  it('a reader opened before an import sees only the old data until it closes; one opened after sees only the new', async () => {
    await importFiles(ds, [write('candles_1h_AAAUSDT.csv', candlesCsv(10, T0, 100))]);
    const oldFiles = manifestFiles();
    const before = await openStore({ datasetsDir: ds });
    try {
      const imp = await runRegime(['--datasets', ds, 'import', write('candles_1h_AAAUSDT.csv', candlesCsv(48, T0, 300))]);
      expect(imp.code).toBe(0);
      // the commit kept the pinned generation's files
      for (const f of oldFiles) expect(fs.existsSync(path.join(ds, f))).toBe(true);
      expect(await queryRows(before.conn, `SELECT count(*)::INTEGER AS n, min(close) AS lo, max(close) AS hi FROM candles_1h`)).toEqual([{ n: 10, lo: 101, hi: 101 }]);
      expect(await query(`SELECT count(*)::INTEGER AS n, min(close) AS lo, max(close) AS hi FROM candles_1h`)).toEqual([{ n: 48, lo: 301, hi: 301 }]);
    } finally {
      before.close();
    }
    await recoverDataset(ds);
    for (const f of oldFiles) expect(fs.existsSync(path.join(ds, f))).toBe(false);
    expect(parquetOnDisk()).toEqual(manifestFiles());
  });
});

describe('import crash harness: SIGKILL from outside at every kill point of the commit (#12.2)', () => {
  // 5 stored rows in 2 partitions, then an import of 48 restated rows: 2 files staged, 2 replaced. Every point
  // with REGIME_CRASH_ALL=1 (the bench runs them all too); otherwise the last point before the commit, the first
  // after it, and one in each loop.
  const subset = ['commit:staged-1', 'commit:manifest-written', 'commit:after-manifest', 'commit:gc-1'];
  const points = commitKillPoints(2, 2).filter((p) => process.env.REGIME_CRASH_ALL === '1' || subset.includes(p.point));
  for (const { point, committed } of points) {
    it(`killed at ${point}: ${committed ? 'rolls forward to the new' : 'rolls back to the old'} dataset`, async () => {
      await importFiles(ds, [write('candles_1h_AAAUSDT.csv', candlesCsv(5, T0, 100))]);
      const child = await runRegime(['--datasets', ds, 'import', write('candles_1h_AAAUSDT.csv', candlesCsv(48, T0, 300))], { killAt: point });
      expect(child.killedAt).toBe(point);
      expect(child.signal).toBe('SIGKILL');
      expect(fs.existsSync(path.join(ds, WRITER_LOCK))).toBe(true); // the dead writer's lock is still there
      const expected = committed ? { n: 48, lo: 301, hi: 301 } : { n: 5, lo: 101, hi: 101 };
      // readers do not need the lock or any recovery to see a whole generation
      expect(await query(`SELECT count(*)::INTEGER AS n, min(close) AS lo, max(close) AS hi FROM candles_1h`)).toEqual([expected]);
      expect(readManifest(ds)!.tables.candles_1h!.rows).toBe(expected.n);
      // the next writer takes the stale lock over and removes whatever the dead one left
      await recoverDataset(ds, { timeoutMs: 5_000 });
      expect(parquetOnDisk()).toEqual(manifestFiles());
      expect(fs.readdirSync(ds).filter((f) => f.includes('.tmp-') || f === WRITER_LOCK)).toEqual([]);
      expect(await query(`SELECT count(*)::INTEGER AS n, min(close) AS lo, max(close) AS hi FROM candles_1h`)).toEqual([expected]);
      // and the import can simply be run again
      const again = await importFiles(ds, [write('candles_1h_AAAUSDT.csv', candlesCsv(48, T0, 300))]);
      expect(again.commit.added + again.commit.replaced + again.commit.unchanged).toBe(48);
      expect(await query(`SELECT count(*)::INTEGER AS n FROM candles_1h`)).toEqual([{ n: 48 }]);
    });
  }
});

describe('datasets paths with glob characters', () => {
  it('imports and reads a datasets folder named with [ ] * ?', async () => {
    const odd = path.join(dir, 'data[1]*?');
    await importFiles(odd, [write('candles_1h_AAAUSDT.csv', candlesCsv(5, T0, 100))]);
    const store = await openStore({ datasetsDir: odd });
    try {
      expect(await queryRows(store.conn, `SELECT count(*)::INTEGER AS n FROM candles_1h`)).toEqual([{ n: 5 }]);
    } finally {
      store.close();
    }
    await importFiles(odd, [write('candles_1h_AAAUSDT.csv', candlesCsv(6, T0, 100))]);
    expect(readManifest(odd)!.tables.candles_1h!.rows).toBe(6);
  });
});
