/**
 * Bench section 'replay': the full replay against the window-rescan reference over the FULL history, in this
 * process, alternating (ours, rescan / rescan, ours) so both see the same machine load, median of ≥ 3 pairs;
 * beside them the one-pass floor: one loop over every column of every symbol, the least any per-hour method
 * must do. Wall and CPU time are both printed: on a shared machine the CPU-time ratio is the steadier one.
 */
import { performance } from 'node:perf_hooks';
import { openStore } from '../../engine/data/store.ts';
import { defaultConfig } from '../../engine/pipeline/config.ts';
import { loadReplayData, type ReplayData } from '../../engine/replay/replay-data.ts';
import { runReplay } from '../../engine/replay/replay.ts';
import { rescanSample } from './rescan-reference.ts';
import { benchMedian } from '../../engine/testing/bench-median.ts';
import { machineShareLine, watchMachine } from '../../engine/testing/machine-share.ts';

const PAIRS = 3;
/** a full rescan using more CPU than this is not repeated: the section says so and keeps the pairs it has (CPU, not wall: machine load must not cut the pairs short) */
const RESCAN_BUDGET_MS = 60_000;

interface Timing {
  wall: number;
  cpu: number;
}

function timed<T>(fn: () => T): Timing & { value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, value };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** every column of every symbol read once, with a running log-return sum so the loop cannot be dropped */
export function onePassFloor(data: ReplayData): number {
  let acc = 0;
  for (const series of data.series) {
    const c = series.candles;
    for (let i = 1; i < c.ts.length; i++) acc += Math.log(c.close[i] / c.close[i - 1]) + c.open[i] * 1e-12 + c.high[i] * 1e-12 + c.low[i] * 1e-12 + c.volume[i] * 1e-18 + c.ts[i] * 1e-21;
    const f = series.funding;
    for (let i = 0; i < f.ts.length; i++) acc += f.rate[i] + f.intervalHours[i] * 1e-9;
    const l = series.liquidations;
    for (let i = 0; i < l.ts.length; i++) acc += (l.longUsd[i] + l.shortUsd[i]) * 1e-12;
  }
  return acc;
}

export async function benchReplayReference(): Promise<string[]> {
  const lines = ['## Full replay vs the window-rescan reference (full history, same process, alternating pairs)'];
  const machine = watchMachine();
  const store = await openStore();
  const config = defaultConfig();
  let data: ReplayData;
  try {
    data = await loadReplayData(store, config.symbols);
  } finally {
    store.close();
  }
  const first = data.firstHour;
  const hours = (data.lastHour - first) / 3_600_000 + 1;
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

  // warm-up: the JIT compiles both sides before anything is timed
  runReplay(data, config);
  rescanSample(data, Date.UTC(2022, 0, 1), 200, false);
  onePassFloor(data);

  const ours: Timing[] = [];
  const rescan: Timing[] = [];
  const floor: Timing[] = [];
  let symbolHours = 0;
  let rescanSymbolHours = 0;
  let stoppedEarly = false;
  for (let i = 0; i < PAIRS && !stoppedEarly; i++) {
    const runOurs = () => {
      const t = timed(() => runReplay(data, config, { onProgress: sample }));
      symbolHours = t.value.symbolHours;
      ours.push(t);
    };
    const runRescan = () => {
      const t = timed(() => rescanSample(data, first, hours, false));
      rescanSymbolHours = t.value.symbolHours;
      rescan.push(t);
      if (t.cpu > RESCAN_BUDGET_MS) stoppedEarly = true;
    };
    if (i % 2 === 0) {
      runOurs();
      runRescan();
    } else {
      runRescan();
      runOurs();
    }
    floor.push(timed(() => onePassFloor(data)));
    sample();
  }
  // the reference must compute the same numbers, or the comparison means nothing
  const check = rescanSample(data, Date.UTC(2022, 0, 1), 1500, true);
  let maxVolDiff = 0;
  let maxCorrDiff = 0;
  runReplay(data, config, {
    onStep: (step) => {
      for (const f of step.features) {
        const v = check.vol24.get(`${f.symbol}|${f.ts}`);
        if (v !== undefined && f.volatility.volatility_24h !== null) maxVolDiff = Math.max(maxVolDiff, Math.abs(v - f.volatility.volatility_24h));
      }
      for (const p of step.correlations.pairs) {
        const c = check.corr.get(`${p.a}/${p.b}|${step.ts}`);
        if (c !== undefined && p.corr !== null) maxCorrDiff = Math.max(maxCorrDiff, Math.abs(c - p.corr));
      }
    },
  });

  const pairRatios = ours.slice(0, rescan.length).map((o, i) => rescan[i].wall / o.wall);
  const pairCpuRatios = ours.slice(0, rescan.length).map((o, i) => rescan[i].cpu / o.cpu);
  const oursWall = benchMedian(ours.map((t) => t.wall));
  const oursCpu = benchMedian(ours.map((t) => t.cpu));
  const floorWall = benchMedian(floor.map((t) => t.wall));
  const floorCpu = benchMedian(floor.map((t) => t.cpu));
  lines.push(
    `symbol-hours           ours ${symbolHours.toLocaleString('en-US')}, rescan ${rescanSymbolHours.toLocaleString('en-US')} (${hours.toLocaleString('en-US')} clock hours, every symbol)`,
    machineShareLine(machine()),
    `replay (ours)          median wall ${s(oursWall)}, CPU ${s(oursCpu)} over ${ours.length} runs (${((oursCpu * 1000) / symbolHours).toFixed(2)} µs CPU per symbol-hour)   goal < 1 s   ${oursWall < 1000 ? 'MET' : 'NOT MET'}`,
    `rescan reference       median wall ${s(benchMedian(rescan.map((t) => t.wall)))}, CPU ${s(benchMedian(rescan.map((t) => t.cpu)))} over ${rescan.length} FULL-history runs${stoppedEarly ? ` (stopped: one run used over ${RESCAN_BUDGET_MS / 1000} s of CPU)` : ''}`,
    `  agreement on 2022-01-01 + 1,500 h: max |Δ volatility_24h| ${maxVolDiff.toExponential(1)}, max |Δ corr| ${maxCorrDiff.toExponential(1)}`,
    `ratio rescan / ours    per pair wall ${pairRatios.map((r) => `${r.toFixed(1)}×`).join(', ')}; CPU ${pairCpuRatios.map((r) => `${r.toFixed(1)}×`).join(', ')}`,
    `                       median wall ${benchMedian(pairRatios).toFixed(1)}×, CPU ${benchMedian(pairCpuRatios).toFixed(1)}×   goal ≥ 50×   ${benchMedian(pairCpuRatios) >= 50 ? 'MET' : 'NOT MET'} (measured, not extrapolated)`,
    `one-pass floor         median wall ${(floorWall).toFixed(1)} ms, CPU ${floorCpu.toFixed(1)} ms: ours is ${(oursCpu / floorCpu).toFixed(0)}× the floor (CPU), the rescan ${(benchMedian(rescan.map((t) => t.cpu)) / floorCpu).toFixed(0)}×`,
    `peak RSS (process)     ${(peakRss / 2 ** 20).toFixed(0)} MiB   goal < 500 MB   ${peakRss < 500e6 ? 'MET' : 'NOT MET'}`,
  );
  return lines;
}
