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
 * and one row of each breakdown: ≈ 4 times over on the default scorecard). An hour's window holds offsets −before …
 * +after (NaN past the first gap on either side), so a curve's sums add exactly the values it computed itself. The
 * windows sit side by side in one array, found through a grid-sized index: a typed array per hour cost the
 * scorecard more in allocation and garbage collection than the logarithms themselves.
 */
export class EventMoves {
  private readonly width: number;
  /** per grid hour: its window's number in `store` plus one (0: not worked out yet) */
  private slots: Int32Array | null = null;
  private store = new Float64Array(0);
  private windows = 0;

  constructor(
    private readonly grid: Grid,
    readonly before: number,
    readonly after: number,
  ) {
    this.width = before + after + 1;
  }

  /** hour g's moves added into a curve's sums and counts */
  add(g: number, sum: Float64Array, n: Int32Array): void {
    const slots = (this.slots ??= new Int32Array(this.grid.close.length));
    let w = slots[g] - 1;
    if (w < 0) {
      w = this.windows++;
      if (this.store.length < this.windows * this.width) {
        const grown = new Float64Array(Math.max(64, 2 * this.windows) * this.width);
        grown.set(this.store);
        this.store = grown;
      }
      windowMoves(this.grid.close, g, this.before, this.after, this.store, w * this.width);
      slots[g] = w + 1;
    }
    addMoves(this.store, w * this.width, this.before, this.after, sum, n);
  }
}

/** hour g's window into m from `at` */
function windowMoves(close: Float64Array, g: number, before: number, after: number, m: Float64Array, at: number): void {
  m.fill(NaN, at, at + before + after + 1);
  const base = close[g];
  const mid = at + before;
  m[mid] = 0;
  for (let o = 1; o <= after && close[g + o] === close[g + o]; o++) m[mid + o] = Math.log(close[g + o] / base);
  for (let o = 1; o <= before && close[g - o] === close[g - o]; o++) m[mid - o] = Math.log(close[g - o] / base);
}

export function eventCurve(moves: EventMoves, key: string, hours: readonly number[], nAlerts: number): EventCurve {
  const { before, after } = moves;
  const width = before + after + 1;
  const sum = new Float64Array(width);
  const n = new Int32Array(width);
  for (const g of hours) moves.add(g, sum, n);
  return {
    key,
    n_alerts: nAlerts,
    mean: Array.from(sum, (s, i) => (n[i] > 0 ? s / n[i] : null)),
    n: Array.from(n),
  };
}

/** one alert's moves (its window in m from `at`) into the sums: outward from the alert hour on each side, up to its first gap */
function addMoves(m: Float64Array, at: number, before: number, after: number, sum: Float64Array, n: Int32Array): void {
  const mid = at + before;
  n[before]++;
  for (let o = 1; o <= after; o++) {
    const v = m[mid + o];
    if (v !== v) break;
    sum[before + o] += v;
    n[before + o]++;
  }
  for (let o = 1; o <= before; o++) {
    const v = m[mid - o];
    if (v !== v) break;
    sum[before - o] += v;
    n[before - o]++;
  }
}
