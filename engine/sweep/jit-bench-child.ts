/**
 * What the JIT costs a sweep worker, in a process of its own so its code starts cold: one lane's stretch of the
 * bench spec (the first configurations of its locality path, as a worker walks them) evaluated and scored as a
 * worker does (SweepJobs.evaluateRow), three times over, each time with fresh state (a new feature index, so new
 * regime states, and new evaluator, scorers and forward-return rows) and the code as the earlier rounds left it.
 * The first round pays V8's warm-up (interpreted and baseline code until the optimising compiler's code is
 * installed, and that compiler's own threads); the last pays the same work with the code warm. Prints one JSON
 * line: each round's process CPU (every thread: the compiler's too) and wall.
 */
import { performance } from 'node:perf_hooks';
import { openStore } from '../data/store.ts';
import { loadReplayData, type ReplayData } from '../replay/replay-data.ts';
import { compactLayout } from '../score/evaluator.ts';
import { BENCH_SPEC, inDispatchOrder } from './bench.ts';
import { withSharedIndex } from './feature-index.ts';
import { computeFeatures } from './features.ts';
import { SweepJobs } from './jobs.ts';
import { planEvaluation } from './keys.ts';
import { parseSweepSpec } from './spec.ts';
import { periodsOf, resolveFrame } from './sweep.ts';

/** half the bench spec: what each of the two workers evaluates */
const LANE_CONFIGS = 500;
const ROUNDS = 3;

function processCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

async function main(): Promise<void> {
  const spec = parseSweepSpec(BENCH_SPEC);
  const store = await openStore();
  let data: ReplayData;
  try {
    data = await loadReplayData(store, [...spec.baseConfig.symbols]);
  } finally {
    store.close();
  }
  const frame = resolveFrame(spec, data);
  const periods = periodsOf(frame, data, spec);
  for (const p of periods) p.layout = compactLayout(p.market);
  const configs = inDispatchOrder(spec, LANE_CONFIGS);
  const plan = planEvaluation(configs[0]);
  const features = computeFeatures(data, plan.featureConfig, plan.featureKey);
  const rounds: { cpuMs: number; wallMs: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const fs = withSharedIndex(structuredClone(features));
    const jobs = new SweepJobs({ data, periods, emitFrom: frame.emitFrom, emitUntil: frame.emitUntil });
    const c0 = processCpuMs();
    const w0 = performance.now();
    for (let i = 0; i < configs.length; i++) jobs.evaluateRow(configs[i], plan.featureKey, i === 0 ? fs : null);
    rounds.push({ cpuMs: processCpuMs() - c0, wallMs: performance.now() - w0 });
  }
  process.stdout.write(`${JSON.stringify({ configurations: configs.length, rounds })}\n`);
}

await main();
