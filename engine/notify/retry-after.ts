/**
 * How long a 429 asks us to wait, parsed defensively: Discord puts `retry_after` in its JSON body in seconds
 * (a float since API v8; older versions sent integer milliseconds), Telegram in `parameters.retry_after`
 * (seconds), most servers in a Retry-After header (seconds or an HTTP date). A value that can only be
 * milliseconds is read as milliseconds. The result is clamped to [0, maxMs].
 */

/** integer ≥ 1000 in a body field: no server asks for a 17-minute pause in seconds, so it is milliseconds */
function bodySecondsToMs(v: number): number {
  return Number.isInteger(v) && v >= 1000 ? v : v * 1000;
}

/** a header is seconds by RFC 9110; an integer above a day would be an absurd wait, so it is milliseconds */
function headerToMs(raw: string, now: number): number | null {
  const s = raw.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const v = Number(s);
    return Number.isInteger(v) && v > 86_400 ? v : v * 1000;
  }
  const at = Date.parse(s);
  return Number.isFinite(at) ? at - now : null;
}

function bodyRetryAfter(body: unknown): number | null {
  if (body === null || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  const direct = b.retry_after;
  const nested = b.parameters && typeof b.parameters === 'object' ? (b.parameters as Record<string, unknown>).retry_after : undefined;
  for (const v of [direct, nested]) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
    if (Number.isFinite(n) && n >= 0) return bodySecondsToMs(n);
  }
  return null;
}

export interface RetryAfterInput {
  header?: string | null;
  /** the response body, parsed JSON or raw text (which is tried as JSON) */
  body?: unknown;
  now?: number;
  maxMs?: number;
}

/** milliseconds to wait, or null when the response names no wait */
export function parseRetryAfter(input: RetryAfterInput): number | null {
  const now = input.now ?? Date.now();
  const maxMs = input.maxMs ?? 15 * 60_000;
  let body = input.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = null;
    }
  }
  // the body is more precise than the header (Discord: float seconds in the body, rounded-up seconds in the header)
  let ms = bodyRetryAfter(body);
  if (ms === null && input.header) ms = headerToMs(input.header, now);
  if (ms === null || !Number.isFinite(ms)) return null;
  return Math.min(maxMs, Math.max(0, Math.round(ms)));
}
