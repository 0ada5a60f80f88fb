/**
 * `npm run bench`: the figures the issues ask for, measured side by side in one run on this machine.
 * Each section prints what it measured, the goal, and the ratio to its reference.
 */
import { performance } from 'node:perf_hooks';
import { openStore } from '../engine/data/store.ts';
import { loadCandles, loadFunding } from '../engine/data/load.ts';
import { queryValue } from '../engine/data/duckdb.ts';

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
  replay: external(async () => (await import('./bench/replay-bench.ts')).benchReplayReference),
  backtest: external(async () => (await import('./bench/backtest-bench.ts')).benchBacktest),
  features: external(async () => (await import('../engine/replay/features-bench.ts')).benchFeatures),
  startup: external(async () => (await import('./bench/backtest-bench.ts')).benchStartup),
  signals: external(async () => (await import('../engine/replay/bench-signals.ts')).benchSignals),
  sweep: external(async () => {
    const { benchSweep } = await import('../engine/sweep/bench.ts');
    return async () => ['## Sweep: 1,000 threshold configurations over the full bundled data', ...(await benchSweep())];
  }),
  queue: external(async () => (await import('../engine/sweep/queue-bench.ts')).benchQueue),
  'walk-forward': external(async () => async () => ['## Walk-forward sweep: notebooks/sweeps/walk-forward.json', ...(await (await import('../engine/sweep/walk-forward-bench.ts')).benchWalkForward())]),
  report: external(async () => (await import('../engine/report/bench.ts')).benchReport),
  live: external(async () => (await import('../engine/live/bench.ts')).benchLiveLatency),
  'live-commit': external(async () => (await import('../engine/live/commit-bench.ts')).benchLiveCommit),
  'live-crash': external(async () => (await import('../engine/live/bench-faults.ts')).benchLiveCrash),
  rolling: external(async () => (await import('../engine/detectors/bench.ts')).benchRollingStats),
  freqtrade: external(async () => (await import('../engine/data/freqtrade-bench.ts')).benchFreqtrade),
  pnl: external(async () => (await import('../engine/score/pnl-bench.ts')).benchPnl),
  scoring: external(async () => (await import('../engine/score/score-bench.ts')).benchScoring),
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
