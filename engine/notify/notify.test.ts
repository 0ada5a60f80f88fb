// Webhook formats, limits, signatures, routing, retry-after parsing, redaction and the outbox worker, against
// loopback fake receivers (Discord, Telegram, HTTP) that check what the real ones check.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Alert } from '../pipeline/alerts.ts';
import { FakeReceiver, markdownV2Error, markdownV2Length } from '../testing/fake-receivers.ts';
import { installNetGuard } from '../testing/net-guard.ts';
import { LiveStore } from '../live/store.ts';
import { buildEndpoints, endpointsFor, parseWebhookConfig, type Endpoint, type WebhookConfig } from './endpoints.ts';
import { DISCORD_LIMITS, discordPayload, embedLength } from './discord.ts';
import { escapeMarkdownV2, telegramPayload } from './telegram.ts';
import { httpPayload, sign, verifySignature } from './http-json.ts';
import { parseRetryAfter } from './retry-after.ts';
import { redactUrl, scrubSecrets } from './redact.ts';
import { sendOnce } from './send.ts';
import { sampleAlerts, sendTestMessages } from './samples.ts';
import { backoffMs, DeliveryWorker } from './worker.ts';
import { UserError } from '../errors.ts';

const H = 3_600_000;
let restoreNet: () => void;
beforeAll(() => {
  restoreNet = installNetGuard();
});
afterAll(() => restoreNet());

let rx: FakeReceiver;
beforeEach(async () => {
  rx = new FakeReceiver({ httpSecret: 'shh-http-secret' });
  await rx.start();
});
afterEach(async () => {
  await rx.close();
});

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'abcdef0123456789',
    ts: Date.UTC(2026, 2, 1, 5),
    symbol: 'BTCUSDT',
    event_type: 'LIQUIDATION_CASCADE',
    severity: 'CRITICAL',
    title: 'BTCUSDT liquidation cascade, severity 5',
    description: 'a_b *c* [d](e) ~f~ `g` >h #i +j -k =l |m| {n} .o !p \\q',
    source: 'cascade',
    direction: -1,
    data: { severity: 5, total_usd: 123456789.5, side_bias: 'LONG', kind: 'observed', velocity_z: null },
    ...over,
  };
}

function cfg(over: Partial<Record<string, unknown>> = {}): WebhookConfig {
  return parseWebhookConfig({ discord_api_base: rx.baseUrl, telegram_api_base: rx.baseUrl, http_secret: 'shh-http-secret', ...over }, {});
}

function endpoint(url: string, c = cfg()): Endpoint {
  return buildEndpoints({ ...c, all: [url] })[0];
}

describe('endpoints and routing', () => {
  it('types URLs by shape and routes by source plus all, from config and env', () => {
    const c = parseWebhookConfig(
      { cascade: ['https://discord.com/api/webhooks/1/tok-en-secret'], funding: 'https://example.org/hook?token=abcdefgh' },
      { WEBHOOKS_ALL: 'https://api.telegram.org/bot123:AAA-secret/sendMessage?chat_id=42, telegram://999:BBB-secret@77', WEBHOOKS_REGIME: 'https://example.org/regime' },
    );
    const eps = buildEndpoints(c);
    expect(eps.map((e) => e.kind)).toEqual(['discord', 'http', 'http', 'telegram', 'telegram']);
    expect(eps.find((e) => e.url.startsWith('telegram://'))!.chatId).toBe('77');
    expect(eps.find((e) => e.url.includes('chat_id=42'))!.target).toBe('https://api.telegram.org/bot123:AAA-secret/sendMessage');
    expect(endpointsFor(eps, 'cascade').map((e) => e.kind)).toEqual(['discord', 'telegram', 'telegram']);
    expect(endpointsFor(eps, 'regime').map((e) => e.redacted)).toEqual(['https://example.org/***', 'https://api.telegram.org/***', 'telegram://***']);
    expect(endpointsFor(eps, 'volatility')).toHaveLength(2);
  });

  it('rewrites Discord and Telegram hosts to an override base for tests, keeping the path', () => {
    const d = endpoint('https://discord.com/api/webhooks/5/secret-token');
    expect(d.target).toBe(`${rx.baseUrl}/api/webhooks/5/secret-token`);
  });

  it('names the key of a bad URL without printing its secret', () => {
    expect(() => buildEndpoints(parseWebhookConfig({ cascade: ['ftp://host/path-with-secret-123'] }, {}))).toThrow(UserError);
    try {
      buildEndpoints(parseWebhookConfig({ cascade: ['ftp://host/path-with-secret-123'] }, {}));
    } catch (err) {
      expect((err as Error).message).toMatch(/^webhooks\.cascade\[0\]/);
      expect((err as Error).message).not.toContain('path-with-secret-123');
    }
    expect(() => parseWebhookConfig({ max_attempts: 0 }, {})).toThrow(/webhooks\.max_attempts/);
    expect(() => parseWebhookConfig({ nope: 1 }, {})).toThrow(/webhooks\.nope: unknown key/);
  });
});

