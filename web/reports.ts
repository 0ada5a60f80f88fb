/**
 * Rendered notebook reports (results/reports/<name>/index.html). The report engineer's engine/report module
 * lists them when it exists; until then, and whenever its answer is not usable, the folders are scanned.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface RenderedReport {
  /** the folder name under the reports directory; also its URL segment */
  name: string;
  title: string;
  /** the title plus the parameters that differ from the defaults: tells renders of one notebook apart */
  label: string;
  /** when it was rendered (the report's own record) or else the file's modification time */
  modified: string | null;
  notebook: string | null;
  /** false when some cell failed; null when unknown */
  ok: boolean | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;

function titleOf(file: string): string | null {
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(8192);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    const m = /<title>([^<]{1,200})<\/title>/i.exec(buf.subarray(0, n).toString('utf8'));
    return m ? m[1].trim() : null;
  } catch {
    return null;
  }
}

/** only folders inside reportsDir with an index.html are served, whatever a lister says */
function describe(reportsDir: string, name: string, meta: Record<string, unknown> = {}): RenderedReport | null {
  if (!NAME.test(name)) return null;
  const index = path.join(reportsDir, name, 'index.html');
  let st: fs.Stats;
  try {
    st = fs.statSync(index);
  } catch {
    return null;
  }
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    name,
    title: text(meta.title) ?? titleOf(index) ?? name,
    label: text(meta.label) ?? text(meta.title) ?? titleOf(index) ?? name,
    modified: text(meta.rendered_at) ?? st.mtime.toISOString(),
    notebook: text(meta.notebook),
    ok: typeof meta.ok === 'boolean' ? meta.ok : null,
  };
}

export function scanReports(reportsDir: string): RenderedReport[] {
  let names: string[];
  try {
    names = fs.readdirSync(reportsDir);
  } catch {
    return [];
  }
  return names
    .map((n) => describe(reportsDir, n))
    .filter((r): r is RenderedReport => r !== null)
    .sort((a, b) => (b.modified ?? '').localeCompare(a.modified ?? ''));
}

export type Lister = (outDir: string) => unknown;

let found: Lister | null = null;

async function engineLister(): Promise<Lister | null> {
  if (found) return found;
  try {
    // the catalog alone: the module's index also loads the renderer (vega, resvg, DuckDB), ≈ 1 s of CPU on a
    // server's first /api/reports for a list of folders
    const mod = (await import('../engine/report/catalog.ts')) as Record<string, unknown>;
    const fn = mod.listRenderedReports ?? mod.listReports;
    if (typeof fn === 'function') found = fn as Lister;
    return found;
  } catch {
    return null;
  }
}

/** the report module's list mapped onto folders; null when it has no usable answer */
function fromLister(reportsDir: string, listed: unknown): RenderedReport[] | null {
  if (!Array.isArray(listed)) return null;
  const out: RenderedReport[] = [];
  for (const item of listed) {
    if (typeof item === 'string') {
      const r = describe(reportsDir, path.basename(item.endsWith('index.html') ? path.dirname(item) : item));
      if (r) out.push(r);
      continue;
    }
    if (item === null || typeof item !== 'object') return null;
    const o = item as Record<string, unknown>;
    const where = [o.dir, o.path, o.outDir, o.html, o.index, o.file].find((v): v is string => typeof v === 'string');
    const id = [o.id, o.name].find((v): v is string => typeof v === 'string' && NAME.test(v));
    const name = where ? path.basename(where.endsWith('.html') ? path.dirname(where) : where) : (id ?? null);
    const r = name === null ? null : describe(reportsDir, name, o);
    if (r) out.push(r);
  }
  return out;
}

export async function listReports(reportsDir: string, findLister: () => Promise<Lister | null> = engineLister): Promise<RenderedReport[]> {
  const lister = await findLister();
  if (lister) {
    try {
      const listed = fromLister(reportsDir, await lister(reportsDir));
      if (listed) return listed;
    } catch {
      // the scan below is always a valid answer
    }
  }
  return scanReports(reportsDir);
}
