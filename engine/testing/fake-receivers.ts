/**
 * Loopback fakes of the webhook receivers, for tests only, on one 127.0.0.1 server:
 *   /api/webhooks/<id>/<token>   Discord: checks embed limits like Discord (400 Invalid Form Body)
 *   /bot<token>/sendMessage      Telegram: parses MarkdownV2 like Telegram (400 can't parse entities, too long)
 *   anything else                a custom HTTP receiver: checks the HMAC signature when given the secret
 * Every request is recorded. Faults are queued per rule: a status (500), a 429 with retry_after in the body
 * and/or a Retry-After header, a delay longer than the sender's timeout, a reset connection, a malformed body.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifySignature, SIGNATURE_HEADER } from '../notify/http-json.ts';
import { DISCORD_LIMITS, embedLength, type DiscordEmbed } from '../notify/discord.ts';

export type ReceiverKind = 'discord' | 'telegram' | 'http';

export interface ReceivedRequest {
  kind: ReceiverKind;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  json: unknown;
  /** Date.now() when the body was complete */
  at: number;
  /** the status this fake answered */
  status: number;
  /** http receiver with a secret: whether the signature verified */
  signatureValid: boolean | null;
}

export type ReceiverFault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** 429: `bodyRetryAfter` goes into the JSON body the way the receiver kind does it, `header` into Retry-After */
  | { kind: 'rate-limit'; bodyRetryAfter?: number; header?: string; rawBody?: string; headers?: Record<string, string>; global?: boolean }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' };

export interface ReceiverFaultRule {
  kind?: ReceiverKind;
  times?: number;
  /** further condition: the request's 1-based number among all this receiver got (seeded fault patterns) */
  match?: (n: number, req: ReceivedRequest) => boolean;
  fault: ReceiverFault;
}

/** What Telegram's MarkdownV2 parser rejects: unescaped reserved characters, unclosed entities. null = fine. */
export function markdownV2Error(text: string): string | null {
  const open = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 1 && next <= 126)) return `character after \\ at ${i} cannot be escaped`;
      i++;
      continue;
    }
    if (ch === '*' || ch === '_' || ch === '~' || ch === '`') {
      if (open.has(ch)) open.delete(ch);
      else open.add(ch);
      continue;
    }
    if ('[]()>#+-=|{}.!'.includes(ch)) return `Character '${ch}' is reserved and must be escaped with the preceding '\\'`;
  }
  if (open.size > 0) return `Can't find end of the entity starting with ${[...open].join(', ')}`;
  return null;
}

/** the length Telegram counts: escapes resolved and entity markers removed */
export function markdownV2Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      n++;
    } else if (!'*_~`'.includes(text[i])) n++;
  }
  return n;
}

function discordError(body: unknown): string | null {
  const b = body as { embeds?: DiscordEmbed[] };
  if (!b || !Array.isArray(b.embeds)) return null;
  for (const e of b.embeds) {
    if ((e.title ?? '').length > DISCORD_LIMITS.title) return 'embeds.0.title: Must be 256 or fewer in length.';
    if ((e.description ?? '').length > DISCORD_LIMITS.description) return 'embeds.0.description: Must be 4096 or fewer in length.';
    if ((e.fields ?? []).length > DISCORD_LIMITS.fields) return 'embeds.0.fields: Must be 25 or fewer in length.';
    for (const f of e.fields ?? []) {
      if (!f.name || f.name.length > DISCORD_LIMITS.fieldName) return 'embeds.0.fields.name: invalid';
      if (!f.value || f.value.length > DISCORD_LIMITS.fieldValue) return 'embeds.0.fields.value: invalid';
    }
    if (embedLength({ title: e.title ?? '', description: e.description ?? '', fields: e.fields ?? [], footer: e.footer ?? { text: '' }, color: 0, timestamp: '' }) > DISCORD_LIMITS.total) {
      return 'embeds: Embed size exceeds maximum size of 6000';
    }
  }
  return null;
}

