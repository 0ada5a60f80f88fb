/**
 * `npm run bench` section `import` (#13.5): 10 symbols × 8 years of 1h candles in the forms users import —
 * Binance public-archive monthly .zip files, one CSV per symbol in the ../shared/market-data layout, and a
 * freqtrade data directory of LZ4 Feather files — each into a fresh datasets folder through the real importer,
 * in a child process (wall, CPU, peak RSS). All inputs are SYNTHETIC (seeded random walks written to a scratch
 * folder and deleted afterwards; never market data). Then peak RSS at 2 vs 8 years in each format and 5 vs 10
 * symbols of archive files, run alternately, and one month appended to the 8-year set vs the same month into an empty one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from './crash-harness.ts';
import { writeArchiveZips, writeFreqtradeDir, writeMarketCsvs, type SyntheticSpec } from './import-bench-data.ts';
import { benchMedian } from '../testing/bench-median.ts';

const GOAL_MS = 10_000;

interface Measured {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
  rows: number;
  filesWritten: number;
}

function child(datasetsDir: string, args: string[]): Measured {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'engine/data/import-bench-child.ts'), datasetsDir, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`import bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

/** the child's import into a fresh datasets folder, removed afterwards */
function intoFreshDataset(scratch: string, args: string[]): Measured {
  const ds = fs.mkdtempSync(path.join(scratch, 'ds-'));
  try {
    return child(ds, args);
  } finally {
    fs.rmSync(ds, { recursive: true, force: true });
  }
}

function importList(scratch: string, files: string[]): Measured {
  const list = path.join(scratch, `list-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(list, JSON.stringify(files));
  return intoFreshDataset(scratch, [list]);
}

const importFreqtradeDir = (scratch: string, dir: string): Measured => intoFreshDataset(scratch, ['--freqtrade', dir]);

const load = () => os.loadavg()[0].toFixed(1);

function line(label: string, m: Measured, goal = true): string {
  const verdict = goal ? `   goal < 10 s ${m.ms < GOAL_MS ? 'MET' : 'NOT MET'}` : '';
  return `${label.padEnd(34)} ${m.rows.toLocaleString('en-US')} rows → ${m.filesWritten} partitions: ${(m.ms / 1000).toFixed(2)} s wall, ${(m.cpuMs / 1000).toFixed(2)} s CPU, peak RSS ${m.maxRssMb.toFixed(0)} MB (load ${load()})${verdict}`;
}

export async function benchImport(): Promise<string[]> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-import-bench-'));
  const spec8: SyntheticSpec = { symbols: 10, years: 8 };
  try {
    const zips8 = writeArchiveZips(path.join(scratch, 'zips8'), spec8);
    const csv8 = writeMarketCsvs(path.join(scratch, 'csv8'), spec8);
    const ft8 = writeFreqtradeDir(path.join(scratch, 'ft8'), spec8);
    const zips2 = writeArchiveZips(path.join(scratch, 'zips2'), { symbols: 10, years: 2 });
    const csv2 = writeMarketCsvs(path.join(scratch, 'csv2'), { symbols: 10, years: 2 });
    const ft2 = writeFreqtradeDir(path.join(scratch, 'ft2'), { symbols: 10, years: 2 });
    const zips8of5 = zips8.filter((f) => /SYN[A-E]USDT/.test(path.basename(f)));
    const out = [
      '## Import: 10 symbols × 8 years of 1h candles, SYNTHETIC (seeded random walks in the real file formats; not market data)',
      `machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the start — wall times move with the load, CPU times much less`,
    ];
    const archive = importList(scratch, zips8);
    out.push(line(`Binance archive (${zips8.length} monthly .zip)`, archive));
    const csv = importList(scratch, csv8);
    out.push(line(`market-data CSV (${csv8.length} files)`, csv));
    const ft = importFreqtradeDir(scratch, ft8);
    out.push(line('freqtrade directory (10 LZ4 feather)', ft));
    // memory against the dataset's size: the sides alternate so a load change hits all of them
    const small: Measured[] = [];
    const big: Measured[] = [archive];
    const five: Measured[] = [];
    const csvSmall: Measured[] = [];
    const csvBig: Measured[] = [csv];
    const ftSmall: Measured[] = [];
    const ftBig: Measured[] = [ft];
    for (let i = 0; i < 2; i++) {
      small.push(importList(scratch, zips2));
      csvSmall.push(importList(scratch, csv2));
      ftSmall.push(importFreqtradeDir(scratch, ft2));
      five.push(importList(scratch, zips8of5));
      big.push(importList(scratch, zips8));
      csvBig.push(importList(scratch, csv8));
      ftBig.push(importFreqtradeDir(scratch, ft8));
    }
    const rss = (ms: Measured[]) => benchMedian(ms.map((m) => m.maxRssMb));
    const yearsLine = (label: string, two: Measured[], eight: Measured[]) =>
      `peak RSS, ${label.padEnd(9)} median of ${two.length}/${eight.length}:  10 symbols × 2 y ${rss(two).toFixed(0)} MB   10 × 8 y ${rss(eight).toFixed(0)} MB   ratio 8 y / 2 y ${(rss(eight) / rss(two)).toFixed(2)}×`;
    out.push(
      `${yearsLine('archive,', small, big)}   5 × 8 y ${rss(five).toFixed(0)} MB   ratio 10 / 5 symbols ${(rss(big) / rss(five)).toFixed(2)}×`,
      yearsLine('CSV,', csvSmall, csvBig),
      yearsLine('freqtrade,', ftSmall, ftBig),
      `  (rows ${small[0].rows.toLocaleString('en-US')} vs ${big[0].rows.toLocaleString('en-US')}; every format goes to the commit a calendar year of a series at a time, so the parsed rows held do not grow with the history or the number of symbols; what still grows a little with the rows written is garbage the JavaScript heap has not collected yet and memory DuckDB and the C allocator keep after writing the partitions)`,
      `archive 10 × 8 y wall, median of ${big.length}: ${(benchMedian(big.map((m) => m.ms)) / 1000).toFixed(2)} s, CPU ${(benchMedian(big.map((m) => m.cpuMs)) / 1000).toFixed(2)} s`,
    );
    // a restated December 2024 of one symbol: one stored partition rewritten, the 79 others untouched
    const base = fs.mkdtempSync(path.join(scratch, 'ds-'));
    const list8 = path.join(scratch, 'zips8.json');
    fs.writeFileSync(list8, JSON.stringify(zips8));
    child(base, [list8]);
    const extra = writeArchiveZips(path.join(scratch, 'extra'), { symbols: 1, years: 8, seed: 7777 }).slice(-1);
    const listExtra = path.join(scratch, 'extra.json');
    fs.writeFileSync(listExtra, JSON.stringify(extra));
    const append = child(base, [listExtra]);
    const alone = importList(scratch, extra);
    out.push(
      `1 month into the 10 × 8 y set   ${append.rows} rows, ${append.filesWritten} partition rewritten: ${(append.ms / 1000).toFixed(2)} s, peak RSS ${append.maxRssMb.toFixed(0)} MB`,
      `1 month into an empty set       ${alone.rows} rows, ${alone.filesWritten} partition written: ${(alone.ms / 1000).toFixed(2)} s, peak RSS ${alone.maxRssMb.toFixed(0)} MB`,
      `RSS ratio append / empty ${(append.maxRssMb / alone.maxRssMb).toFixed(2)}× (only touched partitions are read and rewritten)`,
      '',
    );
    return out;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
