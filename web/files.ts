/**
 * Files served from a folder without leaving it: no `..`, no dotfile or dot-folder, and the real path (every
 * symlink resolved) must stay inside the folder's own real path, so a link placed under a report's data/ that
 * points elsewhere is a 404 like any missing file. The file is opened with O_NOFOLLOW on its resolved path, so
 * swapping it for a link after the check does not help either.
 */
import fs from 'node:fs';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.parquet': 'application/octet-stream',
};

export const contentType = (file: string) => TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** a relative path a request may ask for: plain segments only */
export function isSafeRelative(rel: string): boolean {
  if (rel.includes('\0') || rel.includes('\\') || path.isAbsolute(rel)) return false;
  return rel.split('/').every((seg) => seg !== '' && seg !== '..' && !seg.startsWith('.'));
}

export interface SafeFile {
  /** the resolved path, inside the root */
  real: string;
  size: number;
  type: string;
}

/** the file `rel` under `root`, or null when it is missing, not a regular file, hidden or resolves outside */
export function resolveInside(root: string, rel: string): SafeFile | null {
  if (!isSafeRelative(rel)) return null;
  let realRoot: string;
  let real: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(path.join(root, rel));
  } catch {
    return null;
  }
  const inside = path.relative(realRoot, real);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside) || inside.split(path.sep).some((s) => s.startsWith('.'))) return null;
  let st: fs.Stats;
  try {
    st = fs.statSync(real);
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  return { real, size: st.size, type: contentType(real) };
}

/** opened without following a link swapped in after resolveInside */
export function openResolved(f: SafeFile): fs.ReadStream {
  const fd = fs.openSync(f.real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  return fs.createReadStream('', { fd });
}

export function readResolved(f: SafeFile): Buffer {
  const fd = fs.openSync(f.real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
