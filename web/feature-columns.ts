/**
 * A run's feature rows held column by column. A full 2018–2026 run is ~200k symbol-hours × ~65 columns: as
 * JS objects that would be several hundred MB of boxed doubles, as typed arrays it is ~80 MB, and a row is
 * materialised only when a request asks for it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, readFloatColumns, sqlString } from '../engine/data/duckdb.ts';
import type { FeatureRow, FeatureValue } from '../engine/pipeline/feature-row.ts';

type ColumnKind = 'number' | 'boolean' | 'string';

interface Column {
  name: string;
  kind: ColumnKind;
  /** numbers: NaN is null */
  num: Float64Array | null;
  /** booleans (0/1) and dictionary codes of strings; −1 is null */
  code: Int16Array | null;
  dict: string[] | null;
}

export interface SymbolSlice {
  symbol: string;
  /** rows [start, end) of the table, ascending in time */
  start: number;
  end: number;
  /** hour open times of those rows (a view into the ts column) */
  ts: Float64Array;
}

export class FeatureColumns {
  readonly rows: number;
  private readonly columns: Column[];
  private readonly slices = new Map<string, SymbolSlice>();

  private constructor(columns: Column[], rows: number) {
    this.columns = columns;
    this.rows = rows;
    const ts = this.numeric('ts_ms');
    const sym = columns.find((c) => c.name === 'symbol');
    if (!ts || !sym || !sym.code || !sym.dict) throw new Error('features: ts_ms and symbol columns are required');
    // rows are sorted by symbol then time, so each symbol is one contiguous slice
    let start = 0;
    for (let i = 1; i <= rows; i++) {
      if (i === rows || sym.code[i] !== sym.code[start]) {
        const symbol = sym.dict[sym.code[start]];
        this.slices.set(symbol, { symbol, start, end: i, ts: ts.subarray(start, i) });
        start = i;
      }
    }
  }

  static empty(): FeatureColumns {
    return new FeatureColumns(
      [
        { name: 'ts_ms', kind: 'number', num: new Float64Array(0), code: null, dict: null },
        { name: 'symbol', kind: 'string', num: null, code: new Int16Array(0), dict: [] },
      ],
      0,
    );
  }

  /** reads a features.parquet written by engine/replay/feature-writer.ts */
  static async fromParquet(conn: DuckDBConnection, file: string): Promise<FeatureColumns> {
    const src = `read_parquet(${sqlString(file)})`;
    const described = await queryRows(conn, `DESCRIBE SELECT * FROM ${src}`);
    const specs = described
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
      // ts duplicates ts_ms as a TIMESTAMP for SQL users
      .filter((c) => c.name !== 'ts');
    const kindOf = (type: string): ColumnKind => (type === 'BOOLEAN' ? 'boolean' : type === 'VARCHAR' ? 'string' : 'number');
    const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const strings = specs.filter((c) => kindOf(c.type) === 'string');
    const dicts = new Map<string, string[]>();
    if (strings.length > 0) {
      // one scan for every dictionary; sorted so codes are stable between loads
      const row = (await queryRows(conn, `SELECT ${strings.map((c, i) => `list_sort(list(DISTINCT ${q(c.name)}) FILTER (WHERE ${q(c.name)} IS NOT NULL))::VARCHAR[] AS d${i}`).join(', ')} FROM ${src}`))[0];
      strings.forEach((c, i) => dicts.set(c.name, ((row?.[`d${i}`] as string[] | null) ?? []).map(String)));
    }
    // every column comes back as DOUBLE so the bulk vector copy applies; strings as 1-based dictionary positions
    const exprs = specs.map((c, i) => {
      const kind = kindOf(c.type);
      if (kind === 'string') {
        const list = `[${dicts.get(c.name)!.map(sqlString).join(', ')}]::VARCHAR[]`;
        return `list_position(${list}, ${q(c.name)})::DOUBLE AS c${i}`;
      }
      return `${q(c.name)}::DOUBLE AS c${i}`;
    });
    const cols = await readFloatColumns(conn, `SELECT ${exprs.join(', ')} FROM ${src} ORDER BY symbol, ts_ms`);
    const rows = cols.c0?.length ?? 0;
    const columns: Column[] = specs.map((c, i) => {
      const kind = kindOf(c.type);
      const raw = cols[`c${i}`];
      if (kind === 'number') return { name: c.name, kind, num: raw, code: null, dict: null };
      const code = new Int16Array(rows);
      for (let r = 0; r < rows; r++) {
        const v = raw[r];
        if (kind === 'boolean') code[r] = Number.isNaN(v) ? -1 : v;
        // list_position gives NULL (or 0 in older DuckDB) when absent
        else code[r] = Number.isNaN(v) || v <= 0 ? -1 : v - 1;
      }
      return { name: c.name, kind, num: null, code, dict: kind === 'string' ? dicts.get(c.name)! : null };
    });
    return new FeatureColumns(columns, rows);
  }

  get symbols(): string[] {
    return [...this.slices.keys()];
  }

  slice(symbol: string): SymbolSlice | undefined {
    return this.slices.get(symbol);
  }

  numeric(name: string): Float64Array | null {
    return this.columns.find((c) => c.name === name)?.num ?? null;
  }

  value(col: number, row: number): FeatureValue {
    const c = this.columns[col];
    if (c.kind === 'number') {
      const v = c.num![row];
      return Number.isNaN(v) ? null : v;
    }
    const k = c.code![row];
    if (k < 0) return null;
    return c.kind === 'boolean' ? k === 1 : c.dict![k];
  }

  row(i: number): FeatureRow {
    const out: FeatureRow = {};
    for (let c = 0; c < this.columns.length; c++) out[this.columns[c].name] = this.value(c, i);
    return out;
  }

  columnIndex(name: string): number {
    return this.columns.findIndex((c) => c.name === name);
  }
}

/** first index in ts[lo, hi) whose value is > x (ts ascending) */
export function upperBound(ts: ArrayLike<number>, x: number, lo = 0, hi = ts.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
