/**
 * Collects parsed rows for one table and symbol and checks them as a whole before anything is written:
 * timestamps aligned and strictly increasing, prices positive, OHLC consistent, amounts non-negative.
 * Every complaint names the file, the line and the field.
 */
import { InputError } from '../errors.ts';
import { LIQUIDATION_KINDS, tableSpec, type ColumnSpec, type TableName, type TableSpec } from './tables.ts';
import type { ColumnBatch } from './dataset-writer.ts';
import { isoHour } from '../time.ts';
import { lowerBound } from '../sorted-search.ts';

const HOUR = 3_600_000;
const MIN_TS = Date.UTC(2009, 0, 1);
const MAX_TS = Date.UTC(2100, 0, 1);

export interface RowValues {
  [column: string]: number | string | null;
}

/** A Float64Array that doubles when full: 8 bytes a value instead of a boxed array slot. */
class GrowableColumn {
  // small at first: the live runner builds one per row it checks; doubling reaches import sizes in a few steps
  data = new Float64Array(16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): Float64Array {
    return this.data.slice(0, this.length);
  }
  /** removes the first k values (the capacity stays: it is reused by the rows still to come) */
  dropFront(k: number): void {
    this.data.copyWithin(0, k, this.length);
    this.length -= k;
  }
}

export class BatchBuilder {
  private readonly spec: TableSpec;
  private readonly ts = new GrowableColumn();
  private lastLine = 0;
  private readonly numbers: Record<string, GrowableColumn> = {};
  private readonly strings: Record<string, (string | null)[]> = {};

  constructor(
    readonly file: string,
    readonly table: TableName,
    readonly venue: string,
    readonly symbol: string,
  ) {
    this.spec = tableSpec(table);
    for (const c of this.spec.columns) {
      if (c.type === 'VARCHAR') this.strings[c.name] = [];
      else this.numbers[c.name] = new GrowableColumn();
    }
  }

  /** rows held now (takeCompletedYear() hands rows on) */
  get size(): number {
    return this.ts.length;
  }

  /** rows added since the builder was made, those handed on included (the per-file row limit counts these) */
  get rowsAdded(): number {
    return this.handedOn + this.ts.length;
  }

  private handedOn = 0;

  /**
   * The rows of the oldest calendar year held, as a batch, removed from the builder, once a row of a later year has
   * arrived; else null. Rows arrive in time order, so that year is complete: a parser hands its years on while it
   * reads the rest, and memory holds about a year of the series whatever its length. The newest row stays, so the
   * order and duplicate checks of the next row are unchanged.
   */
  takeCompletedYear(): ColumnBatch | null {
    const n = this.ts.length;
    if (n === 0) return null;
    const ts = this.ts.data;
    const nextYear = Date.UTC(new Date(ts[0]).getUTCFullYear() + 1, 0, 1);
    if (ts[n - 1] < nextYear) return null;
    // the first row of a later year (rows strictly increasing)
    const lo = lowerBound(ts, nextYear, n);
    const values: ColumnBatch['values'] = {};
    for (const c of this.spec.columns) {
      if (c.type === 'VARCHAR') values[c.name] = this.strings[c.name].splice(0, lo);
      else {
        values[c.name] = this.numbers[c.name].data.slice(0, lo);
        this.numbers[c.name].dropFront(lo);
      }
    }
    const batch: ColumnBatch = { table: this.table, venue: this.venue, symbol: this.symbol, ts: ts.slice(0, lo), values };
    this.ts.dropFront(lo);
    this.handedOn += lo;
    return batch;
  }

  add(line: number, ts: number, values: RowValues): void {
    this.checkTimestamp(line, ts);
    this.checkValues(line, values);
    this.ts.push(ts);
    this.lastLine = line;
    for (const c of this.spec.columns) {
      const v = values[c.name] ?? null;
      if (c.type === 'VARCHAR') this.strings[c.name].push(v === null ? null : String(v));
      else this.numbers[c.name].push(v === null ? NaN : (v as number));
    }
  }

