/**
 * Streams feature rows to a Parquet file during a replay (engine/results/parquet-writer.ts: a temp file, renamed by
 * finish()). Columns and their meaning come from the pipeline's featureColumns().
 *
 * writeFeatures() puts each symbol-hour's values straight into typed column buffers (numbers as doubles with NaN
 * for null, booleans as bytes, strings as dictionary codes): no row object, no per-value type test. Every
 * 32,768 rows the buffers go out as one row group, so memory stays flat in the number of rows. The replay emits
 * hours in time order; an hour's rows are put in symbol order here (they already are when the configured symbols
 * are sorted), so the file is ordered by (ts_ms, symbol) without a sort.
 */
import type { FeaturePackage } from '../pipeline/feature-package.ts';
import { BASE_COLUMNS, writeFeatures, type ColumnSpec, type FeatureSink } from '../pipeline/feature-row.ts';
import type { CorrelationOutput, PairColumns, PairCorrelation } from '../detectors/correlation.ts';
import { BOOL_NULL, ParquetWriter, ROW_GROUP_ROWS, type ColumnValues, type ParquetColumn } from '../results/parquet-writer.ts';
import { ParquetWriterThread, type BufferKind, type ColumnBuffer } from '../results/parquet-writer-thread.ts';

const NO_NUMS = new Float64Array(0);
const NO_BOOLS = new Uint8Array(0);
const NO_CODES = new Int32Array(0);

const bySymbol = (a: FeaturePackage, b: FeaturePackage) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);

export class FeatureTable implements FeatureSink {
  readonly columns: readonly ColumnSpec[];
  /** the file is encoded on this thread, or on a writer thread fed from shared buffer sets */
  private readonly writer: ParquetWriter | null;
  private readonly thread: ParquetWriterThread | null;
  private nums: Float64Array[] = [];
  private bools: Uint8Array[] = [];
  private codes: Int32Array[] = [];
  /** per string column: value → code (1-based; 0 is null) and the words by code */
  private readonly dicts: Map<string, number>[];
  private readonly words: string[][];
  /**
   * per symbol and column, [slot · columns + column], the last string and its code: most values repeat that symbol's
   * previous row (rows alternate between symbols, so the previous row's would mostly differ)
   */
  private lastWord: (string | null)[] = [];
  private lastCode = new Int32Array(0);
  /** symbol → its slot in lastWord, and the slot of the row being filled times the column count */
  private readonly slots = new Map<string, number>();
  private at = 0;
  /** the detector's pair columns the table last read, and each of its pairs' corr_ column (−1: not in the file) */
  private pairsRead: PairColumns | null = null;
  private pairCol = new Int32Array(0);
  /** pair key → index of its corr_ column (corr, corr_normal, corr_break, corr_leader follow in that order) */
  private readonly pairColumn = new Map<string, number>();
  private readonly pairStarts: number[];
  private fill = 0;
  private rows = 0;
  private lastTs = -Infinity;
  private closed = false;

  private constructor(
    columns: readonly ColumnSpec[],
    file: string,
    private readonly groupRows: number,
    storeIncompressible: boolean,
    onThread: boolean,
  ) {
    this.columns = columns;
    const n = columns.length;
    this.dicts = columns.map(() => new Map<string, number>());
    this.words = columns.map(() => []);
    // featureColumns(): BASE_COLUMNS, then four columns per pair starting with corr_<key>
    for (let i = BASE_COLUMNS.length; i + 3 < n; i += 4) this.pairColumn.set(columns[i].name.slice('corr_'.length), i);
    this.pairStarts = [...this.pairColumn.values()];
    const schema: ParquetColumn[] = [
      { name: 'ts', kind: 'timestamp' },
      ...columns.map((c): ParquetColumn => ({ name: c.name, kind: c.name === 'ts_ms' ? 'int64' : c.type === 'number' ? 'double' : c.type })),
    ];
    // ts (TIMESTAMP) is written from the same epoch-ms buffer as ts_ms
    const source = [0, ...columns.map((_, i) => i)];
    if (onThread) {
      const kinds = columns.map((c): BufferKind => (c.type === 'number' ? 'f64' : c.type === 'boolean' ? 'u8' : 'i32'));
      this.writer = null;
      this.thread = ParquetWriterThread.start(file, schema, { storeIncompressible }, kinds, source, groupRows);
      this.take(this.thread.acquire());
    } else {
      this.writer = ParquetWriter.create(file, schema, { storeIncompressible });
      this.thread = null;
      this.take(columns.map((c) => (c.type === 'number' ? new Float64Array(groupRows) : c.type === 'boolean' ? new Uint8Array(groupRows) : new Int32Array(groupRows))));
    }
  }

  /** fill these buffers next, one per column (its type's array; the other two lists hold an empty one there) */
  private take(set: readonly ColumnBuffer[]): void {
    this.nums = this.columns.map((c, i) => (c.type === 'number' ? (set[i] as Float64Array) : NO_NUMS));
    this.bools = this.columns.map((c, i) => (c.type === 'boolean' ? (set[i] as Uint8Array) : NO_BOOLS));
    this.codes = this.columns.map((c, i) => (c.type === 'string' ? (set[i] as Int32Array) : NO_CODES));
  }

