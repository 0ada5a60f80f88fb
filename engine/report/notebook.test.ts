// The notebook language on its own: parsing with line numbers, typed parameters, safe SQL interpolation,
// inline values and formats, and the Vega-Lite preparation that keeps charts in UTC and offline.
import { describe, expect, it } from 'vitest';
import { parseNotebook } from './parse.ts';
import { paramsHash, parseParamArgs, resolveParams } from './params.ts';
import { interpolateSql, TemplateError } from './sql-template.ts';
import { renderRef, type ValueScope } from './inline.ts';
import { formatValue, toCsv } from './values.ts';
import { prepareSpec, ChartSpecError } from './vega.ts';
import { chooseAxes } from './sweep-source.ts';
import { flattenConfig } from './run-tables.ts';
import { sqlErrorLine } from './execute.ts';

const DOC = `---
title: Synthetic notebook
params:
  symbol: { type: symbol, default: BTCUSDT }
  from: { type: date, default: 2022-11-06 }
  n: { type: integer, default: 3, min: 1, max: 10 }
  tags: { type: symbols, default: "BTCUSDT,ETHUSDT" }
---
Intro {{ q.x }}.

\`\`\`sql name=q table rows=5
SELECT 1 AS x
\`\`\`

{#if q.$rows}
\`\`\`vega-lite data=q
{"mark": "bar"}
\`\`\`
{:else}
Nothing.
{/if}

\`\`\`sh
echo "not a cell"
\`\`\`
`;

describe('parseNotebook', () => {
  it('splits prose, cells and branches and keeps each block\'s file line', () => {
    const nb = parseNotebook(DOC, 'synthetic.md', 'synthetic');
    expect(nb.front.title).toBe('Synthetic notebook');
    expect(nb.problems).toEqual([]);
    const kinds = nb.blocks.map((b) => b.kind);
    expect(kinds).toEqual(['prose', 'sql', 'if', 'prose']);
    const sql = nb.blocks[1];
    expect(sql).toMatchObject({ kind: 'sql', name: 'q', line: 11, options: { table: 'true', rows: '5' } });
    const branch = nb.blocks[2];
    if (branch.kind !== 'if') throw new Error('expected an if block');
    expect(branch).toMatchObject({ ref: 'q.$rows', negate: false, line: 15 });
    expect(branch.then[0]).toMatchObject({ kind: 'chart', name: 'q-chart', data: ['q'], line: 16 });
    expect(branch.else[0]).toMatchObject({ kind: 'prose', text: 'Nothing.' });
    // other fenced code stays prose, verbatim
    expect((nb.blocks[3] as { text: string }).text).toContain('echo "not a cell"');
  });

  it('reports structural problems with their line instead of failing', () => {
    const nb = parseNotebook('---\ntitle: t\n---\n```sql\nSELECT 1\n```\n{/if}\n```sql name=a\nSELECT 2\n```\n```sql name=A\nSELECT 3\n```\n', 'p.md', 'p');
    expect(nb.problems).toEqual([
      { line: 7, message: '{/if} without an open {#if}' },
      { line: 4, message: 'SQL cell without name=… (```sql name=mycell)' },
      { line: 11, message: "SQL cell 'A' is defined twice (first on line 8)" },
    ]);
  });

  it('rejects bad front matter naming the key', () => {
    expect(() => parseNotebook('---\ntitle: t\nparams:\n  x: { type: colour }\n---\n', 'f.md', 'f')).toThrow(/f\.md: front matter params\.x\.type: expected one of/);
    expect(() => parseNotebook('---\ntitle: t\nparams:\n  x: { type: date, default: yesterday }\n---\n', 'f.md', 'f')).toThrow(/params\.x\.default: 'yesterday' is not a UTC date/);
    expect(() => parseNotebook('---\ntitel: t\n---\n', 'f.md', 'f')).toThrow(/front matter titel: unknown key/);
  });
});

