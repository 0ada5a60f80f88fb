/**
 * Runs a notebook's SQL cells in document order. Each cell's result becomes a temp table named after the cell,
 * so later cells can select from it; {#if} conditions are decided when reached, from the cells before them,
 * and cells in a branch not taken never run. A failing cell is recorded and the rest go on.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { walkBlocks, type Block, type IfBlock, type SqlBlock } from './parse.ts';
import type { ParamValues } from './params.ts';
import { interpolateSql, sqlIdent, TemplateError } from './sql-template.ts';
import { INLINE, resolveRef, truthy, type CellResult, type ValueScope } from './inline.ts';
import { normalizeRows } from './values.ts';

export interface CellFailure {
  line: number;
  message: string;
}

export interface Execution extends ValueScope {
  results: Map<string, CellResult>;
  /** lower-cased cell name → reason */
  failed: Map<string, string>;
  /** where each failure sits, by block */
  failures: Map<Block, CellFailure>;
  /** the branch each {#if} took; absent when its branch was never reached */
  branches: Map<IfBlock, boolean>;
  /** the SQL as run, parameters substituted */
  sqlText: Map<SqlBlock, string>;
  elapsedMs: Map<SqlBlock, number>;
}

/** DuckDB names the statement line ("LINE 3:") of a parser or binder error; the cell's first line is fence + 1. */
export function sqlErrorLine(message: string, fenceLine: number): number {
  const m = /LINE (\d+):/.exec(message);
  return m ? fenceLine + Number(m[1]) : fenceLine + 1;
}

/** DuckDB's message without the echoed statement line and caret, on one line. */
function tidySqlError(message: string): string {
  return message.split(/\n\s*LINE \d+:/)[0].replace(/\s+/g, ' ').trim();
}

export async function executeNotebook(
  conn: DuckDBConnection,
  blocks: readonly Block[],
  params: ParamValues,
  opts: { reserved: Set<string>; problems: Map<number, string> },
): Promise<Execution> {
  const ex: Execution = { results: new Map(), failed: new Map(), failures: new Map(), branches: new Map(), sqlText: new Map(), elapsedMs: new Map(), params };

  const runSql = async (b: SqlBlock) => {
    const key = b.name.toLowerCase();
    const fail = (line: number, message: string) => {
      ex.failures.set(b, { line, message });
      if (b.name) ex.failed.set(key, message);
    };
    const problem = opts.problems.get(b.line);
    if (problem) return fail(b.line, problem);
    if (opts.reserved.has(key)) return fail(b.line, `cell name '${b.name}' is taken by a built-in table or view; choose another`);
    let sql: string;
    try {
      sql = interpolateSql(b.source, params);
    } catch (err) {
      if (err instanceof TemplateError) return fail(b.line + 1 + err.lineOffset, err.message);
      throw err;
    }
    ex.sqlText.set(b, sql);
    const body = sql.replace(/;\s*$/, '');
    if (body.trim() === '') return fail(b.line, 'the SQL cell is empty');
    const t0 = performance.now();
    try {
      // the prefix shares the cell's first line, so DuckDB's "LINE n" stays the cell's line n
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(b.name)} AS ${body}`);
      const reader = await conn.runAndReadAll(`SELECT * FROM ${sqlIdent(b.name)}`);
      ex.results.set(key, { columns: reader.columnNames(), rows: normalizeRows(reader.getRowObjectsJS() as Record<string, unknown>[]) });
    } catch (err) {
      const msg = (err as Error).message;
      return fail(sqlErrorLine(msg, b.line), tidySqlError(msg));
    } finally {
      ex.elapsedMs.set(b, performance.now() - t0);
    }
  };

  const walk = async (list: readonly Block[]) => {
    for (const b of list) {
      if (b.kind === 'sql') await runSql(b);
      else if (b.kind === 'if') {
        let take: boolean;
        try {
          take = truthy(resolveRef(b.ref, ex)) !== b.negate;
        } catch (err) {
          ex.failures.set(b, { line: b.line, message: `{#if ${b.negate ? '!' : ''}${b.ref}}: ${(err as Error).message}; neither branch is shown` });
          continue;
        }
        ex.branches.set(b, take);
        await walk(take ? b.then : b.else);
      }
    }
  };
  await preloadBuiltins(conn, blocks, ex, opts.reserved);
  await walk(blocks);
  return ex;
}

/** Names that inline values, conditions and chart specs read: `{{ run_info.id }}` → run_info. */
function referencedNames(blocks: readonly Block[]): Set<string> {
  const names = new Set<string>();
  const scan = (text: string) => {
    for (const m of text.matchAll(INLINE)) {
      const name = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(m[1]);
      if (name) names.add(name[1].toLowerCase());
    }
  };
  for (const b of walkBlocks(blocks)) {
    if (b.kind === 'prose' || b.kind === 'chart') scan(b.kind === 'prose' ? b.text : b.source);
    else if (b.kind === 'if') scan(`{{ ${b.ref} }}`);
  }
  return names;
}

/**
 * Inline values may read a built-in table directly (`{{ run_info.id }}`, `{#if sweep_info.available}`) without a
 * SQL cell around it; such tables are small, and are read once before the cells run.
 */
async function preloadBuiltins(conn: DuckDBConnection, blocks: readonly Block[], ex: Execution, reserved: Set<string>): Promise<void> {
  const cells = new Set([...walkBlocks(blocks)].filter((b): b is SqlBlock => b.kind === 'sql').map((b) => b.name.toLowerCase()));
  for (const name of referencedNames(blocks)) {
    if (cells.has(name) || !reserved.has(name)) continue;
    const reader = await conn.runAndReadAll(`SELECT * FROM ${sqlIdent(name)} LIMIT ${BUILTIN_ROWS}`);
    ex.results.set(name, { columns: reader.columnNames(), rows: normalizeRows(reader.getRowObjectsJS() as Record<string, unknown>[]) });
  }
}

const BUILTIN_ROWS = 10_000;
