/**
 * Query results as plain JSON-able rows (charts, CSV, inline values) and how a value is shown to a reader.
 * A missing value is shown as "—", never as 0: a NULL in this workbench means "no data".
 */
export type Cell = number | string | boolean | null | Cell[] | { [k: string]: Cell };
export type Row = Record<string, Cell>;

export function normalizeValue(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v) <= Number.MAX_SAFE_INTEGER && Number(v) >= Number.MIN_SAFE_INTEGER ? Number(v) : v.toString();
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(normalizeValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalizeValue(x)]));
  return String(v);
}

export function normalizeRows(rows: Record<string, unknown>[]): Row[] {
  return rows.map((r) => {
    const out: Row = {};
    for (const k of Object.keys(r)) out[k] = normalizeValue(r[k]);
    return out;
  });
}

const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const en = (opts: Intl.NumberFormatOptions) => new Intl.NumberFormat('en-US', opts);
const INT = en({ maximumFractionDigits: 0 });
const COMPACT = en({ notation: 'compact', maximumFractionDigits: 1 });

/** The formats of `{{ ref | fmt }}`; `num:1`, `pct:0` set the decimals. */
export const FORMATS = ['auto', 'int', 'num', 'pct', 'usd', 'compact', 'date', 'datetime', 'raw'] as const;

function autoNumber(n: number): string {
  if (Number.isInteger(n)) return INT.format(n);
  const a = Math.abs(n);
  if (a >= 1000) return INT.format(n);
  if (a >= 1) return en({ maximumFractionDigits: 2 }).format(n);
  return en({ maximumSignificantDigits: 3 }).format(n);
}

function toMs(v: Cell): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = Date.parse(v.includes('T') || v.endsWith('Z') ? v : `${v.replace(' ', 'T')}Z`);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/** Throws on an unknown format name, so that a typo in a notebook is reported instead of printed. */
export function formatValue(v: Cell | undefined, fmt = 'auto'): string {
  const [name, arg] = fmt.split(':');
  const digits = arg === undefined ? undefined : Number(arg);
  if (!(FORMATS as readonly string[]).includes(name)) throw new Error(`unknown format '${name}' (formats: ${FORMATS.join(', ')})`);
  if (digits !== undefined && !(Number.isInteger(digits) && digits >= 0 && digits <= 12)) throw new Error(`format '${fmt}': decimals must be 0..12`);
  if (v === null || v === undefined) return '—';
  if (name === 'raw') return typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (name === 'date' || name === 'datetime') {
    const t = toMs(v);
    if (t === null) return String(v);
    const iso = new Date(t).toISOString();
    return name === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  }
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') {
    if (name === 'auto' && ISO_TS.test(v)) return v.endsWith('T00:00:00.000Z') ? v.slice(0, 10) : `${v.slice(0, 16).replace('T', ' ')}`;
    const n = Number(v);
    if (name === 'auto' || v.trim() === '' || !Number.isFinite(n)) return v;
    return formatValue(n, fmt);
  }
  const n = v;
  switch (name) {
    case 'int':
      return INT.format(Math.round(n));
    case 'num':
      return digits === undefined ? autoNumber(n) : en({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
    case 'pct':
      return `${en({ minimumFractionDigits: digits ?? 1, maximumFractionDigits: digits ?? 1 }).format(n * 100)} %`;
    case 'usd':
      return Math.abs(n) >= 1e6 ? `$${COMPACT.format(n)}` : `$${en({ maximumFractionDigits: digits ?? (Math.abs(n) >= 100 ? 0 : 2) }).format(n)}`;
    case 'compact':
      return COMPACT.format(n);
    default:
      return autoNumber(n);
  }
}

function csvField(v: Cell): string {
  if (v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180; NULL is an empty field, timestamps ISO 8601 UTC. */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvField(c)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(r[c] ?? null)).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
