/**
 * `npm run bench`: the figures the issues ask for, measured side by side in one run on this machine.
 * Each section prints what it measured, the goal, and the ratio to its reference.
 */
import { performance } from 'node:perf_hooks';
import { openStore } from '../engine/data/store.ts';
import { loadCandles, loadFunding } from '../engine/data/load.ts';
import { queryValue } from '../engine/data/duckdb.ts';
import { loadReplayData } from '../engine/replay/replay-data.ts';
import { runReplay } from '../engine/replay/replay.ts';
import { defaultConfig } from '../engine/pipeline/config.ts';
import { rescanSample } from './bench/rescan-reference.ts';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

async function timeBest<T>(runs: number, fn: () => Promise<T>): Promise<{ best: number; median: number; value: T }> {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    value = await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { best: times[0], median: times[Math.floor(times.length / 2)], value };
}

async function benchLoad(): Promise<void> {
  console.log('## Load bundled spot candles + funding (BTC, ETH, SOL) from Parquet into typed arrays');
  const store = await openStore();
  try {
    const load = await timeBest(7, async () => {
      let rows = 0;
      for (const s of SYMBOLS) {
        const [c, f] = await Promise.all([loadCandles(store, s), loadFunding(store, s)]);
        rows += c.ts.length + f.ts.length;
      }
      return rows;
    });
    const floor = await timeBest(7, async () =>
      Number(await queryValue(store.conn, `SELECT (SELECT count(*) FROM candles_1h) + (SELECT count(*) FROM funding)`)),
    );
    console.log(`rows loaded            ${load.value.toLocaleString('en-US')} (count(*) says ${floor.value.toLocaleString('en-US')})`);
    console.log(`typed-array load       median ${fmt(load.median)}, best ${fmt(load.best)}   goal < 300 ms   ${load.median < 300 ? 'MET' : 'NOT MET'}`);
    console.log(`DuckDB count(*) floor  median ${fmt(floor.median)}, best ${fmt(floor.best)}`);
    console.log(`ratio load / floor     ${(load.median / floor.median).toFixed(1)}×\n`);
  } finally {
    store.close();
  }
}

async function benchReplay(): Promise<void> {
  console.log('## Full replay: every bundled symbol and year through all five detectors and the rules');
  const store = await openStore();
  const config = defaultConfig();
  const data = await loadReplayData(store, config.symbols);
  store.close();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const runs: number[] = [];
  let symbolHours = 0;
  let alerts = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = runReplay(data, config, {
      onProgress: () => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      },
    });
    runs.push(performance.now() - t0);
    symbolHours = r.symbolHours;
    alerts = r.alerts.length;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)];
  console.log(`symbol-hours           ${symbolHours.toLocaleString('en-US')} (${alerts} alerts)`);
  console.log(`replay wall            median ${fmt(median)}, best ${fmt(runs[0])} of ${runs.length}   goal < 1000 ms   ${median < 1000 ? 'MET' : 'NOT MET'}`);
  console.log(`peak RSS (process)     ${(peakRss / 2 ** 20).toFixed(0)} MiB   goal < 500 MB   ${peakRss < 500e6 ? 'MET' : 'NOT MET'}`);

  // The window-rescan reference on a sample, extrapolated (labelled as such).
  const sampleHours = 1500;
  const from = Date.UTC(2022, 0, 1);
  // best of 2, so both sides are measured with a warmed-up JIT
  let rescanMs = Infinity;
  let sample = rescanSample(data, from, 24);
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    sample = rescanSample(data, from, sampleHours);
    rescanMs = Math.min(rescanMs, performance.now() - t0);
  }
  const perSymbolHour = rescanMs / sample.symbolHours;
  const extrapolated = perSymbolHour * symbolHours;
  // the reference must compute the same numbers, or the comparison means nothing
  let maxVolDiff = 0;
  let maxCorrDiff = 0;
  runReplay(data, config, {
    onStep: (step) => {
      if (step.ts < from || step.ts >= from + sampleHours * 3_600_000) return;
      for (const f of step.features) {
        const v = sample.vol24.get(`${f.symbol}|${f.ts}`);
        if (v !== undefined && f.volatility.volatility_24h !== null) maxVolDiff = Math.max(maxVolDiff, Math.abs(v - f.volatility.volatility_24h));
      }
      for (const p of step.correlations.pairs) {
        const c = sample.corr.get(`${p.a}/${p.b}|${step.ts}`);
        if (c !== undefined && p.corr !== null) maxCorrDiff = Math.max(maxCorrDiff, Math.abs(c - p.corr));
      }
    },
  });
  console.log(`rescan reference       ${fmt(rescanMs)} for a SAMPLE of ${sample.symbolHours.toLocaleString('en-US')} symbol-hours (2022-01-01 + ${sampleHours} h)`);
  console.log(`  EXTRAPOLATED to the full replay: ${(extrapolated / 1000).toFixed(1)} s (${(perSymbolHour * 1000).toFixed(1)} µs per symbol-hour)`);
  console.log(`  agreement with the detectors on the sample: max |Δ volatility_24h| ${maxVolDiff.toExponential(1)}, max |Δ corr| ${maxCorrDiff.toExponential(1)}`);
  const ratio = extrapolated / median;
  console.log(`ratio rescan / ours    ${ratio.toFixed(0)}× (extrapolated)   goal ≥ 50×   ${ratio >= 50 ? 'MET' : 'NOT MET'}\n`);
}

/** sections whose measurement lives beside the code it measures; each returns printable lines */
function external(load: () => Promise<() => Promise<string[]>>): () => Promise<void> {
  return async () => {
    const run = await load();
    for (const line of await run()) console.log(line);
    console.log('');
  };
}

const sections: Record<string, () => Promise<void>> = {
  load: benchLoad,
  replay: benchReplay,
  signals: external(async () => (await import('../engine/replay/bench-signals.ts')).benchSignals),
  sweep: external(async () => {
    const { benchSweep } = await import('../engine/sweep/bench.ts');
    return async () => ['## Sweep: 1,000 threshold configurations over the full bundled data', ...(await benchSweep())];
  }),
  queue: external(async () => (await import('../engine/sweep/queue-bench.ts')).benchQueue),
  'walk-forward': external(async () => async () => ['## Walk-forward sweep: notebooks/sweeps/walk-forward.json', ...(await (await import('../engine/sweep/walk-forward-bench.ts')).benchWalkForward())]),
  report: external(async () => (await import('../engine/report/bench.ts')).benchReport),
  live: external(async () => (await import('../engine/live/bench.ts')).benchLiveLatency),
  'live-crash': external(async () => (await import('../engine/live/bench-faults.ts')).benchLiveCrash),
  rolling: external(async () => (await import('../engine/detectors/bench.ts')).benchRollingStats),
  freqtrade: external(async () => (await import('../engine/data/freqtrade-bench.ts')).benchFreqtrade),
  pnl: external(async () => (await import('../engine/score/pnl-bench.ts')).benchPnl),
  import: external(async () => (await import('../engine/data/import-bench.ts')).benchImport),
  'import-crash': external(async () => (await import('../engine/data/crash-bench.ts')).benchImportCrash),
  web: external(async () => (await import('../web/bench.ts')).benchWeb),
  universe: external(async () => (await import('../engine/testing/universe-bench.ts')).benchUniverse),
};
const only = process.argv.slice(2);
console.log(`Regime Workbench bench — node ${process.version}, ${new Date().toISOString()}\n`);
for (const [name, run] of Object.entries(sections)) {
  if (only.length === 0 || only.includes(name)) await run();
}