describe('redaction', () => {
  it('keeps scheme and host only, and scrubs every piece of a secret URL from text', () => {
    const url = 'https://discord.com/api/webhooks/111/very-secret-token?wait=true&token=qwertyuiop';
    expect(redactUrl(url)).toBe('https://discord.com/***');
    expect(redactUrl('telegram://123:ABC@42')).toBe('telegram://***');
    const text = `failed POST ${url}: very-secret-token rejected (qwertyuiop)`;
    const clean = scrubSecrets(text, [url]);
    expect(clean).not.toContain('very-secret-token');
    expect(clean).not.toContain('qwertyuiop');
    expect(clean).toContain('failed POST ***');
  });
});

describe('Discord', () => {
  it('colours by severity and is accepted by the receiver', async () => {
    const p = discordPayload({ alert: alert(), paper: true, test: false, late: false });
    expect(p.embeds[0].color).toBe(0xe74c3c);
    expect(p.embeds[0].title.startsWith('[PAPER] ')).toBe(true);
    expect(discordPayload({ alert: alert({ severity: 'INFO' }), paper: false, test: false, late: false }).embeds[0].color).toBe(0x3498db);
    const r = await sendOnce(endpoint(rx.discordUrl()), { alert: alert(), paper: true, test: false, late: false }, { httpSecret: null, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: true, status: 204 });
    expect(rx.byKind('discord')[0].headers['idempotency-key']).toBe('abcdef0123456789');
  });

  it('truncates to every embed limit and 6000 characters in total', async () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 40; i++) data[`field_${i}_${'n'.repeat(300)}`] = 'v'.repeat(2000);
    const big = alert({ title: '🚀'.repeat(300), description: 'd'.repeat(10_000), data });
    const e = discordPayload({ alert: big, paper: false, test: false, late: false }).embeds[0];
    expect(e.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
    expect(e.title.endsWith('…')).toBe(true);
    // a surrogate pair is never cut in half
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(e.title)).toBe(false);
    expect(e.description.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(e.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const f of e.fields) {
      expect(f.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
      expect(f.value.length).toBeGreaterThan(0);
    }
    expect(embedLength(e)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
    expect(e.fields[0]).toMatchObject({ name: 'Symbol', value: 'BTCUSDT' });
    const r = await sendOnce(endpoint(rx.discordUrl()), { alert: big, paper: false, test: false, late: false }, { httpSecret: null, timeoutMs: 2000 });
    expect(r.ok).toBe(true);
  });

  it('the fake Discord rejects an over-limit embed (so the check above means something)', async () => {
    const res = await fetch(`${rx.baseUrl}/api/webhooks/1/x`, { method: 'POST', body: JSON.stringify({ embeds: [{ title: 'x'.repeat(257), description: '', fields: [] }] }) });
    expect(res.status).toBe(400);
  });
});

describe('Telegram', () => {
  it('escapes every MarkdownV2 special character', () => {
    expect(escapeMarkdownV2('_*[]()~`>#+-=|{}.!\\')).toBe('\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\');
    const text = telegramPayload({ alert: alert(), paper: true, test: true, late: false }, '42').text;
    expect(markdownV2Error(text)).toBeNull();
    expect(text).toContain('*🔴'.slice(1));
    expect(text).toContain('\\[TEST\\] \\[PAPER\\]');
    // the unescaped description would be rejected
    expect(markdownV2Error(alert().description)).not.toBeNull();
  });

  it('stays within 4096 characters without cutting an escape, and the receiver accepts it', async () => {
    const long = alert({ description: '-.!'.repeat(3000), data: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k_${i}`, `v.${i}`])) });
    const text = telegramPayload({ alert: long, paper: false, test: false, late: false }, '42').text;
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(markdownV2Error(text)).toBeNull();
    expect(markdownV2Length(text)).toBeLessThanOrEqual(4096);
    const ep = endpoint(rx.telegramUrl());
    const r = await sendOnce(ep, { alert: long, paper: false, test: false, late: false }, { httpSecret: null, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: true, status: 200 });
    const got = rx.byKind('telegram')[0];
    expect(got.path).toBe('/bot123456:telegram-secret-token/sendMessage');
    expect(got.json).toMatchObject({ chat_id: '-100123456', parse_mode: 'MarkdownV2' });
  });

  it('treats a MarkdownV2 rejection as permanent', async () => {
    const res = await fetch(`${rx.baseUrl}/bot1:x/sendMessage`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ chat_id: 1, text: 'a.b', parse_mode: 'MarkdownV2' }) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("can't parse entities");
  });
});

describe('custom HTTP JSON', () => {
  it('sends the original payload shape, signed over timestamp.body, with the event id as idempotency key', async () => {
    const ep = endpoint(rx.httpUrl());
    const r = await sendOnce(ep, { alert: alert(), paper: true, test: false, late: false }, { httpSecret: 'shh-http-secret', timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    const got = rx.byKind('http')[0];
    expect(got.signatureValid).toBe(true);
    expect(Object.keys(got.json as object).sort()).toEqual(['data', 'description', 'direction', 'event_type', 'severity', 'source', 'symbol', 'timestamp', 'title']);
    expect((got.json as { title: string }).title).toMatch(/^\[PAPER\] /);
    expect((got.json as { timestamp: string }).timestamp).toBe(new Date(alert().ts + H).toISOString());
    expect(got.headers['idempotency-key']).toBe(alert().id);
    expect(got.headers['x-regime-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature('shh-http-secret', got.headers['x-regime-signature'], got.body)).toBe(true);
    expect(verifySignature('wrong', got.headers['x-regime-signature'], got.body)).toBe(false);
    expect(verifySignature('shh-http-secret', got.headers['x-regime-signature'], got.body + ' ')).toBe(false);
  });

  it('a receiver rejects a bad signature and a stale timestamp', async () => {
    const body = JSON.stringify(httpPayload({ alert: alert(), paper: false, test: false, late: false }));
    expect(verifySignature('k', sign('k', body, Math.floor(Date.now() / 1000) - 3600), body)).toBe(false);
    const r = await sendOnce(endpoint(rx.httpUrl()), { alert: alert(), paper: false, test: false, late: false }, { httpSecret: 'not-the-secret', timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, status: 401, permanent: true });
  });
});

describe('retry-after', () => {
  it('parses Discord seconds, legacy milliseconds, Telegram parameters, headers and dates', () => {
    expect(parseRetryAfter({ body: { retry_after: 1.5 } })).toBe(1500);
    expect(parseRetryAfter({ body: '{"retry_after": 6457}' })).toBe(6457);
    expect(parseRetryAfter({ body: { parameters: { retry_after: 5 } } })).toBe(5000);
    expect(parseRetryAfter({ header: '3' })).toBe(3000);
    expect(parseRetryAfter({ header: '0.25' })).toBe(250);
    expect(parseRetryAfter({ header: '120000' })).toBe(120_000);
    expect(parseRetryAfter({ header: new Date(Date.UTC(2026, 0, 1, 0, 0, 10)).toUTCString(), now: Date.UTC(2026, 0, 1) })).toBe(10_000);
    expect(parseRetryAfter({ body: '<html>busy</html>', header: null })).toBeNull();
    expect(parseRetryAfter({ body: { retry_after: -3 }, header: '2' })).toBe(2000);
    expect(parseRetryAfter({ header: '99999', maxMs: 60_000 })).toBe(60_000);
  });

  it('backs off exponentially with jitter inside [exp/2, exp]', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(backoffMs(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});

describe('sendTestMessages', () => {
  it('sends one [TEST] sample of each event type to the endpoints its source routes to', async () => {
    const c = cfg({ all: [rx.httpUrl()], cascade: [rx.discordUrl()], regime: [rx.telegramUrl()] });
    const results = await sendTestMessages(buildEndpoints(c), { httpSecret: c.http_secret, timeoutMs: 2000, paper: false, sleep: async () => undefined });
    expect(results.every((r) => r.result.ok)).toBe(true);
    expect(rx.byKind('http')).toHaveLength(6);
    expect(rx.byKind('discord')).toHaveLength(1);
    expect(rx.byKind('telegram')).toHaveLength(1);
    expect(rx.byKind('http').every((r) => (r.json as { title: string }).title.startsWith('[TEST] '))).toBe(true);
    expect(sampleAlerts(Date.now()).map((a) => a.source)).toEqual(['cascade', 'funding', 'funding', 'volatility', 'regime', 'correlation']);
  });
});

describe('DeliveryWorker and the outbox', () => {
  let dir: string;
  let store: LiveStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-notify-'));
    store = await LiveStore.open(dir);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function enqueue(eps: Endpoint[], alerts: Alert[], paper = true): Promise<void> {
    await store.recordLateAlerts(alerts.map((a) => ({ alert: a, late: false, targets: eps.map((e) => ({ id: e.id, redacted: e.redacted, kind: e.kind })) })), paper, Date.now());
  }

  function worker(eps: Endpoint[], over: Partial<WebhookConfig> = {}): DeliveryWorker {
    return new DeliveryWorker({ store, endpoints: eps, config: { ...cfg(), base_delay_ms: 20, max_delay_ms: 200, timeout_ms: 300, max_attempts: 4, ...over }, random: () => 0.5 });
  }

  it('retries 500s, timeouts and resets, honours 429 retry_after, and logs every attempt without secrets', async () => {
    const eps = buildEndpoints(cfg({ cascade: [rx.discordUrl()], all: [rx.httpUrl()] }));
    rx.addFault({ kind: 'discord', times: 1, fault: { kind: 'status', status: 500 } });
    rx.addFault({ kind: 'discord', times: 1, fault: { kind: 'rate-limit', bodyRetryAfter: 0.3, header: '1' } });
    rx.addFault({ kind: 'http', times: 1, fault: { kind: 'delay', ms: 1000 } });
    rx.addFault({ kind: 'http', times: 1, fault: { kind: 'reset' } });
    await enqueue(eps, [alert()]);
    const w = worker(eps);
    w.start();
    await w.drained(20_000);
    await w.stop();
    const out = await store.outbox();
    expect(out.map((o) => [o.kind, o.state, o.attempts])).toEqual(expect.arrayContaining([['discord', 'delivered', 3], ['http', 'delivered', 3]]));
    const logs = (await store.webhookLogs()).reverse();
    const discord = logs.filter((l) => l.endpoint_id === eps[0].id);
    expect(discord[0].url).toBe('https://discord.com/***');
    expect(discord.map((l) => [l.attempt, l.status, l.success])).toEqual([[1, 500, false], [2, 429, false], [3, 204, true]]);
    // the 429 asked for 0.3 s (body, more precise than the header's 1 s)
    const rl = rx.byKind('discord');
    expect(rl[2].at - rl[1].at).toBeGreaterThanOrEqual(280);
    const http = logs.filter((l) => l.endpoint_id === eps[1].id);
    expect(http[0].error).toMatch(/timeout after 300 ms/);
    expect(http[1].status).toBeNull();
    // every request carried the same idempotency key
    expect(new Set(rx.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([alert().id]));
    // nothing secret in the store
    const dump = JSON.stringify(await store.query(`SELECT * FROM webhook_logs`)) + JSON.stringify(await store.query(`SELECT * FROM outbox`));
    for (const secret of ['discord-secret-token', 'http-secret-query-token', '/api/webhooks', 'token=']) expect(dump).not.toContain(secret);
  });

  it('dead-letters after max_attempts, and at once on a permanent 4xx', async () => {
    const eps = buildEndpoints(cfg({ cascade: [rx.discordUrl('9', 'gone-token')], funding: [rx.httpUrl('/down', '')] }));
    rx.addFault({ kind: 'discord', fault: { kind: 'status', status: 404, body: '{"message":"Unknown Webhook","code":10015}' } });
    rx.addFault({ kind: 'http', fault: { kind: 'status', status: 503 } });
    await enqueue(eps, [alert(), alert({ id: 'f000000000000001', event_type: 'FUNDING_ANOMALY', source: 'funding' })].map((a) => a));
    const w = worker(eps, { max_attempts: 3 });
    w.start();
    await w.drained(20_000);
    await w.stop();
    const out = await store.outbox();
    const byEndpoint = (id: string) => out.filter((o) => o.endpoint_id === id);
    expect(byEndpoint(eps[0].id).every((o) => o.state === 'dead' && o.attempts === 1 && o.last_status === 404)).toBe(true);
    expect(byEndpoint(eps[1].id).every((o) => o.state === 'dead' && o.attempts === 3 && o.last_status === 503)).toBe(true);
    expect((await store.outboxCounts()).dead).toBe(4);
  });

  it('an endpoint removed from the config is dead-lettered, not retried forever', async () => {
    const eps = buildEndpoints(cfg({ all: [rx.httpUrl()] }));
    await enqueue(eps, [alert()]);
    const w = worker([]);
    w.start();
    await w.drained(10_000);
    await w.stop();
    expect((await store.outbox())[0]).toMatchObject({ state: 'dead', last_error: 'endpoint no longer configured' });
    expect(rx.requests).toHaveLength(0);
  });
});
