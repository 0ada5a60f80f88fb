/**
 * `npm run bench -- universe` (#13.2): replay cost against universe size on SYNTHETIC data (seeded one-factor
 * random walks from synthetic-universe.ts, generated in memory by each child process and never written as
 * market data) at N = 3, 10, 30 and 100 symbols over 8 years, all pairs, plus N = 100 with anchor pairs; then
 * the real freqtrade universe in ../shared/freqtrade-user-data, imported into a scratch datasets folder that is
 * deleted afterwards. Each measurement runs in its own process so its peak RSS is its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '../..');
const FREQTRADE_DIR = path.resolve(REPO_ROOT, '../shared/freqtrade-user-data');
const YEARS = 8;
const GOAL_WALL_MS = 60_000;
const GOAL_RSS_MB = 1.5e9 / 2 ** 20;

interface Measured {
  symbols: number;
  hours: number;
  symbolHours: number;
  pairs: number;
  pairHours: number;
  alerts: number;
  loadMs: number;
  wallMs: number;
  cpuMs: number;
  corrWallMs: number;
  corrCpuMs: number;
  maxRssMb: number;
}

function child(args: string[]): Measured {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(HERE, 'universe-bench-child.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`universe bench child ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

function row(label: string, m: Measured): string {
  const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(3);
  return [
    label.padEnd(24),
    String(m.pairs).padStart(5),
    m.symbolHours.toLocaleString('en-US').padStart(11),
    m.pairHours.toLocaleString('en-US').padStart(13),
    `${(m.wallMs / 1000).toFixed(1)} s`.padStart(9),
    `${(m.cpuMs / 1000).toFixed(1)} s`.padStart(9),
    us(m.wallMs, m.symbolHours).padStart(9),
    (m.pairHours > 0 ? us(m.wallMs, m.pairHours) : '-').padStart(9),
    `${m.maxRssMb.toFixed(0)} MiB`.padStart(9),
    (m.pairHours > 0 ? `${us(m.corrWallMs, m.pairHours)} (${us(m.corrCpuMs, m.pairHours)})` : '-').padStart(17),
  ].join('  ');
}

function load(): string {
  return os.loadavg().map((x) => x.toFixed(1)).join(' / ');
}

export async function benchUniverse(): Promise<string[]> {
  const lines: string[] = ['## Universe scale: replay wall against the number of symbols (SYNTHETIC data, 8 years)'];
  lines.push(`load average before (1/5/15 min): ${load()} on ${os.availableParallelism()} CPUs — a shared machine: compare wall with CPU`);
  lines.push(`${'universe'.padEnd(24)}  pairs  symbol-hrs     pair-hours       wall       CPU   µs/sym-h  µs/pair-h   peak RSS  corr µs/pair-h (CPU)`);
  const sizes = (process.env.REGIME_BENCH_UNIVERSE_SIZES ?? '3,10,30,100').split(',').map(Number);
  let n100: Measured | null = null;
  const measured: Measured[] = [];
  for (const n of sizes) {
    const m = child([String(n), String(YEARS), 'all']);
    lines.push(row(`N=${n} synthetic, all`, m));
    measured.push(m);
    if (n === 100) n100 = m;
  }
  if (sizes.includes(100)) {
    const m = child(['100', String(YEARS), 'anchors']);
    lines.push(row('N=100 synthetic, anchors', m));
  }
  lines.push('  (µs/sym-h and µs/pair-h: the whole replay wall — every detector, the rules, the cooldown — divided by each;');
  lines.push('   corr µs/pair-h: the correlation detector alone stepped over the same closes, wall and CPU: the figure that should be flat in N)');
  // flat in N means the same CPU per pair-hour at every size: each size against the smallest with ≥ 10 pairs
  const ref = measured.find((m) => m.pairs >= 10);
  if (ref !== undefined) {
    const perPair = (m: Measured) => m.corrCpuMs / m.pairHours;
    const ratios = measured.filter((m) => m !== ref && m.pairs > ref.pairs).map((m) => `N=${m.symbols} ${(perPair(m) / perPair(ref)).toFixed(2)}×`);
    if (ratios.length > 0) lines.push(`correlation CPU per pair-hour against N=${ref.symbols} (1.00× = flat in N): ${ratios.join(', ')}`);
  }
  if (n100 !== null) {
    const ok = n100.wallMs < GOAL_WALL_MS && n100.maxRssMb < GOAL_RSS_MB;
    lines.push(`N=100 all pairs: ${(n100.wallMs / 1000).toFixed(1)} s wall (${(n100.cpuMs / 1000).toFixed(1)} s CPU), ${n100.maxRssMb.toFixed(0)} MiB   goal < 60 s and < 1.5 GB   ${ok ? 'MET' : 'NOT MET'}${!ok && n100.cpuMs < GOAL_WALL_MS ? ' (CPU time within the goal: wall lost to the shared machine)' : ''}`);
  }

  if (fs.existsSync(FREQTRADE_DIR)) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-universe-'));
    try {
      const { importFreqtrade } = await import('../data/freqtrade-import.ts');
      const { openStore } = await import('../data/store.ts');
      const { listSymbols } = await import('../data/load.ts');
      const t0 = performance.now();
      await importFreqtrade(scratch, [FREQTRADE_DIR], {});
      const importMs = performance.now() - t0;
      const store = await openStore({ datasetsDir: scratch });
      let symbols: string[];
      try {
        symbols = await listSymbols(store);
      } finally {
        store.close();
      }
      const m = child(['--datasets', scratch, symbols.join(','), 'all']);
      lines.push(`real freqtrade universe (../shared/freqtrade-user-data, spot 1h: ${symbols.join(', ')}); import ${(importMs / 1000).toFixed(1)} s into a scratch folder`);
      lines.push(row(`N=${symbols.length} real, all`, m));
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  } else lines.push(`real freqtrade universe: ${FREQTRADE_DIR} not found, skipped`);
  lines.push(`load average after: ${load()}`);
  return lines;
}
