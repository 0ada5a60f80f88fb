/**
 * `npm run bench` section `import` (#13.5): SYNTHETIC Binance-archive klines (seeded random walks in the
 * archive's exact 12-column format, one deflated .zip per symbol-month, written to a scratch folder and deleted
 * afterwards — never market data) imported through the real importer in a child process: wall time and peak
 * RSS for 10 symbols × 8 years, then one month appended to that dataset vs the same month into an empty one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Mulberry32 } from '../score/prng.ts';
import { makeSingleEntryZip } from './zip.ts';
import { REPO_ROOT } from './crash-harness.ts';

const H = 3_600_000;
const GOAL_MS = 10_000;

function monthFiles(dir: string, symbol: string, years: number, seed: number): string[] {
  const rng = new Mulberry32(seed);
  let price = 100;
  const out: string[] = [];
  for (let y = 0; y < years; y++) {
    for (let m = 0; m < 12; m++) {
      const start = Date.UTC(2017 + y, m, 1);
      const end = Date.UTC(2017 + y, m + 1, 1);
      const lines: string[] = [];
      for (let t = start; t < end; t += H) {
        const open = price;
        price = Math.max(0.01, price * Math.exp((rng.next() - 0.5) * 0.02));
        const high = Math.max(open, price) * (1 + rng.next() * 0.005);
        const low = Math.min(open, price) * (1 - rng.next() * 0.005);
        const vol = 10 + rng.next() * 100;
        // the spot archive switched to microseconds in 2025: so do the synthetic files
        const f = 2017 + y >= 2025 ? 1000 : 1;
        lines.push(`${t * f},${open.toFixed(4)},${high.toFixed(4)},${low.toFixed(4)},${price.toFixed(4)},${vol.toFixed(3)},${(t + H) * f - 1},${(vol * price).toFixed(2)},${50 + Math.floor(rng.next() * 500)},${(vol / 2).toFixed(3)},${((vol / 2) * price).toFixed(2)},0`);
      }
      const name = `${symbol}-1h-${2017 + y}-${String(m + 1).padStart(2, '0')}`;
      const file = path.join(dir, `${name}.zip`);
      fs.writeFileSync(file, makeSingleEntryZip(`${name}.csv`, Buffer.from(lines.join('\n') + '\n')));
      out.push(file);
    }
  }
  return out;
}

function measure(datasetsDir: string, files: string[], scratch: string): { ms: number; maxRssMb: number; rows: number; filesWritten: number } {
  const list = path.join(scratch, `list-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(list, JSON.stringify(files));
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'engine/data/import-bench-child.ts'), datasetsDir, list], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`import bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

export async function benchImport(): Promise<string[]> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-import-bench-'));
  try {
    const src = path.join(scratch, 'synthetic-archive');
    fs.mkdirSync(src);
    const symbols = Array.from({ length: 10 }, (_, i) => `SYN${String.fromCharCode(65 + i)}USDT`);
    const files = symbols.flatMap((s, i) => monthFiles(src, s, 8, 1000 + i));
    const big = path.join(scratch, 'ds-big');
    const full = measure(big, files, scratch);
    // a restated December 2024 of one symbol: one stored partition rewritten, the 79 others untouched
    fs.mkdirSync(path.join(scratch, 'extra'), { recursive: true });
    const extra = monthFiles(path.join(scratch, 'extra'), 'SYNAUSDT', 8, 7777).slice(-1);
    const append = measure(big, extra, scratch);
    const alone = measure(path.join(scratch, 'ds-empty'), extra, scratch);
    return [
      '## Import: SYNTHETIC Binance-archive klines (seeded random walks, archive format, one .zip per symbol-month; not market data)',
      `10 symbols × 8 years    ${files.length} zip files, ${full.rows.toLocaleString('en-US')} rows → ${full.filesWritten} partitions: ${(full.ms / 1000).toFixed(2)} s, peak RSS ${full.maxRssMb.toFixed(0)} MB   goal < 10 s   ${full.ms < GOAL_MS ? 'MET' : 'NOT MET'}`,
      `1 month into that set  ${append.rows} rows, ${append.filesWritten} partition rewritten: ${(append.ms / 1000).toFixed(2)} s, peak RSS ${append.maxRssMb.toFixed(0)} MB`,
      `1 month into empty     ${alone.rows} rows, ${alone.filesWritten} partition written: ${(alone.ms / 1000).toFixed(2)} s, peak RSS ${alone.maxRssMb.toFixed(0)} MB`,
      `RSS ratio append / empty ${(append.maxRssMb / alone.maxRssMb).toFixed(2)}× (independent of the dataset's size: only touched partitions are rewritten)`,
      '',
    ];
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
