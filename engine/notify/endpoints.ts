/**
 * Where alerts go: per-source webhook routes (cascade, funding, volatility, correlation, regime, all) from the
 * config file's `webhooks` section and the WEBHOOKS_* environment variables (comma-separated URLs), each URL
 * typed by its shape:
 *   https://discord.com/api/webhooks/<id>/<token>            → Discord embed
 *   https://api.telegram.org/bot<token>/sendMessage?chat_id=… → Telegram MarkdownV2
 *   telegram://<bot token>@<chat id>                          → the same, shorter
 *   anything else (http/https)                                → signed JSON
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { AlertSource } from '../pipeline/alerts.ts';
import { UserError } from '../errors.ts';
import { redactUrl, secrets } from './redact.ts';

export const ROUTE_KEYS = ['cascade', 'funding', 'volatility', 'correlation', 'regime', 'all'] as const;
export type RouteKey = (typeof ROUTE_KEYS)[number];
export type EndpointKind = 'discord' | 'telegram' | 'http';

export const ENV_VARS: Record<RouteKey, string> = {
  cascade: 'WEBHOOKS_CASCADE',
  funding: 'WEBHOOKS_FUNDING',
  volatility: 'WEBHOOKS_VOLATILITY',
  correlation: 'WEBHOOKS_CORRELATION',
  regime: 'WEBHOOKS_REGIME',
  all: 'WEBHOOKS_ALL',
};

export const SIGNING_SCHEMES = ['regime', 'standard'] as const;
export type SigningScheme = (typeof SIGNING_SCHEMES)[number];

/** an HTTP endpoint with its own signing: Regime's Stripe-style header (default) or Standard Webhooks */
const EndpointSpec = z
  .object({
    url: z.string({ error: 'expected a URL' }),
    signing: z.enum(SIGNING_SCHEMES, { error: 'expected "regime" or "standard"' }).default('regime'),
    /** this endpoint's HMAC secret(s), several while rotating (every one signs); default http_secret */
    secret: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: 'expected a secret or a list of secrets' }).nullable().default(null),
  })
  .strict();
export type EndpointSpec = z.output<typeof EndpointSpec>;
export type EndpointEntry = string | EndpointSpec;

const urlList = z
  .union([z.string(), z.array(z.union([z.string({ error: 'expected a URL' }), EndpointSpec], { error: 'expected a URL or {url, signing, secret}' }))], { error: 'expected a URL or a list of URLs' })
  .transform((v): EndpointEntry[] => (typeof v === 'string' ? splitList(v) : v.map((s) => (typeof s === 'string' ? s.trim() : { ...s, url: s.url.trim() })).filter((s) => (typeof s === 'string' ? s : s.url))))
  .default([]);

export function entryUrl(e: EndpointEntry): string {
  return typeof e === 'string' ? e : e.url;
}

const posInt = (def: number) =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' }).default(def);

export const WebhookConfig = z
  .object({
    cascade: urlList,
    funding: urlList,
    volatility: urlList,
    correlation: urlList,
    regime: urlList,
    all: urlList,
    /** HMAC-SHA256 secret for custom HTTP receivers (or WEBHOOKS_HTTP_SECRET) */
    http_secret: z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' }).nullable().default(null),
    /** delivery attempts before an outbox entry is dead-lettered */
    max_attempts: posInt(8),
    /** per-request timeout */
    timeout_ms: posInt(5000),
    /** first retry delay; doubles per attempt, with jitter */
    base_delay_ms: posInt(1000),
    max_delay_ms: posInt(5 * 60_000),
    /** concurrent deliveries */
    concurrency: posInt(4),
    /** point Discord / Telegram URLs at another server (a test fake); scheme + host replaced, path kept */
    discord_api_base: z.string({ error: 'expected a URL' }).url({ error: 'expected a URL' }).nullable().default(null),
    telegram_api_base: z.string({ error: 'expected a URL' }).url({ error: 'expected a URL' }).nullable().default(null),
  })
  .strict();
export type WebhookConfig = z.output<typeof WebhookConfig>;

function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

export interface Endpoint {
  /** stable id: sha256 of the URL (so the outbox never stores the secret URL itself) */
  id: string;
  kind: EndpointKind;
  /** the configured URL: secret, never logged */
  url: string;
  /** scheme + host, safe to show */
  redacted: string;
  /** where the request is POSTed (after a base override); secret */
  target: string;
  /** Telegram chat id, from the query or the telegram:// form */
  chatId: string | null;
  routes: Set<RouteKey>;
  /** HTTP endpoints: how requests are signed */
  signing?: SigningScheme;
  /** HTTP endpoints: their own secrets (several while rotating); null: webhooks.http_secret */
  secrets?: string[] | null;
}

export function endpointId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

function rebase(url: URL, base: string | null): string {
  if (!base) return url.toString();
  const b = new URL(base);
  return `${b.protocol}//${b.host}${url.pathname}${url.search}`;
}

