/**
 * Turns executed notebook blocks into HTML: prose through marked with inline values, SQL cells as a collapsed
 * query + preview (or a visible table), charts as vega-embed containers with their SVG as a no-script
 * fallback, and every error in place, naming the notebook, the cell and the line.
 */
import { Marked, type Tokens } from 'marked';
import type { Block, ChartBlock, SqlBlock } from './parse.ts';
import type { Execution } from './execute.ts';
import { INLINE, renderRef, resolveRef, type CellResult } from './inline.ts';
import { paramText } from './params.ts';
import { interpolateText, TemplateError } from './sql-template.ts';
import { escapeHtml, formatValue, type Cell, type Row } from './values.ts';
import { drawChart, prepareSpec, svgToPng } from './vega.ts';
import { jsonScript } from './html.ts';

export interface ReportError {
  line: number;
  cell: string | null;
  message: string;
  /** `notebooks/x.md:42: cell 'price': …`, as printed by the CLI and shown in the page */
  text: string;
  anchor: string;
}

export interface RenderedChart {
  name: string;
  title: string | null;
  svg: string;
  png: Buffer;
}

export interface BlocksOutput {
  html: string;
  charts: RenderedChart[];
  errors: ReportError[];
  warnings: string[];
  headings: { id: string; text: string }[];
}

const EXTERNAL = /^\s*([a-z][a-z0-9+.-]*:)?\/\//i;

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/&[a-z]+;/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'section'
  );
}

function makeMarked(headings: BlocksOutput['headings']): Marked {
  const used = new Set<string>();
  return new Marked({
    gfm: true,
    async: false,
    renderer: {
      heading(this: { parser: { parseInline(t: Tokens.Generic[]): string } }, { tokens, depth }: Tokens.Heading) {
        const inner = this.parser.parseInline(tokens);
        let id = slug(inner);
        for (let k = 2; used.has(id); k++) id = `${slug(inner)}-${k}`;
        used.add(id);
        if (depth === 2) headings.push({ id, text: inner.replace(/<[^>]+>/g, '') });
        return `<h${depth} id="${id}">${inner}</h${depth}>\n`;
      },
      // the page works offline: links out are shown as text, remote images not at all
      link(this: { parser: { parseInline(t: Tokens.Generic[]): string } }, { href, tokens }: Tokens.Link) {
        const inner = this.parser.parseInline(tokens);
        return EXTERNAL.test(href) ? `<span class="ext-link" title="external link (not followed: this report works offline)">${inner}</span>` : `<a href="${escapeHtml(href)}">${inner}</a>`;
      },
      image({ href, text }: Tokens.Image) {
        return EXTERNAL.test(href) ? `<span class="ext-link">[image omitted: ${escapeHtml(text)}]</span>` : `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}">`;
      },
    },
  });
}

/** Raw HTML in prose must not load anything either. */
function stripExternalAttributes(html: string): string {
  return html.replace(/\s(src|href|srcset|poster|data)\s*=\s*("([^"]*)"|'([^']*)')/gi, (m, _attr, _q, d: string | undefined, s: string | undefined) =>
    EXTERNAL.test(d ?? s ?? '') ? ' data-external-removed="true"' : m,
  );
}

const isNumericColumn = (rows: readonly Row[], c: string) => rows.some((r) => typeof r[c] === 'number') && rows.every((r) => r[c] === null || typeof r[c] === 'number');

