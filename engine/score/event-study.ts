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

/**
 * The event curves of a scorecard in one pass over its alerts: the overall curve and one per group of each
 * breakdown given (`hours`: each alert's grid hour, −1 where it has none; `breakdowns`: per breakdown, each group's
 * alert indices by key, every alert in one group of each). Each alert's window of
 * log moves is worked out once and added to every curve it falls in while it is at hand (≈ 4 curves on the default
 * scorecard; curve by curve, the windows were read from memory once per curve). Every curve still adds its alerts
 * in their input order, so its sums are the ones a curve on its own would take, bit for bit; its counts are whole
 * numbers, counted from how far each alert's window reaches.
 */
export function eventCurves(
  grid: Grid,
  before: number,
  after: number,
  hours: Int32Array,
  breakdowns: readonly ReadonlyMap<string, readonly number[]>[],
): { overall: EventCurve; breakdowns: EventCurve[][] } {
  const n = hours.length;
  const width = before + after + 1;
  // curve 0 is the overall one; then each breakdown's groups in their order. curveOf[i * per + d]: alert i's curve in
  // breakdown d − 1 (d = 0: the overall one)
  const per = breakdowns.length + 1;
  const curveOf = new Int32Array(n * per);
  const keys: string[][] = [];
  const sizes: number[] = [n];
  for (let d = 0; d < breakdowns.length; d++) {
    keys.push([]);
    for (const [key, idxs] of breakdowns[d]) {
      const c = sizes.length;
      keys[d].push(key);
      sizes.push(idxs.length);
      for (let x = 0; x < idxs.length; x++) curveOf[idxs[x] * per + d + 1] = c;
    }
  }
  const curves = sizes.length;
  const sums = new Float64Array(curves * width);
  const reachedAfter = new Int32Array(curves * (after + 1));
  const reachedBefore = new Int32Array(curves * (before + 1));
  const anchored = new Int32Array(curves);
  const window = new Float64Array(width);
  const reach = new Int32Array(2);
  for (let i = 0; i < n; i++) {
    const g = hours[i];
    if (g < 0) continue;
    windowMoves(grid.close, g, before, after, window, reach);
    const up = reach[0];
    const down = reach[1];
    for (let d = 0; d < per; d++) {
      const c = curveOf[i * per + d];
      addMoves(window, before, up, down, sums, c * width);
      reachedAfter[c * (after + 1) + up]++;
      reachedBefore[c * (before + 1) + down]++;
      anchored[c]++;
    }
  }
  const curve = (c: number, key: string): EventCurve => {
    const count = new Int32Array(width);
    count[before] = anchored[c];
    let reaching = 0;
    for (let o = after; o >= 1; o--) count[before + o] = reaching += reachedAfter[c * (after + 1) + o];
    reaching = 0;
    for (let o = before; o >= 1; o--) count[before - o] = reaching += reachedBefore[c * (before + 1) + o];
    const sum = sums.subarray(c * width, (c + 1) * width);
    return { key, n_alerts: sizes[c], mean: Array.from(sum, (s, o) => (count[o] > 0 ? s / count[o] : null)), n: Array.from(count) };
  };
  let c = 1;
  return { overall: curve(0, 'all'), breakdowns: keys.map((ks) => ks.map((key) => curve(c++, key))) };
}

/** hour g's moves into m (offset o at m[before + o]) up to the first gap on either side, and how far they reach: reach[0] hours after, reach[1] before */
function windowMoves(close: Float64Array, g: number, before: number, after: number, m: Float64Array, reach: Int32Array): void {
  const base = close[g];
  m[before] = 0;
  let o = 1;
  // the grid's padding of missing hours stops a window before either end of the array; the bounds say so anyway
  const last = close.length - 1;
  for (; o <= after && g + o <= last && close[g + o] === close[g + o]; o++) m[before + o] = Math.log(close[g + o] / base);
  reach[0] = o - 1;
  for (o = 1; o <= before && g - o >= 0 && close[g - o] === close[g - o]; o++) m[before - o] = Math.log(close[g - o] / base);
  reach[1] = o - 1;
}

/** one alert's moves (m, its alert hour at m[before]) into a curve's sums (from `at`): `up` offsets after the hour, `down` before it */
function addMoves(m: Float64Array, before: number, up: number, down: number, sums: Float64Array, at: number): void {
  const mid = at + before;
  for (let o = 1; o <= up; o++) sums[mid + o] += m[before + o];
  for (let o = 1; o <= down; o++) sums[mid - o] += m[before - o];
}
