/**
 * Query parameters of the API as zod schemas. Every message says what was expected, and web/http-errors.ts
 * prefixes it with the parameter's name, so a 400 reads "query parameter 'hours': expected …".
 */
import * as z from 'zod';
import { EVENT_TYPES } from '../engine/pipeline/alerts.ts';

const ONE = 'given more than once; expected a single value';

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** epoch ms or an ISO 8601 date/time (a date alone is midnight UTC); an impossible date (2026-02-30) is null */
export function parseTime(s: string): number | null {
  if (/^-?\d+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : null;
  }
  // ISO only: Date.parse also accepts locale formats whose meaning depends on the machine
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  // Date.parse rolls 2026-02-30 over to 2 March; every field must be in range for its own month
  const days = new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate();
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > days || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return null;
  if (zone && zone.toUpperCase() !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(-2)) > 59)) return null;
  const off = !zone || zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${off}`);
  return Number.isFinite(ms) ? ms : null;
}

export const timeParam = z.string({ error: ONE }).transform((s, ctx) => {
  const ms = parseTime(s.trim());
  if (ms === null) {
    ctx.issues.push({ code: 'custom', message: `expected epoch ms or an ISO date/time (2026-03-01T12:00Z), got '${clip(s)}'`, input: s });
    return z.NEVER;
  }
  return ms;
});

export function intParam(min: number, max: number, what: string) {
  return z.string({ error: ONE }).transform((s, ctx) => {
    const n = /^\d+$/.test(s.trim()) ? Number(s) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.issues.push({ code: 'custom', message: `expected ${what} from ${min} to ${max}, got '${clip(s)}'`, input: s });
      return z.NEVER;
    }
    return n;
  });
}

export const MAX_HOURS = 24 * 90;

const symbolParam = z
  .string({ error: ONE })
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9]{2,20}(\/[A-Z0-9]{2,20})?$/, { error: 'expected a symbol like BTCUSDT (or a pair BTCUSDT/ETHUSDT)' }));

/** `latest` or a run id (a unique prefix or suffix is enough) */
export const runParam = z
  .string({ error: ONE })
  .regex(/^[A-Za-z0-9_-]{1,80}$/, { error: 'expected a run id (letters, digits, - and _) or latest' });

/** on every data route: which run (default: the served source) and the time-slider cursor */
const common = {
  run: runParam.optional(),
  at: timeParam.optional(),
};

export const marketQuery = (defaultHours: number) =>
  z
    .object({
      ...common,
      hours: intParam(1, MAX_HOURS, 'a whole number of hours').default(defaultHours),
      symbol: symbolParam.optional(),
    })
    .strict();

export const featuresQuery = z.object({ ...common, symbol: symbolParam.optional() }).strict();

export const eventsQuery = z
  .object({
    ...common,
    since: timeParam.optional(),
    type: z.enum(EVENT_TYPES, { error: `expected one of ${EVENT_TYPES.join(', ')}` }).optional(),
    severity: z
      .string({ error: ONE })
      .transform((s) => s.trim().toUpperCase())
      .pipe(z.enum(['INFO', 'WARNING', 'CRITICAL'], { error: 'expected INFO, WARNING or CRITICAL' }))
      .optional(),
    symbol: symbolParam.optional(),
    limit: intParam(1, 1000, 'a whole number').default(50),
  })
  .strict();

export const runOnlyQuery = z.object({ run: runParam.optional() }).strict();
export const noQuery = z.object({}).strict();
export const runIdParams = z.object({ id: runParam }).strict();
