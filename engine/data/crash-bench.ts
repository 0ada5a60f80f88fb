/**
 * `npm run bench` section `import-crash`: the import crash harness over EVERY kill point of a commit (the test
 * suite runs a fixed subset), plus the reader-vs-import race of #16.1, on SYNTHETIC candles in a scratch folder.
 * Prints kills, roll-backs and roll-forwards proven, mixed datasets (must be 0), files left after recovery (0).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { commitKillPoints, REPO_ROOT, runRegime } from './crash-harness.ts';
import { importFiles } from './import-files.ts';
import { openStore } from './store.ts';
import { queryRows } from './duckdb.ts';
import { recoverDataset } from './dataset-writer.ts';
import { readSnapshot } from './snapshot.ts';
import { WRITER_LOCK } from './writer-lock.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 11, 31, 20);

function candlesCsv(n: number, start: number, price: number): string {
  const lines = ['ts_ms,open,high,low,close,volume'];
  for (let i = 0; i < n; i++) lines.push(`${start + i * H},${price},${price + 2},${price - 1},${price + 1},10`);
  return lines.join('\n') + '\n';
}

async function closes(ds: string): Promise<{ n: number; lo: number; hi: number }> {
  const store = await openStore({ datasetsDir: ds });
  try {
    const [r] = await queryRows(store.conn, `SELECT count(*)::INTEGER AS n, min(close) AS lo, max(close) AS hi FROM candles_1h`);
    return { n: Number(r.n), lo: Number(r.lo), hi: Number(r.hi) };
  } finally {
    store.close();
  }
}

function strayFiles(ds: string): number {
  const named = new Set(readSnapshot(ds).files);
  let stray = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) walk(p);
      } else if (e.name.endsWith('.parquet') && !named.has(path.relative(ds, p).split(path.sep).join('/'))) stray++;
      else if (e.name.includes('.tmp-') || e.name === WRITER_LOCK) stray++;
    }
  };
  walk(ds);
  return stray;
}

export async function benchImportCrash(): Promise<string[]> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-crash-bench-'));
  try {
    const points = commitKillPoints(2, 2);
    let kills = 0, back = 0, forward = 0, mixed = 0, stray = 0;
    for (const [i, { point, committed }] of points.entries()) {
      const ds = path.join(scratch, `ds-${i}`);
      const f = path.join(scratch, `candles_1h_SYNUSDT.csv`);
      fs.writeFileSync(f, candlesCsv(5, T0, 100));
      await importFiles(ds, [f]);
      fs.writeFileSync(f, candlesCsv(48, T0, 300));
      const child = await runRegime(['--datasets', ds, 'import', f], { killAt: point });
      if (child.signal === 'SIGKILL' && child.killedAt === point) kills++;
      const seen = await closes(ds);
      const old = seen.n === 5 && seen.lo === 101 && seen.hi === 101;
      const neu = seen.n === 48 && seen.lo === 301 && seen.hi === 301;
      if (committed && neu) forward++;
      else if (!committed && old) back++;
      else mixed++;
      await recoverDataset(ds, { timeoutMs: 5_000 });
      stray += strayFiles(ds);
    }
    // #16.1: a reader process opening the store in a loop while another process imports restated rows
    const ds = path.join(scratch, 'race');
    const symbols = ['SYNAUSDT', 'SYNBUSDT', 'SYNCUSDT'];
    const write = (price: number) => symbols.map((s) => {
      const f = path.join(scratch, `candles_1h_${s}.csv`);
      fs.writeFileSync(f, candlesCsv(3 * 365 * 24, Date.UTC(2020, 0, 1), price));
      return f;
    });
    await importFiles(ds, write(100));
    const files = write(200);
    const stop = path.join(scratch, 'stop');
    const reader = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'engine/data/reader-loop.ts'), ds, stop], { cwd: REPO_ROOT });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise((r) => reader.on('close', r));
    await new Promise<void>((r) => reader.stdout.on('data', () => out.includes('open') && r()));
    await runRegime(['--datasets', ds, 'import', ...files]);
    fs.writeFileSync(stop, '');
    await done;
    const store = await openStore({ datasetsDir: ds });
    let replaced = 0, partitions = 0;
    try {
      const rows = await queryRows(store.conn, `SELECT symbol, year(ts) AS y, bool_and(close = 201) AS ok FROM candles_1h GROUP BY ALL`);
      partitions = rows.length;
      replaced = rows.filter((r) => r.ok === true).length;
    } finally {
      store.close();
    }
    return [
      '## Import crash harness (SYNTHETIC candles): SIGKILL from outside at every kill point of a commit, then restart',
      `kill points ${points.length}, killed there ${kills}; rolled back to the old dataset ${back}, rolled forward to the new ${forward}; mixed ${mixed} (must be 0)`,
      `files left after the next writer's recovery ${stray} (must be 0)`,
      `reader process opening the store in a loop (${/opens (\d+)/.exec(out)?.[1] ?? '?'} opens) during an import: ${replaced}/${partitions} partitions replaced (must be all)`,
    ];
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
