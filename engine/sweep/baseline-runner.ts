/**
 * The selected configuration's random baseline on the sweep's own worker threads, which sit idle while the
 * report is built. Every worker gets the whole job once and claims slices of permutations from a shared counter
 * until none is left, writing each slice's values at its permutations' place in shared memory: no slice waits on
 * this thread, which scores the train period meanwhile (handed out one message at a time, the slices waited for
 * it to finish). A permutation's draws are a hash of (seed, alert, permutation) (engine/score's BaselinePool
 * relies on the same property), so the scorecard is bit-identical to one thread computing it, whichever worker
 * took which slice.
 */
import { metricCount, type BaselineSpec } from '../score/baseline.ts';
import type { BaselineRunner } from '../score/score.ts';
import type { Market } from '../score/market.ts';
import type { WorkerPool } from './pool.ts';
import type { Period } from './jobs.ts';

/** alert placements per slice: small, so the workers finish together (a claim is one atomic add) */
const DRAWS_PER_SLICE = 20_000;

/** one baseline's values (permutationValues' layout over all its permutations) and how many slices each worker computed */
export async function sharedBaseline(pool: WorkerPool, period: Period, spec: BaselineSpec, drawsPerSlice = DRAWS_PER_SLICE): Promise<{ values: Float64Array; slices: number[] }> {
  const values = new Float64Array(new SharedArrayBuffer(spec.rows.length * spec.permutations * metricCount(period.market) * Float64Array.BYTES_PER_ELEMENT));
  const job = {
    kind: 'baseline' as const,
    period: period.name,
    spec,
    next: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    values: values.buffer as SharedArrayBuffer,
    chunk: Math.max(1, Math.floor(drawsPerSlice / Math.max(1, spec.keys.length))),
  };
  // one job per worker: a worker still busy when the others have claimed every slice finds none left
  const slices = await Promise.all(Array.from({ length: pool.size }, (_, lane) => pool.run<number>(job, null, lane)));
  return { values, slices };
}

/** a runner for markets the workers hold as periods; any other market is refused (the caller scores it inline) */
export function sweepBaselineRunner(pool: WorkerPool, periods: readonly Period[]): BaselineRunner {
  return async (market: Market, specs) => {
    const period = periods.find((p) => p.market === market);
    if (!period) throw new Error('sweep baseline: the market is not one of the sweep periods');
    return Promise.all(specs.map(async (spec) => (await sharedBaseline(pool, period, spec)).values));
  };
}
