/**
 * Bench sections 'backtest' and 'startup': what a user waits for, measured as a user runs it (a fresh
 * `regime` process each time, wall and peak RSS from /usr/bin/time), with the in-process stage split from the
 * run's own JSON report. References from the same run: the same backtest with --no-save --no-score --no-pnl
 * (what surrounds the replay costs the difference), and a bare `node -e 0` for start-up.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchMedian } from '../../engine/testing/bench-median.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REGIME = path.join(ROOT, 'scripts/regime.mjs');
const TIME = '/usr/bin/time';

interface ProcessRun {
  wall: number;
  cpu: number;
  rssMb: number;
}

/** one process, wall measured here; CPU and peak RSS from GNU time when it is installed */
function runProcess(args: string[], env: NodeJS.ProcessEnv = process.env): ProcessRun {
  const hasTime = fs.existsSync(TIME);
  const cmd = hasTime ? TIME : process.execPath;
  const argv = hasTime ? ['-f', 'TIME %U %S %M', process.execPath, ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  const m = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, rssMb: m ? Number(m[3]) / 1024 : NaN };
}

const loadLine = () => {
  const load = os.loadavg()[0];
  const cores = os.availableParallelism();
  return `load average (1 min)   ${load.toFixed(1)} on ${cores} cores${load > cores ? '  — SHARED MACHINE: wall figures are inflated; goals are for an idle machine' : ''}`;
};

export async function benchBacktest(): Promise<string[]> {
  const lines = ['## Default `regime backtest` end to end (save + features + scorecard + paper P&L), fresh process each run'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backtest-'));
  try {
    const full: ProcessRun[] = [];
    const bare: ProcessRun[] = [];
    let stages: Record<string, number> = {};
    const runs = 3;
    for (let i = 0; i < runs; i++) {
      const json = path.join(dir, `run-${i}.json`);
      full.push(runProcess([REGIME, 'backtest', '--results', path.join(dir, 'results'), '--json', json]));
      stages = (JSON.parse(fs.readFileSync(json, 'utf8')) as { elapsed_ms: Record<string, number> }).elapsed_ms;
      bare.push(runProcess([REGIME, 'backtest', '--no-save', '--no-score', '--no-pnl', '--json', path.join(dir, `bare-${i}.json`)]));
    }
    const wall = benchMedian(full.map((r) => r.wall));
    const rss = Math.max(...full.map((r) => r.rssMb));
    const bareWall = benchMedian(bare.map((r) => r.wall));
    lines.push(
      loadLine(),
      `end to end wall        median ${(wall / 1000).toFixed(2)} s of ${runs} (CPU ${(benchMedian(full.map((r) => r.cpu)) / 1000).toFixed(2)} s)   goal < 3 s   ${wall < 3000 ? 'MET' : 'NOT MET'}`,
      `peak RSS               ${rss.toFixed(0)} MiB (largest of ${runs})   goal < 400 MB   ${rss * 2 ** 20 < 400e6 ? 'MET' : 'NOT MET'}`,
      `stages (last run, ms)  ${Object.entries(stages).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `reference --no-save --no-score --no-pnl: median ${(bareWall / 1000).toFixed(2)} s, CPU ${(benchMedian(bare.map((r) => r.cpu)) / 1000).toFixed(2)} s, RSS ${Math.max(...bare.map((r) => r.rssMb)).toFixed(0)} MiB`,
      `ratio full / replay-only  wall ${(wall / bareWall).toFixed(2)}×, CPU ${(benchMedian(full.map((r) => r.cpu)) / benchMedian(bare.map((r) => r.cpu))).toFixed(2)}×`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

export async function benchStartup(): Promise<string[]> {
  const lines = ['## CLI start-up: help and the command table (fresh process, median of 5)'];
  const measure = (args: string[], env?: NodeJS.ProcessEnv) => {
    const runs = Array.from({ length: 5 }, () => runProcess(args, env));
    return { wall: benchMedian(runs.map((r) => r.wall)), cpu: benchMedian(runs.map((r) => r.cpu)) };
  };
  const floor = measure(['-e', '0']);
  const help = measure([REGIME, '--help']);
  const cmdHelp = measure([REGIME, 'backtest', '--help']);
  const slow = measure([REGIME, 'backtest', '--help'], { ...process.env, REGIME_HELP_TABLE: '0' });
  const fmt = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(0)} ms (CPU ${t.cpu.toFixed(0)} ms)`;
  lines.push(
    loadLine(),
    `regime --help          ${fmt(help)}   goal < 500 ms   ${help.wall < 500 ? 'MET' : 'NOT MET'}`,
    `regime backtest --help ${fmt(cmdHelp)}   goal < 500 ms   ${cmdHelp.wall < 500 ? 'MET' : 'NOT MET'}`,
    `node -e 0 (floor)      ${fmt(floor)}: help is ${(cmdHelp.wall / floor.wall).toFixed(1)}× a bare node start`,
    `without the table      ${fmt(slow)} (tsx + commander + the backtest module): ${(slow.wall / cmdHelp.wall).toFixed(1)}× slower`,
  );
  return lines;
}