export interface FakeReceiverOptions {
  /** HMAC secret the custom HTTP receiver verifies with (401 on a bad signature) */
  httpSecret?: string;
  /** the receiver's clock for announced waits (default Date.now); share the sender's injected clock */
  now?: () => number;
}

/** requests are rate-limited per endpoint: a Discord webhook, a Telegram chat, an HTTP path */
function endpointKey(kind: ReceiverKind, path: string, query: Record<string, string>, json: unknown): string {
  if (kind === 'telegram') return `telegram ${path} ${String((json as { chat_id?: unknown } | null)?.chat_id ?? query.chat_id ?? '')}`;
  return `${kind} ${path}`;
}

export class FakeReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly rules: (ReceiverFaultRule & { used: number })[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: http.Server | null = null;
  private base: string | null = null;
  private readonly opts: FakeReceiverOptions;
  /** per endpoint: until when this receiver told the sender to wait (its own clock) */
  private readonly announcedUntil = new Map<string, number>();
  private readonly globalUntil = new Map<ReceiverKind, number>();
  /** requests that arrived at an endpoint inside a wait it had announced (a 429 not honoured) */
  readonly early: ReceivedRequest[] = [];

  constructor(opts: FakeReceiverOptions = {}) {
    this.opts = opts;
  }

  get baseUrl(): string {
    if (!this.base) throw new Error('FakeReceiver is not started');
    return this.base;
  }

  /** a Discord webhook URL as configured (discord.com): set `discord_api_base` to baseUrl so it lands here */
  discordUrl(id = '123456789012345678', token = 'discord-secret-token-abcdef'): string {
    return `https://discord.com/api/webhooks/${id}/${token}`;
  }

  /** a Telegram URL as configured (api.telegram.org): set `telegram_api_base` to baseUrl so it lands here */
  telegramUrl(token = '123456:telegram-secret-token', chatId = '-100123456'): string {
    return `https://api.telegram.org/bot${token}/sendMessage?chat_id=${chatId}`;
  }

  httpUrl(path = '/hooks/regime', query = 'token=http-secret-query-token'): string {
    return `${this.baseUrl}${path}${query ? `?${query}` : ''}`;
  }

  addFault(rule: ReceiverFaultRule): void {
    this.rules.push({ ...rule, used: 0 });
  }

  clearFaults(): void {
    this.rules.length = 0;
  }

  byKind(kind: ReceiverKind): ReceivedRequest[] {
    return this.requests.filter((r) => r.kind === kind);
  }

  /** resolves once `n` requests (optionally of one kind) have been received */
  async waitFor(n: number, kind?: ReceiverKind, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((kind ? this.byKind(kind).length : this.requests.length) < n) {
      if (Date.now() > deadline) throw new Error(`FakeReceiver: ${n} ${kind ?? ''} request(s) not received after ${timeoutMs} ms (got ${this.requests.length})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async start(port = 0): Promise<string> {
    if (this.base) return this.base;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = null;
    this.base = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** the first 429 of a sender that ignores it is fine; every request inside the announced wait is counted */
  get earlyRequests(): number {
    return this.early.length;
  }

  private take(kind: ReceiverKind, rec: ReceivedRequest): ReceiverFault | null {
    for (const r of this.rules) {
      if (r.times !== undefined && r.used >= r.times) continue;
      if (r.kind !== undefined && r.kind !== kind) continue;
      if (r.match && !r.match(this.requests.length, rec)) continue;
      r.used++;
      return r.fault;
    }
    return null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const kind: ReceiverKind = url.pathname.startsWith('/api/webhooks/') ? 'discord' : /^\/bot[^/]+\/sendMessage$/.test(url.pathname) ? 'telegram' : 'http';
    let json: unknown = null;
    try {
      json = JSON.parse(body);
    } catch {
      json = null;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v ?? '')]));
    const now = (this.opts.now ?? Date.now)();
    const rec: ReceivedRequest = {
      kind, method: req.method ?? 'POST', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, json, at: now, status: 0, signatureValid: null,
    };
    this.requests.push(rec);
    const key = endpointKey(kind, url.pathname, rec.query, json);
    if (now < Math.max(this.announcedUntil.get(key) ?? -Infinity, this.globalUntil.get(kind) ?? -Infinity)) this.early.push(rec);
    const answer = (status: number, text: string, extra: Record<string, string> = {}) => {
      rec.status = status;
      // Discord announces an empty bucket before it ever answers 429: that is a wait too
      const remaining = extra['X-RateLimit-Remaining'];
      const resetAfter = Number(extra['X-RateLimit-Reset-After']);
      if (remaining === '0' && Number.isFinite(resetAfter)) this.announcedUntil.set(key, Math.max(this.announcedUntil.get(key) ?? -Infinity, now + resetAfter * 1000));
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...extra });
      res.end(text);
    };
    const fault = this.take(kind, rec);
    if (fault?.kind === 'reset') {
      rec.status = -1;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          r();
        }, fault.ms);
        this.timers.add(t);
      });
    }
    if (fault?.kind === 'status') return answer(fault.status, fault.body ?? '{"message":"internal error (fake)"}', fault.headers);
    if (fault?.kind === 'rate-limit') {
      const h: Record<string, string> = { ...(fault.headers ?? {}), ...(fault.header !== undefined ? { 'Retry-After': fault.header } : {}) };
      let text = fault.rawBody;
      if (text === undefined) {
        const ra = fault.bodyRetryAfter;
        text = JSON.stringify(
          kind === 'telegram'
            ? { ok: false, error_code: 429, description: `Too Many Requests: retry after ${ra ?? 1}`, ...(ra !== undefined ? { parameters: { retry_after: ra } } : {}) }
            : { message: 'You are being rate limited.', ...(ra !== undefined ? { retry_after: ra } : {}), global: fault.global ?? false },
        );
      }
      const waitS = fault.bodyRetryAfter ?? (fault.header !== undefined && /^\d+(\.\d+)?$/.test(fault.header) ? Number(fault.header) : 0);
      // a global limit covers every webhook of the sender
      const keys = fault.global ? [...new Set([key, ...this.requests.filter((r) => r.kind === kind).map((r) => endpointKey(r.kind, r.path, r.query, r.json))])] : [key];
      for (const k of keys) this.announcedUntil.set(k, now + waitS * 1000);
      if (fault.global) this.globalUntil.set(kind, now + waitS * 1000);
      return answer(429, text, h);
    }
    if (kind === 'discord') {
      const err = json === null ? 'body is not JSON' : discordError(json);
      if (err) return answer(400, JSON.stringify({ code: 50035, message: `Invalid Form Body: ${err}` }));
      return answer(204, '');
    }
    if (kind === 'telegram') {
      const m = json as { chat_id?: unknown; text?: unknown; parse_mode?: unknown } | null;
      if (!m || typeof m.text !== 'string' || m.chat_id === undefined) return answer(400, JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: message text is empty' }));
      if (m.parse_mode === 'MarkdownV2') {
        const err = markdownV2Error(m.text);
        if (err) return answer(400, JSON.stringify({ ok: false, error_code: 400, description: `Bad Request: can't parse entities: ${err}` }));
      }
      if (markdownV2Length(m.text) > 4096) return answer(400, JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: message is too long' }));
      return answer(200, JSON.stringify({ ok: true, result: { message_id: this.requests.length, chat: { id: m.chat_id } } }));
    }
    if (this.opts.httpSecret !== undefined) {
      rec.signatureValid = verifySignature(this.opts.httpSecret, headers[SIGNATURE_HEADER.toLowerCase()], body);
      if (!rec.signatureValid) return answer(401, '{"error":"bad signature"}');
    }
    return answer(200, '{"ok":true}');
  }
}
