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
 * The log moves around each alert hour, worked out once per hour for all the curves it falls in (the overall curve
 * and one row of each breakdown: ≈ 4 times over on the default scorecard). moves(g) holds offsets −before … +after at
 * g's window (NaN past the first gap on either side), so a curve's sums add exactly the values it computed itself.
 */
export class EventMoves {
  private readonly known = new Map<number, Float64Array>();

  constructor(
    private readonly grid: Grid,
    readonly before: number,
    readonly after: number,
  ) {}

  moves(g: number): Float64Array {
    let m = this.known.get(g);
    if (m === undefined) {
      m = windowMoves(this.grid.close, g, this.before, this.after);
      this.known.set(g, m);
    }
    return m;
  }
}

function windowMoves(close: Float64Array, g: number, before: number, after: number): Float64Array {
  const m = new Float64Array(before + after + 1).fill(NaN);
  const base = close[g];
  m[before] = 0;
  for (let o = 1; o <= after && close[g + o] === close[g + o]; o++) m[before + o] = Math.log(close[g + o] / base);
  for (let o = 1; o <= before && close[g - o] === close[g - o]; o++) m[before - o] = Math.log(close[g - o] / base);
  return m;
}

export function eventCurve(moves: EventMoves, key: string, hours: readonly number[], nAlerts: number): EventCurve {
  const { before, after } = moves;
  const width = before + after + 1;
  const sum = new Float64Array(width);
  const n = new Int32Array(width);
  for (const g of hours) addMoves(moves.moves(g), before, after, sum, n);
  return {
    key,
    n_alerts: nAlerts,
    mean: Array.from(sum, (s, i) => (n[i] > 0 ? s / n[i] : null)),
    n: Array.from(n),
  };
}

/** one alert's moves into the sums: outward from the alert hour on each side, up to its first gap */
function addMoves(m: Float64Array, before: number, after: number, sum: Float64Array, n: Int32Array): void {
  n[before]++;
  for (let o = 1; o <= after; o++) {
    const v = m[before + o];
    if (v !== v) break;
    sum[before + o] += v;
    n[before + o]++;
  }
  for (let o = 1; o <= before; o++) {
    const v = m[before - o];
    if (v !== v) break;
    sum[before - o] += v;
    n[before - o]++;
  }
}
