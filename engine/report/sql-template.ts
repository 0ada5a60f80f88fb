/**
 * `${name}` in a SQL cell becomes a SQL literal of the parameter's type — quoted and escaped, never pasted as
 * text — and `${name:ident}` a double-quoted identifier (for a column chosen by a parameter). Lists become
 * DuckDB list literals, so `list_contains(${symbols}, symbol)`.
 */
import { sqlString } from '../data/duckdb.ts';
import type { ParamValue, ParamValues } from './params.ts';

export class TemplateError extends Error {
  /** 0-based line within the template where the bad reference sits */
  readonly lineOffset: number;
  constructor(message: string, lineOffset: number) {
    super(message);
    this.lineOffset = lineOffset;
  }
}

export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function timestampLiteral(ms: number): string {
  return `TIMESTAMP '${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}'`;
}

export function sqlLiteral(v: ParamValue): string {
  switch (v.type) {
    case 'number':
    case 'integer':
      // finite by validation; String() never yields an exponent DuckDB cannot read
      return String(v.value);
    case 'boolean':
      return v.value ? 'TRUE' : 'FALSE';
    case 'date':
      return timestampLiteral(v.value);
    case 'symbols':
    case 'runs':
      return `[${v.value.map(sqlString).join(', ')}]::VARCHAR[]`;
    default:
      return sqlString(v.value);
  }
}

const REF = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*([A-Za-z]+)\s*)?\}/g;

export function interpolateSql(sql: string, params: ParamValues): string {
  return sql.replace(REF, (match, name: string, mode: string | undefined, offset: number) => {
    const lineOffset = sql.slice(0, offset).split('\n').length - 1;
    const v = params[name];
    if (v === undefined) {
      const known = Object.keys(params);
      throw new TemplateError(`unknown parameter '${name}' in ${match} (${known.length ? `parameters: ${known.join(', ')}` : 'the notebook declares none'})`, lineOffset);
    }
    if (mode === undefined) return sqlLiteral(v);
    if (mode === 'ident') {
      if (typeof v.value !== 'string') throw new TemplateError(`${match}: only a text parameter can name a column`, lineOffset);
      return sqlIdent(v.value);
    }
    throw new TemplateError(`${match}: unknown format '${mode}' (use \${${name}} for a value or \${${name}:ident} for a column name)`, lineOffset);
  });
}

/** Plain-text substitution for chart specs and prose, where the text is not SQL. */
export function interpolateText(text: string, params: ParamValues, show: (v: ParamValue) => string): string {
  return text.replace(REF, (match, name: string, _mode: string | undefined, offset: number) => {
    const v = params[name];
    if (v === undefined) throw new TemplateError(`unknown parameter '${name}' in ${match}`, text.slice(0, offset).split('\n').length - 1);
    return show(v);
  });
}