  /**
   * A table whose rows stream into `file` (through a temp file) until finish().
   * storeIncompressible (default on): the noisy doubles (returns, z-scores, ratios) are stored uncompressed after
   * their first sizeable chunk — brotli shrank them ≈ 5 % for a third of its time; off: every chunk brotli (the
   * reference in tests). onThread: encode and compress on a writer thread (the same bytes; pays for itself on a run
   * of ≳ 100k rows).
   */
  static open(columns: readonly ColumnSpec[], file: string, opts: { rowGroupRows?: number; storeIncompressible?: boolean; onThread?: boolean } = {}): FeatureTable {
    if (columns[0]?.name !== 'ts_ms') throw new Error('feature columns must start with ts_ms');
    return new FeatureTable(columns, file, opts.rowGroupRows ?? ROW_GROUP_ROWS, opts.storeIncompressible ?? true, opts.onThread ?? false);
  }

  get size(): number {
    return this.rows;
  }

  /** One hour's rows (the replay step's features), hours in time order; within the hour any symbol order. */
  addHour(features: readonly FeaturePackage[]): void {
    if (this.closed) throw new Error('feature table already written or closed');
    if (features.length === 0) return;
    const ts = features[0].ts;
    if (!(ts > this.lastTs)) throw new Error(`feature rows out of time order: ${ts} after ${this.lastTs}`);
    this.lastTs = ts;
    let ordered = true;
    for (let k = 1; k < features.length; k++) if (features[k - 1].symbol >= features[k].symbol) ordered = false;
    for (const f of ordered ? features : [...features].sort(bySymbol)) {
      if (f.ts !== ts) throw new Error(`feature rows of one hour disagree on the hour: ${f.ts} and ${ts}`);
      this.addRow(f);
    }
  }

  private addRow(f: FeaturePackage): void {
    const r = this.fill;
    this.at = this.slotOf(f.symbol) * this.columns.length;
    // a pair missing from the output stays null rather than repeating the previous row
    for (const i of this.pairStarts) {
      this.nums[i][r] = NaN;
      this.nums[i + 1][r] = NaN;
      this.bools[i + 2][r] = BOOL_NULL;
      this.codes[i + 3][r] = 0;
    }
    writeFeatures(f, this);
    this.rows++;
    if (++this.fill === this.groupRows) this.flush();
  }

  num(col: number, v: number | null): void {
    this.nums[col][this.fill] = v !== null && Number.isFinite(v) ? v : NaN;
  }

  bool(col: number, v: boolean | null): void {
    this.bools[col][this.fill] = v === null ? BOOL_NULL : v ? 1 : 0;
  }

  str(col: number, v: string | null): void {
    const k = this.at + col;
    this.codes[col][this.fill] = v === null ? 0 : v === this.lastWord[k] ? this.lastCode[k] : this.code(col, v, k);
  }

  /** the symbol's slot in the last-word cache, made on its first row */
  private slotOf(symbol: string): number {
    let slot = this.slots.get(symbol);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(symbol, slot);
      const n = this.columns.length;
      const code = new Int32Array((slot + 1) * n);
      code.set(this.lastCode);
      this.lastCode = code;
      for (let c = 0; c < n; c++) this.lastWord.push(null);
    }
    return slot;
  }

  private code(col: number, v: string, k: number): number {
    const dict = this.dicts[col];
    let code = dict.get(v);
    if (code === undefined) {
      this.words[col].push(v);
      code = this.words[col].length;
      dict.set(v, code);
    }
    this.lastWord[k] = v;
    this.lastCode[k] = code;
    return code;
  }

  /** from the detector's columns while its step lasts (a replay's rows), else from the pair objects read during it */
  pairs(c: CorrelationOutput): void {
    if (!c.current) {
      for (const p of c.pairs) this.pair(p);
      return;
    }
    const cols = c.columns;
    if (cols !== this.pairsRead) {
      this.pairCol = Int32Array.from(cols.names, (p) => this.pairColumn.get(p.key) ?? -1);
      this.pairsRead = cols;
    }
    for (let j = 0; j < cols.size; j++) {
      const i = this.pairCol[j];
      if (i < 0) continue;
      const broken = cols.broken[j];
      this.num(i, cols.corr[j]);
      this.num(i + 1, cols.normal[j]);
      this.bool(i + 2, broken < 0 ? null : broken === 1);
      this.str(i + 3, cols.leaderOf(j));
    }
  }

  private pair(p: PairCorrelation): void {
    const i = this.pairColumn.get(p.key);
    if (i === undefined) return;
    this.num(i, p.corr);
    this.num(i + 1, p.normal);
    this.bool(i + 2, p.broken);
    this.str(i + 3, p.leader);
  }

  /** last: no more rows follow (a thread's writer gets no fresh set to fill) */
  private flush(last = false): void {
    if (this.fill === 0) return;
    const n = this.fill;
    this.fill = 0;
    if (this.thread) {
      this.thread.submit(n, this.columns.map((c, i) => (c.type === 'string' ? this.words[i] : null)));
      if (!last) this.take(this.thread.acquire());
      return;
    }
    const values: ColumnValues[] = this.columns.map((c, i) =>
      c.type === 'number' ? this.nums[i].subarray(0, n) : c.type === 'boolean' ? this.bools[i].subarray(0, n) : { codes: this.codes[i].subarray(0, n), words: this.words[i] },
    );
    this.writer!.writeRowGroup(n, [values[0], ...values]);
  }

  /** the last row group and the footer, then the file is renamed into place */
  async finish(): Promise<void> {
    if (this.closed) throw new Error('feature table already written or closed');
    try {
      this.flush(true);
      if (this.thread) await this.thread.finish();
      else this.writer!.finish();
      this.closed = true;
      this.release();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** drops the temp file without writing (a replay that failed part-way) */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.thread) this.thread.abort();
    else this.writer!.abort();
    this.release();
  }

  /** the column buffers (≈ 17 MB) go before scoring starts, though the caller may still hold this table */
  private release(): void {
    this.nums.length = 0;
    this.bools.length = 0;
    this.codes.length = 0;
  }
}
