/**
 * Event study: mean cumulative log return ln(close[t+o] / close[t]) at each offset o from −before to +after
 * hours around the alert hour t. Gaps are handled per offset: an alert contributes at o only while every hour
 * between t and t+o has a close, so a gap drops it from that offset outward on that side only. `n` says how
 * many alerts each mean rests on.
 */
import type { Grid } from './grid.ts';
import type { EventCurve } from './types.ts';

export function eventOffsets(before: number, after: number): number[] {
  return Array.from({ length: before + after + 1 }, (_, i) => i - before);
}

export function eventCurve(grid: Grid, key: string, hours: readonly number[], nAlerts: number, before: number, after: number): EventCurve {
  const width = before + after + 1;
  const sum = new Float64Array(width);
  const n = new Int32Array(width);
  const { close } = grid;
  for (const g of hours) {
    const base = close[g];
    n[before]++;
    for (let o = 1; o <= after && close[g + o] === close[g + o]; o++) {
      sum[before + o] += Math.log(close[g + o] / base);
      n[before + o]++;
    }
    for (let o = 1; o <= before && close[g - o] === close[g - o]; o++) {
      sum[before - o] += Math.log(close[g - o] / base);
      n[before - o]++;
    }
  }
  return {
    key,
    n_alerts: nAlerts,
    mean: Array.from(sum, (s, i) => (n[i] > 0 ? s / n[i] : null)),
    n: Array.from(n),
  };
}
