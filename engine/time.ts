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

/** epoch ms from a CLI-style time; date-only and zone-less strings are UTC (a backtest never means local time). */
export function parseTimeArg(value: number | string | Date, what: string): number {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else {
    const s = value.trim();
    if (/^\d{10,14}$/.test(s)) ms = Number(s);
    else {
      const zoned = /([zZ]|[+-]\d{2}:?\d{2})$/.test(s) || !s.includes('T') ? s : `${s}Z`;
      ms = Date.parse(zoned);
    }
  }
  if (!Number.isFinite(ms)) throw new UserError(`${what} '${String(value)}' is not a date (use e.g. 2024-01-01 or 2024-01-01T12:00Z)`);
  return ms;
}
