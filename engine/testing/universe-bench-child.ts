/**
 * One universe-scale measurement in its own process, so its peak RSS is its own: generates the SYNTHETIC
 * universe, replays it through the Pipeline and prints one JSON line. Args: symbols years pairs [anchors]
 * or `--datasets DIR symbols,…` to replay an imported dataset instead.
 */
import { performance } from 'node:perf_hooks';
import { CorrelationDetector } from '../detectors/correlation.ts';
import { parseConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { runReplay } from '../replay/replay.ts';
import type { ReplayData } from '../replay/replay-data.ts';
import { syntheticUniverse } from './synthetic-universe.ts';
import { ownPeakRssMb } from './peak-rss.ts';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let data: ReplayData;
  let pairs: string;
  const t0 = performance.now();
  if (args[0] === '--datasets') {
    const { openStore } = await import('../data/store.ts');
    const { loadReplayData } = await import('../replay/replay-data.ts');
    const store = await openStore({ datasetsDir: args[1] });
    try {
      data = await loadReplayData(store, args[2].split(','));
    } finally {
      store.close();
    }
    pairs = args[3] ?? 'all';
  } else {
    const n = Number(args[0]);
    const years = Number(args[1]);
    pairs = args[2] ?? 'all';
    data = syntheticUniverse({ symbols: n, hours: Math.round(years * 8766), seed: 13 });
  }
  const loadMs = performance.now() - t0;
  // synthetic symbols have no BTC/ETH: their first two stand in as the anchors
  const anchors = data.symbols.includes('BTCUSDT') ? ['BTCUSDT', 'ETHUSDT'] : data.symbols.slice(0, 2);
  const config = parseConfig({ symbols: data.symbols, correlation: { pairs, anchors } });
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  let pairCount = 0;
  const r = runReplay(data, config, {
    onStep: (s) => {
      pairCount = s.correlations.columns.size;
    },
  });
  const wallMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  // the correlation detector alone over the same closes: its cost per pair-hour, the figure that must stay flat in N
  const det = new CorrelationDetector(config.symbols, config.correlation);
  const cursors = data.series.map(() => 0);
  const closes = new Float64Array(data.symbols.length);
  const cpu1 = process.cpuUsage();
  const t2 = performance.now();
  for (let ts = data.firstHour; ts <= data.lastHour; ts += HOUR_MS) {
    for (let s = 0; s < closes.length; s++) {
      const c = data.series[s].candles;
      const i = cursors[s];
      if (i < c.ts.length && c.ts[i] === ts) {
        closes[s] = c.close[i];
        cursors[s] = i + 1;
      } else closes[s] = NaN;
    }
    det.step(ts, closes);
  }
  const corrWallMs = performance.now() - t2;
  const corrCpu = process.cpuUsage(cpu1);
  const out = {
    symbols: data.symbols.length,
    hours: r.hoursStepped,
    symbolHours: r.symbolHours,
    pairs: pairCount,
    pairHours: pairCount * r.hoursStepped,
    alerts: r.alerts.length,
    loadMs,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    corrWallMs,
    corrCpuMs: (corrCpu.user + corrCpu.system) / 1000,
    maxRssMb: ownPeakRssMb(),
  };
  console.log(JSON.stringify(out));
}

await main();