/** `format="precision:pct,alerts:int"` → {precision: 'pct', alerts: 'int'} */
function columnFormats(option: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (option ?? '').split(',')) {
    const i = part.indexOf(':');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** `labels="px=false alarms per week;py=recall"` → header text per column (the CSV keeps the SQL names) */
function columnLabels(option: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (option ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** a JSON object cell (swept values, config keys) as one `key = value` line per entry, instead of raw JSON */
function keyValueHtml(v: Cell): string | null {
  if (typeof v !== 'string' || !v.trimStart().startsWith('{')) return null;
  try {
    const obj = JSON.parse(v) as unknown;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
    return Object.entries(obj as Record<string, unknown>)
      .map(([k, x]) => `<code>${escapeHtml(k)}</code> = ${escapeHtml(typeof x === 'string' ? x : JSON.stringify(x))}`)
      .join('<br>');
  } catch {
    return null;
  }
}

export function renderTable(result: CellResult, limit: number, formats: Record<string, string> = {}, labels: Record<string, string> = {}): string {
  const rows = result.rows.slice(0, limit);
  const numeric = new Set(result.columns.filter((c) => isNumericColumn(result.rows, c)));
  const head = result.columns.map((c) => `<th${numeric.has(c) ? ' class="num"' : ''}>${escapeHtml(labels[c] ?? c)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${result.columns
          .map((c) => {
            const v: Cell = r[c] ?? null;
            if (formats[c] === 'kv') {
              const kv = keyValueHtml(v);
              if (kv !== null) return `<td class="kv">${kv}</td>`;
            }
            // long text wraps inside the cell rather than pushing the table past the page's right edge
            const cls = [numeric.has(c) ? 'num' : '', v === null ? 'null' : '', typeof v === 'string' && v.length > 32 ? 'wrap' : ''].filter(Boolean).join(' ');
            let text: string;
            try {
              text = formatValue(v, formats[c] ?? 'auto');
            } catch {
              text = formatValue(v);
            }
            return `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  const more = result.rows.length > limit ? `<p class="meta">First ${limit} of ${result.rows.length.toLocaleString('en-US')} rows; all rows are in the CSV.</p>` : '';
  const empty = result.rows.length === 0 ? '<p class="meta">No rows.</p>' : '';
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${empty}${more}`;
}

/** In a chart spec, `"{{ ref }}"` alone keeps the value's type; inside text it is formatted like prose. */
function substituteSpec(node: unknown, ex: Execution): unknown {
  if (Array.isArray(node)) return node.map((n) => substituteSpec(n, ex));
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substituteSpec(v, ex)]));
  if (typeof node !== 'string') return node;
  const whole = /^\s*\{\{\s*([^}|]+?)\s*\}\}\s*$/.exec(node);
  if (whole) return resolveRef(whole[1], ex);
  const wholeParam = /^\s*\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$/.exec(node);
  if (wholeParam && ex.params[wholeParam[1]]) {
    const v = ex.params[wholeParam[1]];
    return v.type === 'number' || v.type === 'integer' || v.type === 'boolean' ? v.value : paramText(v);
  }
  const text = interpolateText(node, ex.params, paramText);
  return text.replace(INLINE, (_m, ref: string, fmt: string | undefined) => renderRef(ref, fmt, ex));
}

/** JSON.parse's position → line in the cell (Node 20 says "at position N", newer Nodes "line L column C"). */
function jsonErrorLine(message: string, source: string, fenceLine: number): number {
  const lc = /line (\d+) column/.exec(message);
  if (lc) return fenceLine + Number(lc[1]);
  const pos = /position (\d+)/.exec(message);
  if (pos) return fenceLine + 1 + (source.slice(0, Number(pos[1])).match(/\n/g)?.length ?? 0);
  return fenceLine + 1;
}

export async function renderBlocks(blocks: readonly Block[], ex: Execution, file: string, problems: Map<number, string>): Promise<BlocksOutput> {
  const out: BlocksOutput = { html: '', charts: [], errors: [], warnings: [], headings: [] };
  const marked = makeMarked(out.headings);
  const parts: string[] = [];

  const record = (line: number, cell: string | null, message: string) => {
    const anchor = `error-${out.errors.length + 1}`;
    const text = `${file}:${line}: ${cell ? `cell '${cell}': ` : ''}${message}`;
    out.errors.push({ line, cell, message, text, anchor });
    return { anchor, text };
  };
  const error = (line: number, cell: string | null, message: string): string => {
    const { anchor, text } = record(line, cell, message);
    return `<div class="cell-error" id="${anchor}" role="alert"><b>${cell ? `Cell '${escapeHtml(cell)}'` : 'Error'}, line ${line}</b> — ${escapeHtml(text)}</div>`;
  };

  const textWithValues = (text: string) => text.replace(INLINE, (_m, ref: string, fmt: string | undefined) => renderRef(ref, fmt, ex));

  const prose = (text: string, line: number) => {
    const inline: string[] = [];
    const plain: string[] = [];
    const headingsBefore = out.headings.length;
    const withTokens = text.replace(INLINE, (match, ref: string, fmt: string | undefined, offset: number) => {
      const at = line + (text.slice(0, offset).match(/\n/g)?.length ?? 0);
      try {
        const value = renderRef(ref, fmt, ex);
        inline.push(escapeHtml(value));
        plain.push(value);
      } catch (err) {
        const { anchor, text: t } = record(at, null, `inline value ${match}: ${(err as Error).message}`);
        inline.push(`<span class="inline-error" id="${anchor}" role="alert">⚠ ${escapeHtml(t)}</span>`);
        plain.push(`⚠ ${match}`);
      }
      // a plain word survives Markdown untouched; the value is put back after parsing so it is never parsed as Markdown
      return `RWINLINE${inline.length - 1}X`;
    });
    const html = stripExternalAttributes(marked.parse(withTokens, { async: false }) as string);
    let filled = html.replace(/RWINLINE(\d+)X/g, (_m, i: string) => inline[Number(i)]);
    for (const h of out.headings.slice(headingsBefore)) {
      h.text = h.text.replace(/RWINLINE(\d+)X/g, (_m, i: string) => plain[Number(i)]);
      // the anchor was made from the placeholder; make it from the value the reader sees
      if (/rwinline\d+x/.test(h.id)) {
        const id = `${slug(h.text)}-${out.headings.indexOf(h) + 1}`;
        filled = filled.replace(`id="${h.id}"`, `id="${id}"`);
        h.id = id;
      }
    }
    parts.push(filled);
  };

  const sqlCell = (b: SqlBlock) => {
    const failure = ex.failures.get(b);
    if (failure) {
      parts.push(error(failure.line, b.name || null, failure.message));
      return;
    }
    const result = ex.results.get(b.name.toLowerCase());
    if (!result) return;
    const formats = columnFormats(b.options.format);
    const sql = ex.sqlText.get(b) ?? b.source;
    const ms = ex.elapsedMs.get(b) ?? 0;
    const summary = `<summary><b>${escapeHtml(b.name)}</b> · SQL · ${result.rows.length.toLocaleString('en-US')} row${result.rows.length === 1 ? '' : 's'} · ${ms.toFixed(0)} ms · <code>data/${escapeHtml(b.name)}.csv</code></summary>`;
    if (b.options.hidden) return;
    if (b.options.table) {
      const limit = Number(b.options.rows ?? 50) || 50;
      let title = b.options.title;
      let labels: Record<string, string> = {};
      try {
        // titles and column labels take inline values like prose: "Pareto front ({{ info.pareto_x }} …)"
        if (title) title = textWithValues(title);
        labels = Object.fromEntries(Object.entries(columnLabels(b.options.labels)).map(([k, v]) => [k, textWithValues(v)]));
      } catch (err) {
        parts.push(error(b.line, b.name, `title or labels: ${(err as Error).message}`));
      }
      if (title) parts.push(`<p class="meta"><b>${escapeHtml(title)}</b></p>`);
      parts.push(renderTable(result, limit, formats, labels));
      parts.push(`<details class="sql">${summary}<div><pre><code class="language-sql">${escapeHtml(sql.trim())}</code></pre></div></details>`);
    } else {
      const limit = Number(b.options.rows ?? 8) || 8;
      parts.push(`<details class="sql">${summary}<div><pre><code class="language-sql">${escapeHtml(sql.trim())}</code></pre>${renderTable(result, limit, formats)}</div></details>`);
    }
  };

  const chartCell = async (b: ChartBlock) => {
    const problem = problems.get(b.line);
    if (problem) return parts.push(error(b.line, b.name, problem));
    if (b.data.length === 0) return parts.push(error(b.line, b.name, 'a chart needs its data: ```vega-lite data=cellname'));
    const datasets: Record<string, Row[]> = {};
    for (const d of b.data) {
      const key = d.toLowerCase();
      if (ex.failed.has(key)) return parts.push(error(b.line, b.name, `data cell '${d}' failed, so the chart cannot be drawn (${ex.failed.get(key)})`));
      const r = ex.results.get(key);
      if (!r) {
        const known = [...ex.results.keys()];
        return parts.push(error(b.line, b.name, `data cell '${d}' does not exist or did not run (SQL cells: ${known.join(', ') || 'none'})`));
      }
      datasets[d] = r.rows;
    }
    let spec: unknown;
    try {
      spec = JSON.parse(b.source);
    } catch (err) {
      return parts.push(error(jsonErrorLine((err as Error).message, b.source, b.line), b.name, `the Vega-Lite spec is not valid JSON: ${(err as Error).message}`));
    }
    try {
      spec = substituteSpec(spec, ex);
    } catch (err) {
      const line = err instanceof TemplateError ? b.line + 1 : b.line;
      return parts.push(error(line, b.name, (err as Error).message));
    }
    let prepared: ReturnType<typeof prepareSpec>;
    let drawn: Awaited<ReturnType<typeof drawChart>>;
    try {
      prepared = prepareSpec(spec, datasets);
      drawn = await drawChart(prepared);
    } catch (err) {
      return parts.push(error(b.line, b.name, (err as Error).message));
    }
    const title = typeof prepared.title === 'string' ? prepared.title : prepared.title && typeof prepared.title === 'object' && !Array.isArray(prepared.title) && typeof prepared.title.text === 'string' ? prepared.title.text : null;
    out.charts.push({ name: b.name, title, svg: drawn.svg, png: svgToPng(drawn.svg) });
    for (const w of drawn.warnings) out.warnings.push(`${file}:${b.line}: chart '${b.name}': ${w}`);
    const label = escapeHtml(b.options.alt ?? title ?? b.name);
    // inline SVG in HTML needs no namespace declaration; dropping it keeps URLs out of the page
    const fallback = drawn.svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
    const caption = [b.options.caption ? escapeHtml(b.options.caption) : '', `PNG: <code>charts/${escapeHtml(b.name)}.png</code>`].filter(Boolean).join(' · ');
    const warn = drawn.warnings.length ? `<div class="warnings">Chart warnings: ${drawn.warnings.map(escapeHtml).join('; ')}</div>` : '';
    parts.push(
      `<figure class="chart" id="chart-${escapeHtml(b.name)}"><div class="vega-chart" data-vega-spec="spec-${escapeHtml(b.name)}" role="img" aria-label="${label}"></div><noscript>${fallback}</noscript><figcaption>${caption}</figcaption>${warn}${jsonScript(`spec-${b.name}`, prepared)}</figure>`,
    );
  };

  const walk = async (list: readonly Block[]) => {
    for (const b of list) {
      if (b.kind === 'prose') prose(b.text, b.line);
      else if (b.kind === 'sql') sqlCell(b);
      else if (b.kind === 'chart') await chartCell(b);
      else {
        const failure = ex.failures.get(b);
        if (failure) {
          parts.push(error(failure.line, null, failure.message));
          continue;
        }
        const take = ex.branches.get(b);
        if (take === undefined) continue;
        await walk(take ? b.then : b.else);
      }
    }
  };
  await walk(blocks);
  out.html = parts.join('\n');
  return out;
}
