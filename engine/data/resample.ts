import { HOUR_MS, type CandleInput } from '../pipeline/input.ts';
import type { CandleColumns } from './load.ts';

/**
 * Incremental 1h → 4h / 1d / 1w aggregation on UTC boundaries. Weeks start Monday 00:00 UTC like Binance
 * (epoch day 0, 1970-01-01, was a Thursday, so Monday boundaries are offset by 4 days). A bar is emitted
 * only once the hour that closes its period has been pushed, and a bar missing any hour is flagged
 * incomplete rather than built as if it were whole. The batch function runs the same aggregator.
 */

export type Timeframe = '4h' | '1d' | '1w';
export const TIMEFRAMES: readonly Timeframe[] = ['4h', '1d', '1w'];

export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
const MONDAY_OFFSET_MS = 4 * DAY_MS;

export const TIMEFRAME_MS: Record<Timeframe, number> = { '4h': 4 * HOUR_MS, '1d': DAY_MS, '1w': WEEK_MS };

/** open time of the period containing ts */
export function periodStart(ts: number, tf: Timeframe): number {
  const len = TIMEFRAME_MS[tf];
  const offset = tf === '1w' ? MONDAY_OFFSET_MS : 0;
  return Math.floor((ts - offset) / len) * len + offset;
}

export interface ResampledBar {
  /** period open time, epoch ms */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** constituent hours present */
  hours: number;
  expected_hours: number;
  complete: boolean;
}

export class BarAggregator {
  readonly timeframe: Timeframe;
  private readonly expected: number;
  private readonly len: number;
  private readonly offset: number;
  private lastTs = NaN;
  private start = NaN;
  private open = NaN;
  private high = NaN;
  private low = NaN;
  private close = NaN;
  private volume = 0;
  private hours = 0;

  constructor(timeframe: Timeframe) {
    this.timeframe = timeframe;
    this.len = TIMEFRAME_MS[timeframe];
    this.offset = timeframe === '1w' ? MONDAY_OFFSET_MS : 0;
    this.expected = this.len / HOUR_MS;
  }

  /**
   * Consumes hour ts (candle null = missing). Hours must be pushed consecutively, every clock hour, so that
   * a skipped hour can never be mistaken for a present one. Returns the bar whose period ts closes, else null.
   */
  push(ts: number, candle: CandleInput | null): ResampledBar | null {
    if (ts % HOUR_MS !== 0) throw new RangeError(`BarAggregator(${this.timeframe}): ts ${ts} is not on an hour boundary`);
    if (this.lastTs === this.lastTs && ts !== this.lastTs + HOUR_MS) {
      throw new RangeError(
        `BarAggregator(${this.timeframe}): expected hour ${new Date(this.lastTs + HOUR_MS).toISOString()}, got ${new Date(ts).toISOString()}; push every clock hour (null candle when missing)`,
      );
    }
    this.lastTs = ts;
    const start = Math.floor((ts - this.offset) / this.len) * this.len + this.offset;
    if (start !== this.start) {
      this.start = start;
      this.open = this.high = this.low = this.close = NaN;
      this.volume = 0;
      this.hours = 0;
    }
    if (candle !== null && Number.isFinite(candle.close)) {
      if (this.hours === 0) {
        this.open = candle.open;
        this.high = candle.high;
        this.low = candle.low;
      } else {
        if (candle.high > this.high) this.high = candle.high;
        if (candle.low < this.low) this.low = candle.low;
      }
      this.close = candle.close;
      this.volume += candle.volume;
      this.hours++;
    }
    if (ts + HOUR_MS !== start + this.len) return null;
    const any = this.hours > 0;
    return {
      ts: start,
      open: this.open,
      high: this.high,
      low: this.low,
      close: this.close,
      volume: any ? this.volume : NaN,
      hours: this.hours,
      expected_hours: this.expected,
      complete: this.hours === this.expected,
    };
  }
}

/** hour open times (epoch ms, ascending, on hour boundaries; absent hours are missing) and their OHLCV */
export type OhlcvColumns = CandleColumns;

export interface ResampledColumns extends OhlcvColumns {
  hours: Uint16Array;
  complete: Uint8Array;
}

/** Closed bars of a timeframe over hourly columns (a NaN close is a missing hour); the open last period is left out. */
export function resampleColumns(cols: OhlcvColumns, timeframe: Timeframe): ResampledColumns {
  const n = cols.ts.length;
  for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) {
    if (cols[k].length !== n) throw new RangeError(`resampleColumns: column ${k} has ${cols[k].length} rows, ts has ${n}`);
  }
  const len = TIMEFRAME_MS[timeframe];
  const first = n > 0 ? cols.ts[0] : 0;
  const last = n > 0 ? cols.ts[n - 1] : -HOUR_MS;
  const maxBars = n > 0 ? Math.floor((last - first) / len) + 2 : 0;
  const out: ResampledColumns = {
    ts: new Float64Array(maxBars),
    open: new Float64Array(maxBars),
    high: new Float64Array(maxBars),
    low: new Float64Array(maxBars),
    close: new Float64Array(maxBars),
    volume: new Float64Array(maxBars),
    hours: new Uint16Array(maxBars),
    complete: new Uint8Array(maxBars),
  };
  const agg = new BarAggregator(timeframe);
  const candle: CandleInput = { open: 0, high: 0, low: 0, close: 0, volume: 0 };
  let row = 0;
  let m = 0;
  for (let t = first; t <= last; t += HOUR_MS) {
    let present: CandleInput | null = null;
    if (row < n && cols.ts[row] < t) throw new RangeError(`resampleColumns: ts not ascending on hour boundaries at row ${row}`);
    if (row < n && cols.ts[row] === t) {
      candle.open = cols.open[row];
      candle.high = cols.high[row];
      candle.low = cols.low[row];
      candle.close = cols.close[row];
      candle.volume = cols.volume[row];
      present = candle;
      row++;
    }
    const bar = agg.push(t, present);
    if (bar !== null) {
      out.ts[m] = bar.ts;
      out.open[m] = bar.open;
      out.high[m] = bar.high;
      out.low[m] = bar.low;
      out.close[m] = bar.close;
      out.volume[m] = bar.volume;
      out.hours[m] = bar.hours;
      out.complete[m] = bar.complete ? 1 : 0;
      m++;
    }
  }
  return {
    ts: out.ts.slice(0, m),
    open: out.open.slice(0, m),
    high: out.high.slice(0, m),
    low: out.low.slice(0, m),
    close: out.close.slice(0, m),
    volume: out.volume.slice(0, m),
    hours: out.hours.slice(0, m),
    complete: out.complete.slice(0, m),
  };
}
