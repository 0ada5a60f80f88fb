/**
 * One delivery attempt to one endpoint: format for the receiver's kind, POST with a timeout, classify the answer.
 * Never throws: every failure becomes a result the outbox worker can log and schedule, with secrets scrubbed.
 */
import { performance } from 'node:perf_hooks';
import { discordPayload } from './discord.ts';
import type { Endpoint } from './endpoints.ts';
import { httpPayload, sign, SIGNATURE_HEADER, standardHeaders } from './http-json.ts';
import type { OutgoingMessage } from './message.ts';
import { scrubSecrets } from './redact.ts';
import { parseRetryAfter } from './retry-after.ts';
import { parseRateLimitHeaders, type RateLimitInfo } from './rate-limit.ts';
import { telegramPayload } from './telegram.ts';

export interface AttemptResult {
  ok: boolean;
  /** HTTP status, null when no answer came (timeout, refused, reset) */
  status: number | null;
  latencyMs: number;
  /** the receiver asked to wait this long (429) */
  retryAfterMs: number | null;
  /** retrying cannot help (a 4xx other than 408/425/429): dead-letter at once */
  permanent: boolean;
  /** scrubbed of every secret of the endpoint */
  error: string | null;
  /** the receiver's rate-limit headers (Discord), when it answered */
  rateLimit?: RateLimitInfo;
}

export interface SendOptions {
  httpSecret: string | null;
  timeoutMs: number;
  /** unix time for signatures; injectable for tests */
  now?: () => number;
}

export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function prepareRequest(endpoint: Endpoint, message: OutgoingMessage, opts: Pick<SendOptions, 'httpSecret' | 'now'>): PreparedRequest {
  const id = message.alert.id;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'regime-workbench-webhooks/1',
    'Idempotency-Key': id,
    'X-Regime-Event-Id': id,
  };
  let body: string;
  if (endpoint.kind === 'discord') body = JSON.stringify(discordPayload(message));
  else if (endpoint.kind === 'telegram') body = JSON.stringify(telegramPayload(message, endpoint.chatId ?? ''));
  else {
    body = JSON.stringify(httpPayload(message));
    const secret = endpoint.secrets ?? (opts.httpSecret ? [opts.httpSecret] : null);
    const t = Math.floor((opts.now ?? Date.now)() / 1000);
    if (secret && endpoint.signing === 'standard') Object.assign(headers, standardHeaders(secret, id, t, body));
    else if (secret) headers[SIGNATURE_HEADER] = sign(secret, body, t);
  }
  return { url: endpoint.target, headers, body };
}

const RETRYABLE_4XX = new Set([408, 425, 429]);

export async function sendOnce(endpoint: Endpoint, message: OutgoingMessage, opts: SendOptions): Promise<AttemptResult> {
  const req = prepareRequest(endpoint, message, opts);
  const secrets = [endpoint.url, endpoint.target];
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'error' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const detail = timedOut ? `timeout after ${opts.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : e.cause?.message ? ` (${e.cause.message})` : ''}`;
    return { ok: false, status: null, latencyMs: performance.now() - t0, retryAfterMs: null, permanent: false, error: scrubSecrets(detail, secrets) };
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    // a body cut off after the status line: the status still decides
  }
  const latencyMs = performance.now() - t0;
  const rateLimit = parseRateLimitHeaders(res.headers, res.status === 429 ? text : '');
  if (res.ok) {
    // Telegram answers 200 with ok:false for some failures
    if (endpoint.kind === 'telegram' && /"ok"\s*:\s*false/.test(text)) {
      return { ok: false, status: res.status, latencyMs, retryAfterMs: null, permanent: true, error: scrubSecrets(`telegram refused: ${text.slice(0, 200)}`, secrets), rateLimit };
    }
    return { ok: true, status: res.status, latencyMs, retryAfterMs: null, permanent: false, error: null, rateLimit };
  }
  const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter({ header: res.headers.get('retry-after'), body: text }) : null;
  const permanent = res.status >= 400 && res.status < 500 && !RETRYABLE_4XX.has(res.status);
  return { ok: false, status: res.status, latencyMs, retryAfterMs, permanent, error: scrubSecrets(`HTTP ${res.status}: ${text.slice(0, 200)}`, secrets), rateLimit };
}
