import { UserError } from './errors.ts';

/**
 * The one human-readable hour format of reports, manifests and run.json ("2022-11-09 14:00", always UTC),
 * and its inverse.
 */
export function isoHour(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export function parseIsoHour(s: string): number {
  const ms = Date.parse(`${s.replace(' ', 'T')}:00Z`);
  if (!Number.isFinite(ms)) throw new Error(`time '${s}' is not a 'YYYY-MM-DD HH:MM' UTC hour`);
  return ms;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?([zZ]|[+-]\d{2}:?\d{2})?)?$/;
const USAGE = 'use a UTC ISO time such as 2024-01-01, 2024-01-01T12:00Z or 2024-01-01T12:00+02:00, or epoch milliseconds (13 digits)';

/**
 * Strict ISO 8601 to epoch ms: a calendar date that exists (2026-02-30 is refused, never read as 2 March),
 * times in range, and a zone-less time read as UTC — never the machine's local time.
 */
export function parseIsoTime(s: string): number | null {
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', sec = '0', frac = '0', zone] = m.slice(1);
  const [Y, M, D, Hh, Mi, S] = [y, mo, d, h, mi, sec].map(Number);
  if (M < 1 || M > 12 || D < 1 || Hh > 23 || Mi > 59 || S > 59) return null;
  const day = Date.UTC(Y, M - 1, D);
  if (new Date(day).getUTCDate() !== D) return null;
  let offsetMin = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(z[2]) > 23 || Number(z[3]) > 59) return null;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
  }
  return day + ((Hh * 60 + Mi - offsetMin) * 60 + S) * 1000 + Number(frac.padEnd(3, '0'));
}

/** epoch ms from a CLI time: UTC ISO (zone-less means UTC) or 13-digit epoch ms; anything else is an error. */
export function parseTimeArg(value: number | string | Date, what: string): number {
  let ms: number | null;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = Number.isInteger(value) ? value : null;
  else {
    const s = value.trim();
    ms = /^\d{13}$/.test(s) ? Number(s) : parseIsoTime(s);
  }
  if (ms === null || !Number.isFinite(ms)) throw new UserError(`${what} '${String(value)}' is not a time: ${USAGE}`);
  return ms;
}
