// The sweep's random baseline on its worker threads: the slices claimed from the shared counter give the same values,
// bit for bit, as one thread computing every permutation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { permutationValues } from '../score/baseline.ts';
import { baselineSpecsOf } from '../score/score.ts';
import type { ScorableAlert } from '../score/types.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { sharedBaseline } from './baseline-runner.ts';
import { WorkerPool } from './pool.ts';
import { toShared } from './shared.ts';
import { parseSweepSpec } from './spec.ts';
import { periodsOf, resolveFrame } from './sweep.ts';
import type { SweepContext } from './jobs.ts';

const SPEC = { from: '2023-03-01', to: '2023-05-01', warmup_hours: 24, split: { holdout_from: '2023-04-10' }, grid: { 'rules.funding_abs_z': [2] }, select: { metric: 'nab' }, score: { permutations: 120 } };

let store: Store;
let pool: WorkerPool;
let ctx: SweepContext;

beforeAll(async () => {
  store = await openStore();
  const spec = parseSweepSpec(SPEC);
  const data = await loadReplayData(store, [...spec.baseConfig.symbols], { from: spec.from! - spec.warmupHours * HOUR_MS, to: spec.to ?? undefined });
  const frame = resolveFrame(spec, data);
  ctx = toShared<SweepContext>({ data, periods: periodsOf(frame, data, spec), emitFrom: frame.emitFrom, emitUntil: frame.emitUntil });
  pool = new WorkerPool(2);
  pool.init(ctx);
});
afterAll(async () => {
  await pool?.close();
  store?.close();
});

describe('sharedBaseline', () => {
  it('computes every permutation once across the workers, with the bits of one thread', async () => {
    const holdout = ctx.periods[1];
    // SYNTHETIC alerts: every 7th hour of the holdout on each symbol, directions alternating
    const alerts: ScorableAlert[] = [];
    ctx.data.symbols.forEach((symbol, s) => {
      for (let t = holdout.from, i = 0; t < holdout.to; t += 7 * HOUR_MS, i++) {
        alerts.push({ id: `synthetic-${s}-${i}`, ts: t, symbol, source: i % 2 ? 'volatility' : 'funding', event_type: i % 2 ? 'VOLATILITY_REGIME_CHANGE' : 'FUNDING_ANOMALY', severity: i % 3 ? 'INFO' : 'WARNING', direction: i % 2 ? 1 : -1 });
      }
    });
    const [spec] = baselineSpecsOf(holdout.market, alerts);
    expect(spec.permutations).toBe(120);
    const alone = permutationValues(holdout.market, spec, 0, spec.permutations);
    // slices of 1 and of 7 permutations: every worker claims many, the last one short
    for (const perSlice of [1, 7]) {
      const { values, slices } = await sharedBaseline(pool, holdout, spec, perSlice * spec.keys.length);
      expect(slices).toHaveLength(2);
      expect(slices[0] + slices[1]).toBe(Math.ceil(spec.permutations / perSlice));
      expect(Buffer.from(values.buffer).equals(Buffer.from(alone.buffer))).toBe(true);
    }
  });
});
