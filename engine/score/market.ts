/**
 * Everything about the prices that does not depend on the alerts, built once: a threshold sweep scores many
 * alert sets against the same market.
 */
import { buildGrid, type Grid } from './grid.ts';
import { forwardReturns } from './forward.ts';
import { labelLargeMoves, type Labels } from './labels.ts';
import { parseScoreOptions, type ScoreOptions } from './options.ts';
import type { PriceSeries } from './types.ts';
import { float64s } from './market-arrays.ts';

export interface Market {
  options: ScoreOptions;
  grid: Grid;
  labels: Labels;
  /**
   * What an alert at grid hour g needs, side by side so a random hour costs one cache line rather than one miss
   * per array: at g * stride — precision truth (TRUE_ALERT / FALSE_ALARM / UNEVALUABLE), the first
   * episode starting at or after g, then the forward log return per horizon (NaN when excluded).
   */
  hourly: Float64Array;
  stride: number;
}

export const TRUE_ALERT = 1;
export const FALSE_ALARM = 0;
export const UNEVALUABLE = -1;

/** with L = lead window: a large-move hour in [g, g + L] is a hit; none, with every hour labelled, a false alarm */
function precisionTruth(labels: Labels, g: number, lead: number): number {
  if (labels.nextLarge[g] <= g + lead) return TRUE_ALERT;
  return labels.nextUnknown[g] > g + lead ? FALSE_ALARM : UNEVALUABLE;
}

function hourlyTable(grid: Grid, labels: Labels, o: ScoreOptions): { hourly: Float64Array; stride: number } {
  const n = grid.close.length;
  const stride = 2 + o.horizons_hours.length;
  const hourly = float64s(n * stride);
  const forward = o.horizons_hours.map((h) => forwardReturns(grid, h));
  for (let g = 0; g < n; g++) {
    const b = g * stride;
    hourly[b] = precisionTruth(labels, g, o.lead_window_hours);
    hourly[b + 1] = labels.nextEpisode[g];
    for (let k = 0; k < forward.length; k++) hourly[b + 2 + k] = forward[k][g];
  }
  return { hourly, stride };
}

export function prepareMarket(prices: readonly PriceSeries[], options?: unknown): Market {
  const o = parseScoreOptions(options);
  const reach = Math.max(
    ...o.horizons_hours,
    o.label_horizon_hours,
    o.vol_window_hours,
    o.lead_window_hours,
    o.event_window.before_hours,
    o.event_window.after_hours,
  );
  const grid = buildGrid(prices, reach + 1);
  const labels = labelLargeMoves(grid, o);
  return { options: o, grid, labels, ...hourlyTable(grid, labels, o) };
}