describe('parameters', () => {
  const nb = parseNotebook(DOC, 'synthetic.md', 'synthetic');
  it('parses overrides by type and keeps defaults', () => {
    const p = resolveParams(nb.front, { symbol: 'ethusdt', n: '7', from: '2022-11-08 12:00' }, 'synthetic.md');
    expect(p.symbol).toEqual({ type: 'symbol', value: 'ETHUSDT' });
    expect(p.n).toEqual({ type: 'integer', value: 7 });
    expect(p.from).toEqual({ type: 'date', value: Date.UTC(2022, 10, 8, 12) });
    expect(p.tags).toEqual({ type: 'symbols', value: ['BTCUSDT', 'ETHUSDT'] });
  });

  it('names the parameter of an unknown key or a bad value', () => {
    expect(() => resolveParams(nb.front, { nope: '1' }, 'synthetic.md')).toThrow("synthetic.md: unknown parameter 'nope' (parameters: symbol, from, n, tags)");
    expect(() => resolveParams(nb.front, { n: '11' }, 'synthetic.md')).toThrow("param n: '11' is not <= 10");
    expect(() => resolveParams(nb.front, { from: '2022-02-30' }, 'synthetic.md')).toThrow(/param from: '2022-02-30' is not a UTC date/);
    expect(() => parseParamArgs(['novalue'])).toThrow("--param 'novalue': expected key=value");
  });

  it('hashes only the values that differ from the defaults', () => {
    expect(paramsHash(nb.front, resolveParams(nb.front, {}, ''))).toBe('');
    const a = paramsHash(nb.front, resolveParams(nb.front, { n: '4' }, ''));
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(paramsHash(nb.front, resolveParams(nb.front, { n: '5' }, ''))).not.toBe(a);
  });
});

describe('SQL interpolation', () => {
  const nb = parseNotebook(DOC, 'synthetic.md', 'synthetic');
  it('quotes every value by its type, so input cannot escape its literal', () => {
    const p = resolveParams(nb.front, {}, '');
    p.name = { type: 'string', value: "x'; DROP TABLE candles_1h; --" };
    const sql = interpolateSql('SELECT ${symbol}, ${from}, ${n}, ${tags}, ${name}, ${name:ident}', p);
    expect(sql).toBe(
      `SELECT 'BTCUSDT', TIMESTAMP '2022-11-06 00:00:00', 3, ['BTCUSDT', 'ETHUSDT']::VARCHAR[], 'x''; DROP TABLE candles_1h; --', "x'; DROP TABLE candles_1h; --"`,
    );
  });

  it('reports an unknown parameter with its line in the cell', () => {
    const p = resolveParams(nb.front, {}, '');
    try {
      interpolateSql('SELECT 1\nFROM t\nWHERE a = ${nosuch}', p);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).lineOffset).toBe(2);
      expect((err as Error).message).toMatch(/^unknown parameter 'nosuch' in \$\{nosuch\} \(parameters: symbol, from, n, tags\)/);
    }
  });

  it('maps DuckDB\'s LINE n to the notebook line', () => {
    expect(sqlErrorLine('Parser Error: syntax error at or near "FORM"\n\nLINE 3: FORM x\n        ^', 40)).toBe(43);
    expect(sqlErrorLine('Catalog Error: no such table', 40)).toBe(41);
  });
});

describe('inline values and formats', () => {
  const scope: ValueScope = {
    results: new Map([['q', { columns: ['x', 'ts', 'missing'], rows: [{ x: 0.1234, ts: '2022-11-08T16:00:00.000Z', missing: null }, { x: 1234567, ts: null, missing: null }] }]]),
    failed: new Map([['bad', 'Binder Error: nope']]),
    params: { symbol: { type: 'symbol', value: 'BTCUSDT' } },
  };
  it('reads rows, counts and parameters', () => {
    expect(renderRef('q.x', 'pct', scope)).toBe('12.3 %');
    expect(renderRef('q[1].x', 'int', scope)).toBe('1,234,567');
    expect(renderRef('q[-1].x', 'usd', scope)).toBe('$1.2M');
    expect(renderRef('q.ts', 'datetime', scope)).toBe('2022-11-08 16:00 UTC');
    expect(renderRef('q.$rows', undefined, scope)).toBe('2');
    expect(renderRef('params.symbol', undefined, scope)).toBe('BTCUSDT');
  });
  it('shows missing values as a dash, never 0', () => {
    expect(renderRef('q.missing', 'int', scope)).toBe('—');
    expect(renderRef('q[5].x', undefined, scope)).toBe('—');
  });
  it('says what is wrong with a bad reference', () => {
    expect(() => renderRef('q.nope', undefined, scope)).toThrow("SQL cell 'q' has no column 'nope' (columns: x, ts, missing)");
    expect(() => renderRef('bad.x', undefined, scope)).toThrow("SQL cell 'bad' failed: Binder Error: nope");
    expect(() => renderRef('zz.x', undefined, scope)).toThrow(/no SQL cell named 'zz'/);
    expect(() => formatValue(1, 'percent')).toThrow(/unknown format 'percent'/);
  });
  it('writes RFC 4180 CSV with empty fields for NULL', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x,"y"', b: null }, { a: 1, b: true }])).toBe('a,b\r\n"x,""y""",\r\n1,true\r\n');
  });
});

