/**
 * What the price did after an hour, from its close. Windows are never filled: a window with a missing hour
 * is excluded, and the reason is kept apart from running off the end of the data.
 */
import { forwardComplete, type Grid, type SymbolRange } from './grid.ts';

export const OK = 0;
/** a missing hour inside (ts, ts + h] before the symbol's last hour */
export const GAP = 1;
/** (ts, ts + h] runs past the symbol's last hour with no missing hour before it */
export const END = 2;

export function windowStatus(grid: Grid, range: SymbolRange, g: number, h: number): number {
  if (forwardComplete(grid, g, h)) return OK;
  return grid.nextMissing[g + 1] >= range.offset + range.length ? END : GAP;
}

export interface Excursion {
  /** ln(close[t+h] / close[t]) */
  ret: number;
  /** highest / lowest log move over (t, t+h] against close[t], the entry (0) included: ≥ 0 and ≤ 0 */
  maxUp: number;
  maxDown: number;
}

/** Only for a complete window. Uses highs and lows when the prices had them, else closes. */
export function excursion(grid: Grid, g: number, h: number): Excursion {
  const entry = grid.close[g];
  let hi = entry;
  let lo = entry;
  for (let j = g + 1; j <= g + h; j++) {
    if (grid.up[j] > hi) hi = grid.up[j];
    if (grid.down[j] < lo) lo = grid.down[j];
  }
  return { ret: Math.log(grid.close[g + h] / entry), maxUp: Math.log(hi / entry), maxDown: Math.log(lo / entry) };
}

/** forward log return of every grid hour, NaN where the window is incomplete: the baseline's O(1) lookup */
export function forwardReturns(grid: Grid, h: number): Float64Array {
  const { close } = grid;
  const out = new Float64Array(close.length).fill(NaN);
  for (const r of grid.symbols) {
    for (let g = r.offset; g < r.offset + r.length; g++) {
      if (close[g] === close[g] && forwardComplete(grid, g, h)) out[g] = Math.log(close[g + h] / close[g]);
    }
  }
  return out;
}
