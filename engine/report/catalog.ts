/**
 * What exists: the notebooks (built-in ones in notebooks/) with their parameters, and the reports rendered
 * into an output folder — what the web server lists and serves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { parseNotebook } from './parse.ts';
import { formatUtcDate, type ParamSpec } from './params.ts';

export const NOTEBOOKS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../notebooks');

/** `backtest-overview`, `notebooks/backtest-overview.md` or any path to a .md file. */
export function resolveNotebookFile(ref: string, dir = NOTEBOOKS_DIR): string {
  const candidates = [ref, `${ref}.md`, path.join(dir, ref), path.join(dir, `${ref}.md`)];
  const found = candidates.find((c) => c.endsWith('.md') && fs.existsSync(c) && fs.statSync(c).isFile());
  if (!found) {
    const known = listNotebookFiles(dir).map((f) => path.basename(f, '.md'));
    throw new UserError(`no notebook '${ref}' (built-in: ${known.join(', ') || 'none'}; or give a path to a .md file)`);
  }
  return path.resolve(found);
}

function listNotebookFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
    .sort()
    .map((f) => path.join(dir, f));
}

export interface NotebookParamInfo {
  name: string;
  type: ParamSpec['type'];
  default: string;
  description: string;
  values?: string[];
}

export interface NotebookInfo {
  name: string;
  file: string;
  title: string;
  description: string;
  params: NotebookParamInfo[];
  /** set when the notebook cannot be parsed; the rest is then empty */
  error?: string;
}

function defaultText(spec: ParamSpec): string {
  const d = spec.default;
  if (d === undefined) return spec.type === 'run' ? 'auto' : spec.type === 'sweep' ? 'latest' : spec.type === 'runs' ? 'default' : '';
  if (d instanceof Date) return formatUtcDate(d.getTime());
  return Array.isArray(d) ? d.join(',') : String(d);
}

export function listNotebooks(dir = NOTEBOOKS_DIR): NotebookInfo[] {
  return listNotebookFiles(dir).map((file) => {
    const name = path.basename(file, '.md');
    try {
      const nb = parseNotebook(fs.readFileSync(file, 'utf8'), file, name);
      return {
        name,
        file,
        title: nb.front.title,
        description: nb.front.description ?? '',
        params: Object.entries(nb.front.params).map(([p, s]) => ({ name: p, type: s.type, default: defaultText(s), description: s.description ?? '', ...(s.values ? { values: s.values } : {}) })),
      };
    } catch (err) {
      return { name, file, title: name, description: '', params: [], error: (err as Error).message };
    }
  });
}

export interface RenderedReportInfo {
  /** folder name under the reports folder: the URL segment a server can use */
  id: string;
  dir: string;
  /** absolute path of index.html */
  html: string;
  notebook: string;
  title: string;
  /** title plus the parameters that differ from the defaults ("Event study · from 2022-11-06, to 2022-11-12") */
  label: string;
  params: Record<string, string>;
  /** the parameters that differ from the notebook's defaults */
  changed_params: Record<string, string>;
  rendered_at: string;
  ok: boolean;
  errors: number;
  charts: string[];
  data: string[];
}

/** The reports in `outDir` (default results/reports), newest first; folders without report.json are skipped. */
export function listRenderedReports(outDir: string): RenderedReportInfo[] {
  if (!fs.existsSync(outDir)) return [];
  const out: RenderedReportInfo[] = [];
  for (const id of fs.readdirSync(outDir)) {
    if (id.includes('.tmp-') || id.includes('.old-')) continue;
    const dir = path.join(outDir, id);
    const meta = path.join(dir, 'report.json');
    if (!fs.existsSync(meta) || !fs.existsSync(path.join(dir, 'index.html'))) continue;
    try {
      const r = JSON.parse(fs.readFileSync(meta, 'utf8')) as {
        notebook: string;
        title: string;
        label?: string;
        changed_params?: Record<string, string>;
        params: Record<string, string>;
        rendered_at: string;
        ok: boolean;
        errors: string[];
        charts: { png: string }[];
        data: { csv: string }[];
      };
      out.push({
        id,
        dir,
        html: path.join(dir, 'index.html'),
        notebook: r.notebook,
        title: r.title,
        // reports rendered before labels existed: the folder name still tells them apart
        label: r.label ?? (id === r.notebook ? r.title : `${r.title} · ${id.slice(r.notebook.length + 1)}`),
        params: r.params,
        changed_params: r.changed_params ?? {},
        rendered_at: r.rendered_at,
        ok: r.ok,
        errors: r.errors.length,
        charts: r.charts.map((c) => c.png),
        data: r.data.map((d) => d.csv),
      });
    } catch {
      // a report.json from another version or a half-copied folder: not listed rather than failing the listing
    }
  }
  return out.sort((a, b) => b.rendered_at.localeCompare(a.rendered_at));
}
