/**
 * renderNotebook: parameters → context (store, runs, sweep) → SQL cells → HTML, PNGs, CSVs in one output folder:
 *
 *   <out>/index.html        self-contained page (libraries inlined, charts drawn in the browser, SVG fallback)
 *   <out>/charts/<chart>.png every chart, drawn in Node
 *   <out>/data/<cell>.csv   every SQL cell's result
 *   <out>/report.json       what was rendered: notebook, parameters, run, errors, files
 *
 * The folder is written under a temporary name and swapped in, so a server never serves half a report.
 * Broken cells do not stop the render: their errors are in the page and in the result (`ok: false`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { defaultResultsDir } from '../results/run-store.ts';
import { UserError } from '../errors.ts';
import { parseNotebook, walkBlocks } from './parse.ts';
import { changedParams, paramText, reportFolderName, reportLabel, resolveParams, type ParamValues } from './params.ts';
import { listRenderedReports } from './catalog.ts';
import { writeFileAtomic } from '../data/atomic-file.ts';
import { openNotebookContext, reservedNames } from './context.ts';
import { executeNotebook } from './execute.ts';
import { renderBlocks, type ReportError } from './render-blocks.ts';
import { inlineLibraries, renderPage } from './html.ts';
import { escapeHtml, formatValue, toCsv } from './values.ts';
import type { LoadedRun } from './run-tables.ts';
import { NOTEBOOKS_DIR, resolveNotebookFile } from './catalog.ts';

export interface RenderOptions {
  /** raw `key=value` overrides */
  params?: Record<string, string>;
  /** --run: sets the notebook's run parameter (one id) or runs parameter (several) */
  runs?: string[];
  /** output folder; default <reportsDir>/<notebook>[-<params hash>] */
  outDir?: string;
  /** where rendered reports go by default (results/reports) */
  reportsDir?: string;
  /** saved runs and sweeps (results/, or REGIME_RESULTS_DIR) */
  resultsDir?: string;
  datasetsDir?: string;
  dbPath?: string;
  onProgress?: (message: string) => void;
}

export interface RenderResult {
  notebook: string;
  file: string;
  title: string;
  /** the title and the parameters that differ from the defaults: tells reports of one notebook apart */
  label: string;
  outDir: string;
  changed_params: Record<string, string>;
  html: string;
  params: Record<string, string>;
  charts: { name: string; title: string | null; png: string }[];
  data: { name: string; csv: string; rows: number }[];
  runs: { label: string; id: string; source: 'saved' | 'fresh'; from: string; to: string; config_hash: string }[];
  errors: string[];
  warnings: string[];
  ok: boolean;
  elapsed_ms: number;
  rendered_at: string;
}

export function defaultReportsDir(resultsDir = defaultResultsDir()): string {
  return path.join(resultsDir, 'reports');
}

/** A folder we may replace: absent, empty, or a report written by us before. */
function replaceable(dir: string): boolean {
  if (!fs.existsSync(dir)) return true;
  if (!fs.statSync(dir).isDirectory()) return false;
  const entries = fs.readdirSync(dir);
  return entries.length === 0 || entries.includes('report.json');
}

function applyRunOption(front: { params: Record<string, { type: string }> }, runs: string[] | undefined, overrides: Record<string, string>, file: string): Record<string, string> {
  if (!runs || runs.length === 0) return overrides;
  const entry = Object.entries(front.params).find(([, s]) => s.type === 'run' || s.type === 'runs');
  if (!entry) throw new UserError(`${file}: --run given, but the notebook reads no run (it has no parameter of type run or runs)`);
  const [name, spec] = entry;
  if (spec.type === 'run' && runs.length > 1) throw new UserError(`${file}: --run given ${runs.length} times, but the notebook reads one run (parameter ${name})`);
  return { ...overrides, [name]: runs.join(',') };
}

