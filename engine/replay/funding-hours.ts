/**
 * Funding settlements by replay hour, apart from the loading in replay-data.ts: the replay needs this, not DuckDB.
 */
import type { FundingColumns } from '../data/load.ts';
import { HOUR_MS, type FundingInput } from '../pipeline/input.ts';

/**
 * The settlement that belongs to each clock hour, for hours asked in increasing order: one inside [t, t + 1h)
 * (settlement times are on the hour; of two in one hour the later stands), none before the first hour asked.
 * The replay and the sweep's feature cache both use it, so they hand the funding detector the same inputs.
 */
export function fundingByHour(funding: FundingColumns): (hour: number) => FundingInput | null {
  const { ts, rate, intervalHours } = funding;
  let k = 0;
  return (t: number) => {
    let f: FundingInput | null = null;
    while (k < ts.length && ts[k] < t + HOUR_MS) {
      if (ts[k] >= t) f = { rate: rate[k], intervalHours: intervalHours[k], settledAt: ts[k] };
      k++;
    }
    return f;
  };
}
