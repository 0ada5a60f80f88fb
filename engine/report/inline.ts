/**
 * Values from query results inside prose, chart titles and {#if} conditions:
 *
 *   {{ cell.column }}          first row's column
 *   {{ cell[2].column }}       third row (0-based); cell[-1] is the last row
 *   {{ cell.$rows }}           number of rows
 *   {{ params.symbol }}        a parameter's value as typed
 *   {{ cell.column | pct:1 }}  formatted (formats in values.ts: auto int num pct usd compact date datetime raw)
 *
 * A missing value (NULL, or a row index past the end) shows "—".
 */
import { formatValue, type Cell, type Row } from './values.ts';
import { paramText, type ParamValues } from './params.ts';

export interface CellResult {
  columns: string[];
  rows: Row[];
}

/** What inline references can see: the SQL cells that ran, and the ones that failed (by name, with the reason). */
export interface ValueScope {
  results: ReadonlyMap<string, CellResult>;
  failed: ReadonlyMap<string, string>;
  params: ParamValues;
}

export const INLINE = /\{\{\s*([^}|]+?)\s*(?:\|\s*([A-Za-z]+(?::\d+)?)\s*)?\}\}/g;

const REF = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?\d+)\])?(?:\.(\$?[A-Za-z_][A-Za-z0-9_]*))?$/;

/** The raw value a reference points at; throws an Error whose message says what is wrong. */
export function resolveRef(ref: string, scope: ValueScope): Cell {
  const m = REF.exec(ref.trim());
  if (!m) throw new Error(`'${ref}' is not a reference (cell.column, cell[0].column, cell.$rows or params.name)`);
  const [, cell, index, column] = m;
  if (cell === 'params' && index === undefined) {
    if (column === undefined) throw new Error(`'${ref}': name a parameter, e.g. params.symbol`);
    const v = scope.params[column];
    if (v === undefined) throw new Error(`unknown parameter '${column}' (parameters: ${Object.keys(scope.params).join(', ') || 'none'})`);
    return v.type === 'symbols' || v.type === 'runs' ? v.value.join(', ') : v.type === 'date' ? new Date(v.value).toISOString() : v.value;
  }
  const key = cell.toLowerCase();
  if (scope.failed.has(key)) throw new Error(`SQL cell '${cell}' failed: ${scope.failed.get(key)}`);
  const result = scope.results.get(key);
  if (!result) throw new Error(`no SQL cell named '${cell}' ran before this point (defined later, misspelt, or in a branch not taken)`);
  if (column === '$rows') {
    if (index !== undefined) throw new Error(`'${ref}': $rows takes no row index`);
    return result.rows.length;
  }
  if (column === undefined) throw new Error(`'${ref}': name a column, e.g. ${cell}.${result.columns[0] ?? 'column'}`);
  if (!result.columns.includes(column)) throw new Error(`SQL cell '${cell}' has no column '${column}' (columns: ${result.columns.join(', ')})`);
  let i = index === undefined ? 0 : Number(index);
  if (i < 0) i += result.rows.length;
  const row = result.rows[i];
  return row === undefined ? null : (row[column] ?? null);
}

export function renderRef(ref: string, fmt: string | undefined, scope: ValueScope): string {
  const trimmed = ref.trim();
  const m = /^params\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(trimmed);
  // a parameter shows as the user typed it unless a format is asked for
  if (m && fmt === undefined && scope.params[m[1]]) return paramText(scope.params[m[1]]);
  return formatValue(resolveRef(trimmed, scope), fmt ?? 'auto');
}

export function truthy(v: Cell): boolean {
  if (v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}