function headerHtml(file: string, params: ParamValues, specs: Record<string, { description?: string }>, runs: LoadedRun[], toc: { id: string; text: string }[], errors: ReportError[]): string {
  const parts: string[] = [];
  if (errors.length) {
    parts.push(
      `<section class="error-summary" role="alert"><h2>${errors.length} error${errors.length === 1 ? '' : 's'} in this report</h2><ul>${errors
        .map((e) => `<li><a href="#${e.anchor}">${escapeHtml(e.text)}</a></li>`)
        .join('')}</ul></section>`,
    );
  }
  const names = Object.keys(params);
  if (names.length) {
    parts.push(
      `<table class="params"><thead><tr><th>parameter</th><th>value</th><th>meaning</th></tr></thead><tbody>${names
        .map((n) => `<tr><td>${escapeHtml(n)}</td><td>${escapeHtml(paramText(params[n]) || '(default)')}</td><td>${escapeHtml(specs[n]?.description ?? '')}</td></tr>`)
        .join('')}</tbody></table>`,
    );
  }
  for (const r of runs) {
    const m = r.record.manifest;
    const what = r.source === 'saved' ? `saved run <code>${escapeHtml(m.id)}</code>` : `a fresh backtest (${escapeHtml(r.label)}, not saved)`;
    parts.push(
      `<p class="meta">Data: ${what} · ${escapeHtml(m.symbols.join(', '))} · ${escapeHtml(m.from)} → ${escapeHtml(m.to)} UTC · config <code>${escapeHtml(m.config_hash)}</code> · ${formatValue(r.record.report.alerts_total, 'int')} alerts${
        m.dataset_manifest_sha256 ? ` · dataset <code>${escapeHtml(m.dataset_manifest_sha256.slice(0, 12))}</code>` : ''
      }</p>`,
    );
  }
  if (toc.length > 1) parts.push(`<nav class="toc">${toc.map((h) => `<a href="#${h.id}">${escapeHtml(h.text)}</a>`).join(' ')}</nav>`);
  return parts.join('\n');
}

