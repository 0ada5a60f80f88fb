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

/**
 * Only for a complete window. Uses highs and lows when the prices had them, else closes. Into entry j of each
 * column: ret = ln(close[t+h] / close[t]); up / down = the highest / lowest log move over (t, t+h] against close[t],
 * the entry (0) included: ≥ 0 and ≤ 0. Written in place: a scorecard works out one per alert and horizon.
 */
export function excursionInto(grid: Grid, g: number, h: number, ret: Float64Array, up: Float64Array, down: Float64Array, j: number): void {
  const entry = grid.close[g];
  let hi = entry;
  let lo = entry;
  for (let x = g + 1; x <= g + h; x++) {
    if (grid.up[x] > hi) hi = grid.up[x];
    if (grid.down[x] < lo) lo = grid.down[x];
  }
  ret[j] = Math.log(grid.close[g + h] / entry);
  up[j] = Math.log(hi / entry);
  down[j] = Math.log(lo / entry);
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
