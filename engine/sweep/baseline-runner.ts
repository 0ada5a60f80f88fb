/**
 * The selected configuration's random baseline on the sweep's own worker threads, which sit idle while the
 * report is built: each baseline job is cut into slices of permutations, and the values land at their
 * permutation's place. A permutation's draws are a hash of (seed, alert, permutation) (engine/score's
 * BaselinePool relies on the same property), so the scorecard is bit-identical to one thread computing it.
 */
import { metricCount, placeSlice } from '../score/baseline.ts';
import type { BaselineRunner } from '../score/score.ts';
import type { Market } from '../score/market.ts';
import type { WorkerPool } from './pool.ts';
import type { Period } from './jobs.ts';

/** alert placements per slice: a few slices per worker, so the two finish together */
const DRAWS_PER_SLICE = 50_000;

/** a runner for markets the workers hold as periods; any other market is refused (the caller scores it inline) */
export function sweepBaselineRunner(pool: WorkerPool, periods: readonly Period[]): BaselineRunner {
  return async (market: Market, jobs) => {
    const period = periods.find((p) => p.market === market);
    if (!period) throw new Error('sweep baseline: the market is not one of the sweep periods');
    return Promise.all(
      jobs.map(async (j) => {
        const m = metricCount(market);
        const values = new Float64Array(j.rows.length * j.permutations * m);
        const per = Math.max(1, Math.floor(DRAWS_PER_SLICE / Math.max(1, j.keys.length)));
        const slices: Promise<void>[] = [];
        for (let from = 0; from < j.permutations; from += per) {
          const to = Math.min(j.permutations, from + per);
          const job = { kind: 'baseline' as const, period: period.name, spec: j, from, to };
          slices.push(pool.run<Float64Array>(job).then((v) => placeSlice(values, v, j.rows.length, j.permutations, from, to, m)));
        }
        await Promise.all(slices);
        return values;
      }),
    );
  };
}
