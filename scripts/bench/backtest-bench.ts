/**
 * Bench sections 'backtest' and 'startup': what a user waits for, measured as a user runs it (a fresh
 * `regime` process each time, wall and peak RSS from /usr/bin/time), with the in-process stage split from the
 * saved run's run.json (not --json: printing every alert as JSON is work `npm start` does not do) and the main
 * thread's own CPU time (scripts/bench/thread-cpu.mjs), which a loaded machine inflates far less than wall.
 * Both a first run (the store read and the market prepared; the copies of both removed before it) and a repeat run
 * (the copies read), alternating.
 * References from the same run: the same backtest with --no-save --no-score --no-pnl (what surrounds the replay
 * costs the difference), and a bare `node -e 0` for start-up.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchMedian } from '../../engine/testing/bench-median.ts';
import { machineShareLine, watchMachine } from '../../engine/testing/machine-share.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REGIME = path.join(ROOT, 'scripts/regime.mjs');
const TIME = '/usr/bin/time';

interface ProcessRun {
  wall: number;
  cpu: number;
  rssMb: number;
}

const THREAD_CPU = path.join(ROOT, 'scripts/bench/thread-cpu.mjs');

/** a backtest process with the main thread's CPU (user + system ms) from the preload; NaN without /proc */
function runBacktestProcess(args: string[], dir: string): ProcessRun & { mainCpu: number } {
  const file = path.join(dir, 'thread-cpu.txt');
  fs.rmSync(file, { force: true });
  const run = runProcess(['--import', THREAD_CPU, REGIME, ...args], { ...process.env, BENCH_THREAD_CPU: file });
  const fields = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split(' ').map(Number) : [NaN, NaN];
  return { ...run, mainCpu: fields[0] + fields[1] };
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

export async function benchBacktest(): Promise<string[]> {
  const lines = ['## Default `regime backtest` end to end (save + features + scorecard + paper P&L), fresh process each run'];
  const machine = watchMachine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backtest-'));
  try {
    // cold: the first run after a clone or an import reads the store and prepares the scorer's market (and keeps a
    // copy of each); warm: a repeat run reads those copies (engine/replay/replay-source.ts, engine/score/market-cache.ts).
    // Alternating, so both see the same machine.
    const cold: (ProcessRun & { mainCpu: number })[] = [];
    const warm: (ProcessRun & { mainCpu: number })[] = [];
    const bare: (ProcessRun & { mainCpu: number })[] = [];
    const stages: Record<'cold' | 'warm', Record<string, number[]>> = { cold: {}, warm: {} };
    const runs = 3;
    const results = path.join(dir, 'results');
    const cache = path.join(results, 'cache');
    const saved = (kind: 'cold' | 'warm') => {
      const latest = fs.readdirSync(path.join(results, 'runs')).sort().at(-1)!;
      const run = JSON.parse(fs.readFileSync(path.join(results, 'runs', latest, 'run.json'), 'utf8')) as { report: { elapsed_ms: Record<string, number> } };
      for (const [k, v] of Object.entries(run.report.elapsed_ms)) (stages[kind][k] ??= []).push(v);
      fs.rmSync(path.join(results, 'runs', latest), { recursive: true, force: true });
    };
    for (let i = 0; i < runs; i++) {
      fs.rmSync(cache, { recursive: true, force: true });
      cold.push(runBacktestProcess(['backtest', '--results', results], dir));
      saved('cold');
      warm.push(runBacktestProcess(['backtest', '--results', results], dir));
      saved('warm');
      bare.push(runBacktestProcess(['backtest', '--no-save', '--no-score', '--no-pnl', '--results', results], dir));
    }
    const s = (ms: number) => (ms / 1000).toFixed(2);
    const line = (label: string, r: (ProcessRun & { mainCpu: number })[], kind: 'cold' | 'warm') => {
      const wall = benchMedian(r.map((x) => x.wall));
      const rss = Math.max(...r.map((x) => x.rssMb));
      return [
        `${label} median ${s(wall)} s of ${runs} (CPU ${s(benchMedian(r.map((x) => x.cpu)))} s, of it the main thread ${s(benchMedian(r.map((x) => x.mainCpu)))} s), peak RSS ${rss.toFixed(0)} MiB   goal < 3 s ${wall < 3000 ? 'MET' : 'NOT MET'}, < 400 MB ${rss * 2 ** 20 < 400e6 ? 'MET' : 'NOT MET'}`,
        `  stages (medians, ms) ${Object.entries(stages[kind]).map(([k, v]) => `${k} ${benchMedian(v)}`).join(', ')}`,
      ];
    };
    const bareWall = benchMedian(bare.map((r) => r.wall));
    const warmWall = benchMedian(warm.map((r) => r.wall));
    lines.push(
      machineShareLine(machine()),
      ...line('first run (store read, market prepared)', cold, 'cold'),
      ...line('repeat run (data and market copies)   ', warm, 'warm'),
      `reference --no-save --no-score --no-pnl (data copy): median ${s(bareWall)} s, CPU ${s(benchMedian(bare.map((r) => r.cpu)))} s (main thread ${s(benchMedian(bare.map((r) => r.mainCpu)))} s), RSS ${Math.max(...bare.map((r) => r.rssMb)).toFixed(0)} MiB`,
      `ratio repeat run / replay-only  wall ${(warmWall / bareWall).toFixed(2)}×, CPU ${(benchMedian(warm.map((r) => r.cpu)) / benchMedian(bare.map((r) => r.cpu))).toFixed(2)}×, main-thread CPU ${(benchMedian(warm.map((r) => r.mainCpu)) / benchMedian(bare.map((r) => r.mainCpu))).toFixed(2)}×`,
      `ratio first / repeat run        wall ${(benchMedian(cold.map((r) => r.wall)) / warmWall).toFixed(2)}×`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

export async function benchStartup(): Promise<string[]> {
  const lines = ['## CLI start-up: help and the command table (fresh process, median of 5)'];
  const machine = watchMachine();
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
    machineShareLine(machine()),
    `regime --help          ${fmt(help)}   goal < 500 ms   ${help.wall < 500 ? 'MET' : 'NOT MET'}`,
    `regime backtest --help ${fmt(cmdHelp)}   goal < 500 ms   ${cmdHelp.wall < 500 ? 'MET' : 'NOT MET'}`,
    `node -e 0 (floor)      ${fmt(floor)}: help is ${(cmdHelp.wall / floor.wall).toFixed(1)}× a bare node start`,
    `without the table      ${fmt(slow)} (tsx + commander + the backtest module): ${(slow.wall / cmdHelp.wall).toFixed(1)}× slower`,
  );
  return lines;
}