  /**
   * The hot-loop form of add() for tables whose columns are all numeric (candles, perp, mark): `row` holds the
   * values in the table's column order, NaN for a missing one. Same checks, same messages, no object per row.
   */
  addRow(line: number, ts: number, row: Float64Array): void {
    this.checkTimestamp(line, ts);
    const cols = this.numericColumns;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k];
      const v = row[k];
      if (Number.isNaN(v)) {
        if (!c.nullable) this.fail(line, c.name, 'missing value');
        continue;
      }
      if (!Number.isFinite(v)) this.fail(line, c.name, `value ${v} is not finite`);
      if (c.positive && v <= 0) this.fail(line, c.name, `non-positive value ${v}`);
      if (c.nonNegative && v < 0) this.fail(line, c.name, `negative value ${v}`);
    }
    if (this.spec.hasOhlc) {
      const o = row[0], h = row[1], l = row[2], c = row[3];
      if (h < l) this.fail(line, 'high', `high ${h} is below low ${l}`);
      if (h < Math.max(o, c)) this.fail(line, 'high', `high ${h} is below open/close ${Math.max(o, c)}`);
      if (l > Math.min(o, c)) this.fail(line, 'low', `low ${l} is above open/close ${Math.min(o, c)}`);
    }
    this.ts.push(ts);
    this.lastLine = line;
    for (let k = 0; k < cols.length; k++) this.columnList[k].push(row[k]);
  }

  /** the columns addRow() takes, in order; throws for a table with text columns or checks addRow lacks */
  get numericColumns(): ColumnSpec[] {
    if (!this.rowColumns) {
      if (this.spec.columns.some((c) => c.type === 'VARCHAR') || !['candles_1h', 'perp_1h', 'mark_1h'].includes(this.table)) {
        throw new Error(`addRow() is for candle tables, not ${this.table}`);
      }
      if (this.spec.hasOhlc && this.spec.columns.slice(0, 4).map((c) => c.name).join() !== 'open,high,low,close') throw new Error('OHLC columns out of order');
      this.rowColumns = this.spec.columns;
      this.columnList = this.spec.columns.map((c) => this.numbers[c.name]);
    }
    return this.rowColumns;
  }

  private rowColumns: ColumnSpec[] | null = null;
  private columnList: GrowableColumn[] = [];

  /**
   * Rows must lie in `year` (a file whose name gives its year): the first that does not is refused, naming its line
   * and `field` (the file's time column). A year's rows are committed with that year's part of a series, so a row
   * of another year would reach a partition another part writes, past the check that overlapping files agree.
   */
  holdToYear(year: number, field: string): void {
    this.namedYear = { year, from: Date.UTC(year, 0, 1), to: Date.UTC(year + 1, 0, 1), field };
  }

  private namedYear: { year: number; from: number; to: number; field: string } | null = null;

  private fail(line: number | null, field: string | null, problem: string): never {
    throw new InputError(this.file, line, field, problem);
  }

  private checkTimestamp(line: number, ts: number): void {
    if (!Number.isFinite(ts) || ts < MIN_TS || ts >= MAX_TS) {
      this.fail(line, 'ts_ms', `timestamp ${ts} is outside 2009..2100 (expected epoch milliseconds)`);
    }
    if (this.spec.hourly && ts % HOUR !== 0) {
      this.fail(line, 'ts_ms', `timestamp ${new Date(ts).toISOString()} is not on the hour`);
    }
    if (this.table === 'funding' && ts % HOUR !== 0) {
      this.fail(line, 'ts_ms', `settlement time ${new Date(ts).toISOString()} is not on the hour (round calc_time to its nominal hour)`);
    }
    const prev = this.ts.length > 0 ? this.ts.data[this.ts.length - 1] : null;
    if (prev !== null && ts === prev) {
      this.fail(line, 'ts_ms', `duplicate timestamp ${new Date(ts).toISOString()} (also on line ${this.lastLine})`);
    }
    if (prev !== null && ts < prev) {
      this.fail(line, 'ts_ms', `timestamp ${new Date(ts).toISOString()} is earlier than the previous row's (line ${this.lastLine}): rows must be in time order`);
    }
    const named = this.namedYear;
    if (named && (ts < named.from || ts >= named.to)) {
      this.fail(line, named.field, `${isoHour(ts)} UTC is not in ${named.year}, the year the file's name gives`);
    }
  }

  private checkValues(line: number, values: RowValues): void {
    for (const c of this.spec.columns) {
      const v = values[c.name];
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
        if (!c.nullable) this.fail(line, c.name, 'missing value');
        continue;
      }
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) this.fail(line, c.name, `value ${v} is not finite`);
        if (c.positive && v <= 0) this.fail(line, c.name, `non-positive value ${v}`);
        if (c.nonNegative && v < 0) this.fail(line, c.name, `negative value ${v}`);
      }
    }
    if (this.spec.hasOhlc) {
      const o = values.open as number, h = values.high as number, l = values.low as number, c = values.close as number;
      if (h < l) this.fail(line, 'high', `high ${h} is below low ${l}`);
      if (h < Math.max(o, c)) this.fail(line, 'high', `high ${h} is below open/close ${Math.max(o, c)}`);
      if (l > Math.min(o, c)) this.fail(line, 'low', `low ${l} is above open/close ${Math.min(o, c)}`);
    }
    if (this.table === 'funding') {
      const interval = values.funding_interval_hours as number;
      if (!Number.isInteger(interval) || interval < 1 || interval > 24) {
        this.fail(line, 'funding_interval_hours', `interval ${interval} is not a whole number of hours in 1..24`);
      }
      if (Math.abs(values.funding_rate as number) >= 0.1) {
        this.fail(line, 'funding_rate', `rate ${values.funding_rate} is ≥ 10 % per interval: is it in percent instead of a decimal?`);
      }
    }
    if (this.table === 'liquidations_1h') {
      const kind = values.kind as string;
      if (!(LIQUIDATION_KINDS as readonly string[]).includes(kind)) {
        this.fail(line, 'kind', `kind '${kind}' must be one of ${LIQUIDATION_KINDS.join(', ')}`);
      }
      const sum = (values.long_liq_usd as number) + (values.short_liq_usd as number);
      const total = values.total_liq_usd as number;
      if (Math.abs(sum - total) > 1e-6 * Math.max(1, Math.abs(total)) + 1e-4) {
        this.fail(line, 'total_liq_usd', `total ${total} differs from long + short = ${sum}`);
      }
      if (!values.source) this.fail(line, 'source', 'liquidation rows must name their source');
    }
    if (this.table === 'open_interest' && values.period !== '4h' && values.period !== '1d') {
      this.fail(line, 'period', `period '${values.period}' must be 4h or 1d`);
    }
  }

  /** the rows held (all of them unless takeCompletedYear() handed some on) */
  finish(): ColumnBatch {
    if (this.rowsAdded === 0) this.fail(null, null, 'no data rows');
    const values: ColumnBatch['values'] = {};
    for (const c of this.spec.columns) values[c.name] = c.type === 'VARCHAR' ? this.strings[c.name] : this.numbers[c.name].finish();
    return { table: this.table, venue: this.venue, symbol: this.symbol, ts: this.ts.finish(), values };
  }
}
