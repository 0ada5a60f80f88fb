/**
 * Large-move labels: what the detectors are scored against. Hour t is a large-move hour when, over the next
 * H hours (the label horizon),
 *   |ln(close[t+H] / close[t])| > k · σ_t · √H,   σ_t = sample std (n−1) of the W hourly log returns ending at t
 * (the closes t−W .. t, all known at t's close), or — when drawdown_pct is set — when the lowest price in
 * (t, t+H] (low if given, else close) is more than drawdown_pct % below close[t].
 * A label needs every hour t−W .. t+H (the volatility rule) or t .. t+H (the drawdown rule): with a missing hour
 * inside, or σ_t = 0 (flat placeholder prices), a rule is unknown. Unknown never counts as "no large move".
 * An episode is a run of consecutive large-move hours of one symbol, so one crash is one event, not twenty.
 */
import { backwardComplete, forwardComplete, type Grid } from './grid.ts';
import { int32s, int8s } from './market-arrays.ts';

export interface LabelOptions {
  k: number;
  label_horizon_hours: number;
  vol_window_hours: number;
  drawdown_pct: number | null;
}

export const LARGE = 1;
export const CALM = 0;
export const UNKNOWN = -1;

export interface Labels {
  /** LARGE, CALM or UNKNOWN per grid hour (missing hours and padding are UNKNOWN) */
  label: Int8Array;
  /** first index >= g with a LARGE / UNKNOWN label (grid length when none) */
  nextLarge: Int32Array;
  nextUnknown: Int32Array;
  /** episodes in grid order: first and last hour */
  epStart: Int32Array;
  epEnd: Int32Array;
  /** index of the first episode starting at or after g (episode count when none) */
  nextEpisode: Int32Array;
  episodesBySymbol: Map<string, number>;
}

function volRule(grid: Grid, logRet: Float64Array, g: number, fwd: number, o: LabelOptions): number {
  const w = o.vol_window_hours;
  if (!backwardComplete(grid, g, w)) return UNKNOWN;
  let sum = 0;
  for (let j = g - w + 1; j <= g; j++) sum += logRet[j];
  const mean = sum / w;
  let ss = 0;
  for (let j = g - w + 1; j <= g; j++) ss += (logRet[j] - mean) ** 2;
  const sd = Math.sqrt(ss / (w - 1));
  if (!(sd > 0)) return UNKNOWN;
  return Math.abs(fwd) > o.k * sd * Math.sqrt(o.label_horizon_hours) ? LARGE : CALM;
}

function drawdownRule(grid: Grid, g: number, o: LabelOptions): number {
  if (o.drawdown_pct === null) return UNKNOWN;
  let low = Infinity;
  for (let j = g + 1; j <= g + o.label_horizon_hours; j++) low = Math.min(low, grid.down[j]);
  return 1 - low / grid.close[g] > o.drawdown_pct / 100 ? LARGE : CALM;
}

export function labelLargeMoves(grid: Grid, o: LabelOptions): Labels {
  const { close } = grid;
  const n = close.length;
  const H = o.label_horizon_hours;
  const logRet = new Float64Array(n).fill(NaN);
  for (let g = 1; g < n; g++) logRet[g] = Math.log(close[g] / close[g - 1]);

  const label = int8s(n).fill(UNKNOWN);
  for (const r of grid.symbols) {
    for (let g = r.offset; g < r.offset + r.length; g++) {
      if (close[g] !== close[g] || !forwardComplete(grid, g, H)) continue;
      const vol = volRule(grid, logRet, g, Math.log(close[g + H] / close[g]), o);
      const dd = drawdownRule(grid, g, o);
      if (vol === LARGE || dd === LARGE) label[g] = LARGE;
      else if (vol === CALM && (dd === CALM || o.drawdown_pct === null)) label[g] = CALM;
    }
  }

  const starts: number[] = [];
  const ends: number[] = [];
  const episodesBySymbol = new Map<string, number>();
  for (const r of grid.symbols) {
    let count = 0;
    for (let g = r.offset; g < r.offset + r.length; g++) {
      if (label[g] !== LARGE) continue;
      if (label[g - 1] !== LARGE) {
        starts.push(g);
        ends.push(g);
        count++;
      } else {
        ends[ends.length - 1] = g;
      }
    }
    episodesBySymbol.set(r.symbol, count);
  }

  const nextLarge = int32s(n);
  const nextUnknown = int32s(n);
  const nextEpisode = int32s(n);
  let large = n;
  let unknown = n;
  let ep = starts.length;
  for (let g = n - 1; g >= 0; g--) {
    if (label[g] === LARGE) large = g;
    if (label[g] === UNKNOWN) unknown = g;
    while (ep > 0 && starts[ep - 1] >= g) ep--;
    nextLarge[g] = large;
    nextUnknown[g] = unknown;
    nextEpisode[g] = ep;
  }
  return { label, nextLarge, nextUnknown, epStart: Int32Array.from(starts), epEnd: Int32Array.from(ends), nextEpisode, episodesBySymbol };
}
