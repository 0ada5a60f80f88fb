/**
 * One place that knows every configured secret and removes it from anything that is stored or shown.
 *
 * Webhook URLs carry credentials (Discord's token in the path, Telegram's bot token, query tokens of custom
 * receivers), HTTP receivers have HMAC secrets (Stripe-style or Standard Webhooks `whsec_…`), a queue has a
 * Redis URL with a password. Receivers and libraries quote them back in the most varied forms — a Telegram
 * error body holds the bare `123456:AA…` token, not the `bot…` path segment; a fetch error holds the
 * URL-encoded one — so every secret is registered with each form it can take, and `redact()` is applied at
 * the boundary: the live store's writes (webhook_logs, outbox.last_error, faults, rejects), pino's output
 * stream, `live status`, and the `webhooks` commands' output.
 *
 * Shown instead of a URL: scheme + host with the rest replaced by ***.
 */

const MASK = '***';
/** shorter pieces are not treated as secrets: they would mangle ordinary words and numbers */
const MIN_SECRET = 6;

export function redactUrl(url: string): string {
  if (url.startsWith('telegram://')) return 'telegram://***';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/${MASK}`;
  } catch {
    return MASK;
  }
}

/** every spelling a secret can turn up in: raw, URL-encoded, URL-decoded, JSON-escaped */
export function secretForms(secret: string): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    if (s.length >= MIN_SECRET) out.add(s);
  };
  add(secret);
  add(encodeURIComponent(secret));
  try {
    add(decodeURIComponent(secret));
  } catch {
    // a malformed escape is still matched verbatim
  }
  add(JSON.stringify(secret).slice(1, -1));
  return [...out];
}

/** a Telegram bot token `<numeric id>:<secret>`: the whole token and its secret half (the id alone is public) */
function telegramTokenPieces(token: string): string[] {
  const m = /^(\d+):(.+)$/.exec(token);
  return m ? [token, m[2], `bot${token}`] : [token, `bot${token}`];
}

/** a path segment that looks like a credential rather than a route word (sendMessage, webhooks, hooks) */
function tokenLike(seg: string): boolean {
  return seg.length >= 16 || (seg.length >= 8 && /\d/.test(seg));
}

/** the secret pieces of a configured URL (webhook, Telegram shorthand, redis://) */
export function urlSecrets(url: string): string[] {
  const pieces: string[] = [url];
  const tg = /^telegram:\/\/([^@/]+)@([^/?#]+)/.exec(url);
  if (tg) {
    const token = safeDecode(tg[1]);
    pieces.push(...telegramTokenPieces(token));
    return pieces;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return pieces;
  }
  if (u.username) pieces.push(safeDecode(u.username));
  if (u.password) pieces.push(safeDecode(u.password));
  const host = u.hostname.toLowerCase();
  const segs = u.pathname.split('/').filter(Boolean).map(safeDecode);
  if (host === 'api.telegram.org' || /^bot\d+:/.test(segs[0] ?? '')) {
    const bot = segs.find((s) => s.startsWith('bot'));
    if (bot) pieces.push(...telegramTokenPieces(bot.slice(3)));
  } else if (u.pathname.startsWith('/api/webhooks/')) {
    // Discord: /api/webhooks/<id>/<token>
    pieces.push(...segs.slice(2));
  } else {
    pieces.push(...segs.filter(tokenLike));
  }
  if (u.search || segs.some(tokenLike)) pieces.push(u.pathname + u.search);
  for (const [, v] of u.searchParams) pieces.push(v);
  if (u.search) pieces.push(u.search.slice(1));
  return pieces;
}

/** an HMAC secret: itself and, for a Standard Webhooks `whsec_<base64>` secret, the key inside */
export function hmacSecrets(secret: string): string[] {
  return secret.startsWith('whsec_') ? [secret, secret.slice('whsec_'.length)] : [secret];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A set of secrets and one compiled matcher over all their forms, longest first. */
export class Redactor {
  private readonly forms = new Set<string>();
  private matcher: RegExp | null = null;

  get size(): number {
    return this.forms.size;
  }

  add(...secrets: (string | null | undefined)[]): this {
    for (const s of secrets) {
      if (!s) continue;
      for (const f of secretForms(s)) {
        if (!this.forms.has(f)) {
          this.forms.add(f);
          this.matcher = null;
        }
      }
    }
    return this;
  }

  addUrl(...urls: (string | null | undefined)[]): this {
    for (const u of urls) if (u) this.add(...urlSecrets(u));
    return this;
  }

  addHmacSecret(...secrets: (string | null | undefined)[]): this {
    for (const s of secrets) if (s) this.add(...hmacSecrets(s));
    return this;
  }

  redact(text: string): string {
    if (this.forms.size === 0 || !text) return text;
    this.matcher ??= new RegExp([...this.forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    return text.replace(this.matcher, MASK);
  }

  /** a copy of a JSON-like value with every string (and key) redacted */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [this.redact(k), this.redactDeep(v)])) as T;
    }
    return value;
  }
}

/**
 * The process-wide register: configuration loaders add what they read (webhook URLs and HMAC secrets in
 * parseWebhookConfig, Redis URLs in the queue's config), and every sink calls `redact()`.
 */
export const secrets = new Redactor();

export function redact(text: string): string {
  return secrets.redact(text);
}

export function redactDeep<T>(value: T): T {
  return secrets.redactDeep(value);
}

/** for a Redis connection string (redis:// or rediss://): registers its password and returns the shown form */
export function registerRedisUrl(url: string): string {
  secrets.addUrl(url);
  return redactUrl(url);
}

/** Replaces the secrets of the given URLs, and every registered secret, in free text (error messages). */
export function scrubSecrets(text: string, urls: readonly string[]): string {
  return secrets.redact(new Redactor().addUrl(...urls).redact(text));
}