describe('chart preparation', () => {
  const rows = { d: [{ t: '2022-01-01T00:00:00.000Z', v: 1 }] };
  it('binds the data cells, forces UTC time and adds the report look', () => {
    const spec = prepareSpec({ mark: 'line', encoding: { x: { field: 't', type: 'temporal', timeUnit: 'yearmonth' }, y: { field: 'v', type: 'quantitative' }, tooltip: [{ field: 't', type: 'temporal' }] } }, rows);
    expect(spec.data).toEqual({ name: 'd' });
    expect(spec.datasets).toEqual(rows);
    expect(spec.width).toBe(720);
    const enc = spec.encoding as Record<string, Record<string, unknown> | Record<string, unknown>[]>;
    expect(enc.x).toMatchObject({ timeUnit: 'utcyearmonth', scale: { type: 'utc' } });
    expect((enc.tooltip as Record<string, unknown>[])[0]).toMatchObject({ formatType: 'utcFormat' });
    expect((spec.config as Record<string, unknown>).font).toMatch(/Liberation Sans/);
  });
  it('refuses URLs and data that is not among its cells', () => {
    expect(() => prepareSpec({ data: { url: 'https://example.org/x.csv' }, mark: 'bar' }, rows)).toThrow(ChartSpecError);
    expect(() => prepareSpec({ mark: 'image', encoding: { url: { value: '//cdn.example.org/a.png' } } }, rows)).toThrow(/external URL/);
    expect(() => prepareSpec({ layer: [{ data: { name: 'other' }, mark: 'bar' }] }, rows)).toThrow(/reads data 'other', which is not among the chart's data cells/);
  });
});

describe('sweep axes', () => {
  const cols = [
    { name: 'config_id', type: 'VARCHAR', distinct: 12 },
    { name: 'rules.funding_abs_z', type: 'DOUBLE', distinct: 4, swept: true },
    { name: 'volatility.thresholds.high_vol', type: 'DOUBLE', distinct: 3, swept: true },
    { name: 'train_precision', type: 'DOUBLE', distinct: 12 },
    { name: 'holdout_precision', type: 'DOUBLE', distinct: 12 },
    { name: 'holdout_recall', type: 'DOUBLE', distinct: 12 },
    { name: 'holdout_false_alarms_per_week', type: 'DOUBLE', distinct: 12 },
  ];
  it('takes swept keys as axes and period metrics by preference', () => {
    expect(chooseAxes(cols, {}, 'holdout')).toEqual({
      x: 'rules.funding_abs_z',
      y: 'volatility.thresholds.high_vol',
      metric: 'holdout_precision',
      pareto_x: 'holdout_false_alarms_per_week',
      pareto_y: 'holdout_recall',
      message: null,
    });
    expect(chooseAxes(cols, { metric: 'precision' }, 'train').metric).toBe('train_precision');
    expect(() => chooseAxes(cols, { x: 'nope' })).toThrow(/param x: the sweep results have no column 'nope'/);
  });
  it('flattens a config to dotted keys', () => {
    expect(flattenConfig({ a: { b: 1, c: [1, 2] }, d: 'x' })).toEqual([
      { key: 'a.b', value: '1', num: 1 },
      { key: 'a.c', value: '[1,2]', num: null },
      { key: 'd', value: 'x', num: null },
    ]);
  });
});
