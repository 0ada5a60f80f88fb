/**
 * The P&L's random entries as they were computed before they were made fast (walk to the exit of every drawn
 * entry, shuffle the legs themselves, sort the picks): the reference the identity test and `npm run bench -- scoring`
 * compare the current code with. Not used by the product.
 */
import type { Grid } from './grid.ts';
import type { PnlRow, RandomEntries, Trade } from './pnl.ts';
import { strategyOf, type PnlOptions } from './pnl-options.ts';
import { hashSeed, Mulberry32 } from './prng.ts';
import { median } from './stats.ts';

/** the previous spacedSample: a byte per value and a sort */
export function referenceSample(random: Mulberry32, size: number, k: number, spacing: number): number[] {
  let s = spacing;
  if (k > 1 && size - (k - 1) * (s - 1) < k) s = Math.max(1, Math.floor((size - k) / (k - 1)) + 1);
  const m = size - (k - 1) * (s - 1);
  const taken = new Uint8Array(m);
  const picks: number[] = [];
  for (let j = m - k; j < m; j++) {
    const t = random.below(j + 1);
    const v = taken[t] ? j : t;
    taken[v] = 1;
    picks.push(v);
  }
  picks.sort((a, b) => a - b);
  return picks.map((v, i) => v + i * (s - 1));
}

interface RefLeg {
  d: number;
  hold: number;
}

/** the previous random entries of one row (`actual`: the strategy's unrounded total return): legs shuffled in place, every entry walked to its exit */
export function referenceRandom(grid: Grid, row: PnlRow, trades: Trade[], actual: number, o: PnlOptions): RandomEntries {
  const fee = o.fee_pct / 100;
  const random = new Mulberry32(hashSeed(o.seed, `pnl|${row.key}`));
  const plans = row.symbols.map((s) => ({
    range: grid.bySymbol.get(s)!,
    legs: trades.filter((t) => t.symbol === s).map((t): RefLeg => ({ d: t.direction, hold: strategyOf(o, t.event_type).hold_hours })),
  }));
  const exit = (g: number, hold: number) => {
    const firstMissing = grid.nextMissing[g + 1];
    return firstMissing > g + hold ? g + hold : firstMissing - 1;
  };
  const n = o.random_entries;
  const totals: number[] = [];
  let taken = 0;
  let asGood = 0;
  for (let p = 0; p < n; p++) {
    let sum = 0;
    for (const plan of plans) {
      const k = plan.legs.length;
      if (k === 0) {
        sum += 1;
        continue;
      }
      for (let i = k - 1; i > 0; i--) {
        const j = random.below(i + 1);
        [plan.legs[i], plan.legs[j]] = [plan.legs[j], plan.legs[i]];
      }
      const idx = referenceSample(random, plan.range.present.length, k, Math.max(1, ...plan.legs.map((l) => l.hold)));
      let value = 1;
      for (let i = 0; i < k; i++) {
        const g = plan.range.present[idx[i]];
        const { d, hold } = plan.legs[i];
        const e = exit(g, hold);
        if (e <= g) continue;
        taken++;
        const x = grid.close[e] / grid.close[g];
        value *= Math.max(0, (1 - fee) * (1 + d * (x - 1) - fee * x));
      }
      sum += value;
    }
    const total = sum / plans.length - 1;
    totals.push(total);
    if (total >= actual - 1e-12 * Math.max(1, Math.abs(actual))) asGood++;
  }
  return {
    permutations: n,
    mean_trades: taken / n,
    mean_total_return: totals.reduce((a, b) => a + b, 0) / n,
    median_total_return: median(totals)!,
    p_value: (1 + asGood) / (1 + n),
  };
}
