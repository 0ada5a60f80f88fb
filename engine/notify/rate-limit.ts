/**
 * Rate limits are per receiver, not per message: a 429 pauses the whole endpoint until the wait it announced
 * is over, so no other message reaches it early (Discord escalates ignored 429s into Cloudflare bans at 10,000
 * invalid requests per 10 minutes). What is honoured:
 *   - 429 Retry-After (body or header): the endpoint pauses that long; Discord's `global: true` pauses every
 *     Discord endpoint, since the global limit is per sender, not per webhook;
 *   - Discord's X-RateLimit-Remaining: 0 with X-RateLimit-Reset-After: the endpoint pauses until the bucket resets,
 *     before it ever answers 429;
 *   - Telegram: about one message per second per chat, so messages to one chat are spaced by `telegramSpacingMs`.
 * Times are on the worker's clock (injectable), never real sleeps of their own.
 */
import type { Endpoint } from './endpoints.ts';

export interface RateLimitInfo {
  /** Discord X-RateLimit-Remaining */
  remaining: number | null;
  /** Discord X-RateLimit-Reset-After, in ms */
  resetAfterMs: number | null;
  /** Discord's global limit (body `global: true` or X-RateLimit-Global) */
  global: boolean;
}

export function parseRateLimitHeaders(headers: Headers, body: string): RateLimitInfo {
  const num = (name: string) => {
    const v = headers.get(name);
    return v !== null && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : null;
  };
  const reset = num('x-ratelimit-reset-after');
  let global = (headers.get('x-ratelimit-global') ?? '').toLowerCase() === 'true';
  if (!global && body.includes('"global"')) {
    try {
      global = (JSON.parse(body) as { global?: unknown }).global === true;
    } catch {
      // not JSON: no global flag
    }
  }
  return { remaining: num('x-ratelimit-remaining'), resetAfterMs: reset === null ? null : Math.round(reset * 1000), global };
}

/** the key limits are kept under: one Telegram chat, one Discord webhook, one HTTP URL */
function limitKey(e: Endpoint): string {
  return e.id;
}

export class EndpointLimits {
  private readonly until = new Map<string, number>();
  constructor(
    private readonly endpoints: readonly Endpoint[],
    private readonly telegramSpacingMs = 1000,
  ) {}

  /** ms until `e` may be sent to again (0: now) */
  waitMs(e: Endpoint, now: number): number {
    return Math.max(0, (this.until.get(limitKey(e)) ?? -Infinity) - now);
  }

  private pause(e: Endpoint, until: number): void {
    const k = limitKey(e);
    this.until.set(k, Math.max(this.until.get(k) ?? -Infinity, until));
  }

  /**
   * Records that a request to `e` was answered; returns the endpoints now paused beyond the usual pacing, with
   * until when (the worker moves their queued entries there, so a restart honours the wait too).
   */
  note(e: Endpoint, status: number | null, retryAfterMs: number | null, info: RateLimitInfo | null, now: number): { endpoint: Endpoint; until: number }[] {
    const paused: { endpoint: Endpoint; until: number }[] = [];
    if (e.kind === 'telegram') this.pause(e, now + this.telegramSpacingMs);
    if (status === 429) {
      const until = now + (retryAfterMs ?? 1000);
      const targets = info?.global && e.kind === 'discord' ? this.endpoints.filter((x) => x.kind === 'discord') : [e];
      for (const t of targets) {
        this.pause(t, until);
        paused.push({ endpoint: t, until });
      }
    } else if (info && info.remaining === 0 && info.resetAfterMs !== null) {
      const until = now + info.resetAfterMs;
      this.pause(e, until);
      paused.push({ endpoint: e, until });
    }
    return paused;
  }
}
