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
import { periodsOf, resolveFrame, runSweep } from './sweep.ts';
import { computeFeatures } from './features.ts';
import { ColumnarEvaluator } from './evaluate.ts';
import { PeriodScorer, scorableColumns } from './metrics.ts';
import { PrecisionTest } from './precision-pvalue.ts';
import type { ReplayData } from '../replay/replay-data.ts';
import type { SweepSpec } from './spec.ts';
import { planEvaluation } from './keys.ts';
import { benchMedian } from '../testing/bench-median.ts';

const CONFIGS = 1000;

function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

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

/** CPU ms of the whole process, worker threads included (getrusage) */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}


/**
 * One worker's job per configuration, in this thread, split into its parts (CPU ms per configuration, median
 * of rounds): the rules and cooldown (evaluate.ts), the scorer's metrics and the exact precision p-value,
 * each over both periods. The first configurations warm the rules' caches up and are not counted.
 */
function perConfigurationSplit(data: ReplayData, spec: SweepSpec): { features: number; parts: Record<string, number> } {
  const frame = resolveFrame(spec, data);
  const periods = periodsOf(frame, data, spec);
  const configs = [...randomVariants(spec.random!)].slice(0, 260).map((p) => parseConfig(applyParams(spec.base, p)));
  const plan = planEvaluation(configs[0]);
  const t0 = cpuMs();
  const fs = computeFeatures(data, plan.featureConfig, plan.featureKey);
  const evaluator = new ColumnarEvaluator(fs);
  evaluator.evaluate(configs[0]);
  const features = cpuMs() - t0;
  const scorers = periods.map((p) => ({ scorer: new PeriodScorer(p.market, data.symbols, p.from, p.to), test: new PrecisionTest(p.market, data.symbols, p.from, p.to) }));
  const range = { from: frame.emitFrom, until: frame.emitUntil };
  for (const c of configs.slice(0, 60)) evaluator.evaluate(c, range);
  const rounds: Record<string, number>[] = [];
  for (let r = 0; r < 4; r++) {
    const t = { rules: 0, metrics: 0, p_value: 0 };
    const batch = configs.slice(60 + r * 50, 110 + r * 50);
    for (const c of batch) {
      let x = cpuMs();
      const cols = scorableColumns(fs, evaluator.evaluate(c, range));
      let y = cpuMs();
      t.rules += y - x;
      for (const { scorer, test } of scorers) {
        x = y;
        scorer.score(cols);
        y = cpuMs();
        t.metrics += y - x;
        x = y;
        test.pValue(cols);
        y = cpuMs();
        t.p_value += y - x;
      }
    }
    rounds.push(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v / batch.length])));
  }
  const parts = Object.fromEntries(Object.keys(rounds[0]).map((k) => [k, benchMedian(rounds.map((r) => r[k]))]));
  return { features, parts };
}

export async function benchSweep(): Promise<string[]> {
  const lines: string[] = [];
  const spec = parseSweepSpec(BENCH_SPEC);
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-bench-sweep-'));
  const store = await openStore();
  try {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const cpu0 = cpuMs();
    const t0 = performance.now();
    const report = await runSweep(store, spec, { resultsDir });
    const wall = performance.now() - t0;
    const cpu = cpuMs() - cpu0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const perSecond = (CONFIGS / wall) * 1000;
    const st = report.run.stages_ms;
    // the feature replay runs inside the evaluation stage (the first configurations wait for it): timed here alone
    const data = await loadReplayData(store, [...spec.baseConfig.symbols]);
    const split = perConfigurationSplit(data, spec);
    const perConfigCpu = Object.values(split.parts).reduce((a, b) => a + b, 0);
    const perConfig = Math.max(0, st.evaluate - split.features) / Math.max(1, report.run.computed);
    const fixed = st.load + st.markets + split.features + st.report;
    lines.push(`configurations          ${report.configurations.tried.toLocaleString('en-US')} (${report.configurations.invalid} invalid), ${report.configurations.feature_sets} feature set, ${report.run.workers} workers on ${os.availableParallelism()} CPUs; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (shared machine)`);
    lines.push(`sweep wall (end to end) ${(wall / 1000).toFixed(2)} s = ${perSecond.toFixed(0)} configurations/s   goal >= 500/s   ${perSecond >= 500 ? 'MET' : 'NOT MET'}`);
    lines.push(`  CPU (all threads)     ${(cpu / 1000).toFixed(2)} s = ${((cpu / wall) * 100).toFixed(0)} % of one core over the wall time (2 cores = 200 %: below that, the machine was busy with other work)`);
    lines.push(`  stages: load ${fmtS(st.load)}, markets ${fmtS(st.markets)}, evaluation ${fmtS(st.evaluate)} (features ${(split.features / 1000).toFixed(2)} s CPU — feature replay + rule index, timed alone — then ≈ ${perConfig.toFixed(1)} ms wall per configuration on ${report.run.workers} workers — an estimate: evaluation wall minus the features' CPU timed alone), report ${fmtS(st.report)} (q-values, results.parquet, the selected configuration's scorecard with its 1,000-permutation baseline)`);
    lines.push(`  per configuration     ${perConfigCpu.toFixed(1)} ms CPU in one thread = ${Object.entries(split.parts).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' + ')} (ms, median of 4 rounds of 50; train and holdout each scored) → at most ${((1000 / perConfigCpu) * os.availableParallelism()).toFixed(0)} configurations/s on ${os.availableParallelism()} idle cores before any fixed cost`);
    lines.push(`  fixed cost ≈ ${fmtS(fixed)} (load + markets + report as timed in the sweep, + features timed alone)   goal < 2 s   ${fixed < 2000 ? 'MET' : 'NOT MET'}`);
    lines.push(`peak RSS (process)      ${(peak / 2 ** 20).toFixed(0)} MiB (start ${(rss0 / 2 ** 20).toFixed(0)} MiB; workers share the process)   goal < 500 MB   ${peak < 500e6 ? 'MET' : 'NOT MET'}`);

    // the reference: each configuration replayed through the Pipeline and scored on its own
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
