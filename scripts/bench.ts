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

const sections: Record<string, () => Promise<void>> = { load: benchLoad };
const only = process.argv.slice(2);
console.log(`Regime Workbench bench — node ${process.version}, ${new Date().toISOString()}\n`);
for (const [name, run] of Object.entries(sections)) {
  if (only.length === 0 || only.includes(name)) await run();
}
