/**
 * The sweep figure for `npm run bench`: 1,000 threshold configurations over the full bundled data, against
 * full independent replays (a sample timed and extrapolated, labelled as such). Call benchSweep() and print
 * the lines it returns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../data/store.ts';
import { parseConfig } from '../pipeline/config.ts';
import { pricesOf, toScorable } from '../replay/score-alerts.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { prepareMarket, scoreOnMarket } from '../score/index.ts';
import { applyParams, randomVariants } from './expand.ts';
import { parseSweepSpec } from './spec.ts';
import { runSweep } from './sweep.ts';

const CONFIGS = 1000;

/** every config differs in thresholds of every detector, so no rule's candidates are reused between configs */
export const BENCH_SPEC = {
  split: { holdout_fraction: 0.3 },
  random: {
    n: CONFIGS,
    seed: 2024,
    params: {
      'volatility.thresholds.extreme': { min: 2.6, max: 4 },
      'rules.funding_abs_z': { min: 1.2, max: 3 },
      'rules.regime_min_confidence': [0.5, 0.75, 1],
      'regime.chop.max_heat': { min: 0.3, max: 0.6 },
      'regime.ignition.min_price_z': { min: 0.5, max: 1.5 },
      'correlation.break_drop': { min: 0.15, max: 0.45 },
      'cooldown.REGIME_CONFIRMED.cooldown_hours': { min: 0, max: 12 },
      'cascade.cascade_threshold_usd': { min: 2e5, max: 2e6 },
    },
  },
  select: { metric: 'nab', by: 'train' },
  score: { permutations: 1000 },
};

export async function benchSweep(): Promise<string[]> {
  const lines: string[] = [];
  const spec = parseSweepSpec(BENCH_SPEC);
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-bench-sweep-'));
  const store = await openStore();
  try {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = performance.now();
    const report = await runSweep(store, spec, { resultsDir });
    const wall = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const perSecond = (CONFIGS / wall) * 1000;
    lines.push(`configurations          ${report.configurations.tried.toLocaleString('en-US')} (${report.configurations.invalid} invalid), ${report.configurations.feature_sets} feature set, ${report.run.workers} workers on ${os.availableParallelism()} CPUs`);
    lines.push(`sweep wall (end to end) ${(wall / 1000).toFixed(2)} s = ${perSecond.toFixed(0)} configurations/s   goal < 10 s (>= 100/s)   ${wall < 10_000 ? 'MET' : 'NOT MET'}`);
    lines.push(`  of which evaluating   ${(report.run.compute_ms / 1000).toFixed(2)} s (${report.run.per_second}/s, feature replay included); the rest is loading, markets, the best config's 1,000-permutation holdout baseline, Parquet`);
    lines.push(`peak RSS (process)      ${(peak / 2 ** 20).toFixed(0)} MiB (start ${(rss0 / 2 ** 20).toFixed(0)} MiB; workers share the process)`);

    // the reference: each configuration replayed through the Pipeline and scored on its own
    const data = await loadReplayData(store, [...spec.baseConfig.symbols]);
    const market = prepareMarket(pricesOf(data, data.firstHour), { permutations: 0 });
    const sample = [...randomVariants(spec.random)].slice(0, 3).map((p) => parseConfig(applyParams(spec.base, p)));
    const t1 = performance.now();
    for (const config of sample) scoreOnMarket(market, runReplay(data, config).alerts.map(toScorable));
    const perReplay = (performance.now() - t1) / sample.length;
    const extrapolated = perReplay * CONFIGS;
    lines.push(`full replays            ${(perReplay / 1000).toFixed(2)} s each (replay + scorecard), a SAMPLE of ${sample.length}`);
    lines.push(`  EXTRAPOLATED to ${CONFIGS.toLocaleString('en-US')} configurations: ${(extrapolated / 1000).toFixed(0)} s single-threaded`);
    lines.push(`ratio replays / sweep   ${(extrapolated / wall).toFixed(0)}× (extrapolated)`);
  } finally {
    store.close();
    fs.rmSync(resultsDir, { recursive: true, force: true });
  }
  return lines;
}