export async function renderNotebook(notebook: string, opts: RenderOptions = {}): Promise<RenderResult> {
  const t0 = performance.now();
  const file = resolveNotebookFile(notebook);
  const rel = path.relative(process.cwd(), file);
  const shown = rel && !rel.startsWith('..') ? rel : file;
  const name = path.basename(file, '.md');
  const nb = parseNotebook(fs.readFileSync(file, 'utf8'), shown, name);
  const overrides = applyRunOption(nb.front, opts.runs, opts.params ?? {}, shown);
  const params = resolveParams(nb.front, overrides, shown);
  const resultsDir = path.resolve(opts.resultsDir ?? defaultResultsDir());
  const reportsDir = path.resolve(opts.reportsDir ?? defaultReportsDir(resultsDir));
  const outDir = path.resolve(opts.outDir ?? path.join(reportsDir, reportFolderName(name, nb.front, params)));
  if (!replaceable(outDir)) throw new UserError(`--out ${outDir}: the folder exists and is not a report folder (no report.json); choose another`);

  const problems = new Map(nb.problems.map((p) => [p.line, p.message]));
  const ctx = await openNotebookContext(nb.front, params, { datasetsDir: opts.datasetsDir, dbPath: opts.dbPath, resultsDir, notebookDir: path.dirname(file), onProgress: opts.onProgress });
  let blocks: Awaited<ReturnType<typeof renderBlocks>>;
  let ex: Awaited<ReturnType<typeof executeNotebook>>;
  try {
    opts.onProgress?.('running SQL cells');
    ex = await executeNotebook(ctx.store.conn, nb.blocks, params, { reserved: await reservedNames(ctx.store), problems });
    opts.onProgress?.('drawing charts');
    blocks = await renderBlocks(nb.blocks, ex, shown, problems);
  } finally {
    ctx.close();
  }
  // structural problems that belong to no cell ({/if} without {#if} …) are listed too
  const placed = new Set(blocks.errors.map((e) => e.line));
  for (const p of nb.problems) {
    if (!placed.has(p.line)) blocks.errors.push({ line: p.line, cell: null, message: p.message, text: `${shown}:${p.line}: ${p.message}`, anchor: 'top' });
  }

  const renderedAt = new Date().toISOString();
  const hasCharts = blocks.charts.length > 0 || [...walkBlocks(nb.blocks)].some((b) => b.kind === 'chart');
  const footer = [
    `Rendered ${escapeHtml(renderedAt.slice(0, 19).replace('T', ' '))} UTC by <code>regime report ${escapeHtml(shown)}</code>.`,
    'All times are UTC. A dash (—) is missing data, never zero.',
    'Every query\'s result is in <code>data/</code> as CSV, every chart in <code>charts/</code> as PNG.',
    hasCharts ? `Charts drawn with ${escapeHtml(inlineLibraries().versions)}, inlined in this page.` : '',
  ].join(' ');
  const html = renderPage({
    title: nb.front.title,
    description: nb.front.description ?? null,
    headerHtml: headerHtml(shown, params, nb.front.params, ctx.runs, blocks.headings, blocks.errors),
    bodyHtml: blocks.html,
    footerHtml: footer,
    hasCharts,
  });

  const tmp = `${outDir}.tmp-${randomUUID().slice(0, 8)}`;
  fs.mkdirSync(path.join(tmp, 'charts'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'data'), { recursive: true });
  const result: RenderResult = {
    notebook: name,
    file: shown,
    title: nb.front.title,
    label: reportLabel(nb.front.title, nb.front, params),
    outDir,
    html: path.join(outDir, 'index.html'),
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramText(v)])),
    changed_params: Object.fromEntries(changedParams(nb.front, params)),
    charts: [],
    data: [],
    runs: ctx.runs.map((r) => ({ label: r.label, id: r.record.manifest.id, source: r.source, from: r.record.manifest.from, to: r.record.manifest.to, config_hash: r.record.manifest.config_hash })),
    errors: blocks.errors.map((e) => e.text),
    warnings: blocks.warnings,
    ok: blocks.errors.length === 0,
    elapsed_ms: 0,
    rendered_at: renderedAt,
  };
  try {
    fs.writeFileSync(path.join(tmp, 'index.html'), html);
    for (const c of blocks.charts) {
      fs.writeFileSync(path.join(tmp, 'charts', `${c.name}.png`), c.png);
      result.charts.push({ name: c.name, title: c.title, png: path.join(outDir, 'charts', `${c.name}.png`) });
    }
    for (const b of walkBlocks(nb.blocks)) {
      if (b.kind !== 'sql') continue;
      const r = ex.results.get(b.name.toLowerCase());
      if (!r) continue;
      fs.writeFileSync(path.join(tmp, 'data', `${b.name}.csv`), toCsv(r.columns, r.rows));
      result.data.push({ name: b.name, csv: path.join(outDir, 'data', `${b.name}.csv`), rows: r.rows.length });
    }
    result.elapsed_ms = Math.round(performance.now() - t0);
    fs.writeFileSync(path.join(tmp, 'report.json'), JSON.stringify({ ...result, outDir: undefined, html: 'index.html', charts: result.charts.map((c) => ({ ...c, png: path.relative(outDir, c.png) })), data: result.data.map((d) => ({ ...d, csv: path.relative(outDir, d.csv) })) }, null, 1) + '\n');
    const old = `${outDir}.old-${randomUUID().slice(0, 8)}`;
    if (fs.existsSync(outDir)) fs.renameSync(outDir, old);
    fs.renameSync(tmp, outDir);
    fs.rmSync(old, { recursive: true, force: true });
    if (path.dirname(outDir) === reportsDir) writeReportIndex(reportsDir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return result;
}

/**
 * results/reports/index.json: every rendered report with its folder, label and parameters, newest first, so a
 * server can list them without opening each folder. Rewritten after every render (temp file + rename).
 */
export function writeReportIndex(reportsDir: string): string {
  const file = path.join(reportsDir, 'index.json');
  const reports = listRenderedReports(reportsDir).map((r) => ({
    id: r.id,
    notebook: r.notebook,
    title: r.title,
    label: r.label,
    params: r.params,
    changed_params: r.changed_params,
    rendered_at: r.rendered_at,
    ok: r.ok,
    errors: r.errors,
    html: `${r.id}/index.html`,
  }));
  writeFileAtomic(file, JSON.stringify({ generated_at: new Date().toISOString(), reports }, null, 1) + '\n');
  return file;
}

export { NOTEBOOKS_DIR };