/** Types a URL and resolves where to send it; throws a UserError naming the key but never the URL's secret. */
export function describeEndpoint(raw: string, key: string, cfg: Pick<WebhookConfig, 'discord_api_base' | 'telegram_api_base'>): Omit<Endpoint, 'routes'> {
  const id = endpointId(raw);
  const redacted = redactUrl(raw);
  secrets.addUrl(raw);
  const tg = /^telegram:\/\/([^@/]+)@([^/?#]+)\/?$/.exec(raw);
  if (tg) {
    const target = rebase(new URL(`https://api.telegram.org/bot${tg[1]}/sendMessage`), cfg.telegram_api_base);
    return { id, kind: 'telegram', url: raw, redacted, target, chatId: decodeURIComponent(tg[2]) };
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`${key}: ${redacted} is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UserError(`${key}: ${redacted} is not an http(s) URL`);
  const host = u.hostname.toLowerCase();
  if ((host === 'discord.com' || host === 'discordapp.com' || host.endsWith('.discord.com')) && u.pathname.startsWith('/api/webhooks/')) {
    return { id, kind: 'discord', url: raw, redacted, target: rebase(u, cfg.discord_api_base), chatId: null };
  }
  if (host === 'api.telegram.org' && /^\/bot[^/]+\/sendMessage$/.test(u.pathname)) {
    const chatId = u.searchParams.get('chat_id');
    if (!chatId) throw new UserError(`${key}: the Telegram URL ${redacted} has no chat_id query parameter`);
    const clean = new URL(u.toString());
    clean.search = '';
    return { id, kind: 'telegram', url: raw, redacted, target: rebase(clean, cfg.telegram_api_base), chatId };
  }
  return { id, kind: 'http', url: raw, redacted, target: raw, chatId: null };
}

function keyPath(path: readonly PropertyKey[]): string {
  let s = 'webhooks';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return s;
}

/** The `webhooks` section of a config file, env vars merged in (env adds URLs; it never removes any). */
export function parseWebhookConfig(section: unknown, env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const r = WebhookConfig.safeParse(section ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys' ? issue.keys.map((k) => `${keyPath([...issue.path, k])}: unknown key`).join('\n') : `${keyPath(issue.path)}: ${issue.message}`,
    );
    throw new UserError(lines.join('\n'));
  }
  const cfg = r.data;
  for (const k of ROUTE_KEYS) {
    const fromEnv = env[ENV_VARS[k]];
    if (fromEnv) cfg[k] = [...new Set([...cfg[k], ...splitList(fromEnv)])];
  }
  if (cfg.http_secret === null && env.WEBHOOKS_HTTP_SECRET) cfg.http_secret = env.WEBHOOKS_HTTP_SECRET;
  if (cfg.discord_api_base === null && env.DISCORD_API_BASE) cfg.discord_api_base = env.DISCORD_API_BASE;
  if (cfg.telegram_api_base === null && env.TELEGRAM_API_BASE) cfg.telegram_api_base = env.TELEGRAM_API_BASE;
  // every secret read here is known to redact() from now on, in every form
  for (const k of ROUTE_KEYS) {
    for (const e of cfg[k]) {
      secrets.addUrl(entryUrl(e));
      if (typeof e !== 'string' && e.secret !== null) secrets.addHmacSecret(...[e.secret].flat());
    }
  }
  secrets.addHmacSecret(cfg.http_secret);
  return cfg;
}

/** one Endpoint per distinct URL, with every route it is listed under */
export function buildEndpoints(cfg: WebhookConfig): Endpoint[] {
  const byUrl = new Map<string, Endpoint>();
  for (const k of ROUTE_KEYS) {
    cfg[k].forEach((entry: EndpointEntry, i) => {
      const url = entryUrl(entry);
      let e = byUrl.get(url);
      if (!e) {
        e = { ...describeEndpoint(url, `webhooks.${k}[${i}]`, cfg), routes: new Set() };
        byUrl.set(url, e);
      }
      if (typeof entry !== 'string') {
        if (e.kind !== 'http' && entry.signing !== 'regime') throw new UserError(`webhooks.${k}[${i}].signing: only custom HTTP endpoints are signed (${e.redacted} is ${e.kind})`);
        const own = entry.secret === null ? null : [entry.secret].flat();
        if (entry.signing === 'standard' && !(own ?? [cfg.http_secret ?? '']).every((s) => /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(s))) {
          throw new UserError(`webhooks.${k}[${i}].secret: Standard Webhooks signing needs a whsec_<base64> secret (per endpoint or webhooks.http_secret)`);
        }
        e.signing = entry.signing;
        e.secrets = own;
        secrets.addHmacSecret(...(own ?? []));
      }
      e.routes.add(k);
    });
  }
  return [...byUrl.values()];
}

/** endpoints an alert of this source goes to: its own route plus `all` */
export function endpointsFor(endpoints: readonly Endpoint[], source: AlertSource): Endpoint[] {
  return endpoints.filter((e) => e.routes.has(source) || e.routes.has('all'));
}
