// No configured secret in any sink (#16.2): every secret — a Telegram bot token in each of its forms, a Discord
// webhook token, a URL query token, the HMAC secret, a Redis password — is planted in receiver error bodies and
// headers and in error messages; then the live store's file, the pino log and the CLI output are scanned for
// each: 0 hits. All receivers are loopback fakes.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createLogger } from '../log.ts';
import { FakeReceiver } from '../testing/fake-receivers.ts';
import { installNetGuard } from '../testing/net-guard.ts';
import { LiveStore } from '../live/store.ts';
import { liveStatus } from '../live/status.ts';
import { buildEndpoints, parseWebhookConfig } from './endpoints.ts';
import { Redactor, redact, registerRedisUrl, urlSecrets } from './redact.ts';
import { sampleAlerts } from './samples.ts';
import { DeliveryWorker } from './worker.ts';
import { buildProgram } from '../cli/main.ts';

const BOT = '7012345678:AAH-bot-secret-half_XYZ123';
const BOT_HALF = BOT.split(':')[1];
const DISCORD_TOKEN = 'dsc-token-8f7e6d5c4b3a';
const QUERY = 'qtoken-5a4b3c2d1e';
const HMAC = 'hmac-shh-9a8b7c6d';
const REDIS_PASS = 'redis-pass-77aa55';
const PLANTED = [BOT, BOT_HALF, encodeURIComponent(BOT), DISCORD_TOKEN, QUERY, HMAC, REDIS_PASS];
const QUOTE = `bot token ${BOT} (secret ${BOT_HALF}, encoded ${encodeURIComponent(BOT)}); discord ${DISCORD_TOKEN}; query ${QUERY}; hmac ${HMAC}; redis ${REDIS_PASS}`;

function hits(text: string | Buffer): string[] {
  const s = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return PLANTED.filter((p) => s.includes(p));
}

let restoreNet: () => void;
beforeAll(() => {
  restoreNet = installNetGuard();
});
afterAll(() => restoreNet());

let rx: FakeReceiver;
let dir: string;
beforeEach(async () => {
  rx = new FakeReceiver();
  await rx.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-secrets-'));
});
afterEach(async () => {
  await rx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function webhooks() {
  return {
    all: [
      `https://api.telegram.org/bot${BOT}/sendMessage?chat_id=-100123`,
      `telegram://${BOT}@-100999`,
      `https://discord.com/api/webhooks/123456789012345678/${DISCORD_TOKEN}`,
      `${rx.baseUrl}/hooks/x?token=${QUERY}`,
    ],
    http_secret: HMAC,
    discord_api_base: rx.baseUrl,
    telegram_api_base: rx.baseUrl,
    max_attempts: 2,
    base_delay_ms: 10,
    max_delay_ms: 20,
  };
}

describe('redactor', () => {
  it('knows a Telegram token bare, as its secret half, URL-encoded and as bot<token>, but not route words', () => {
    const r = new Redactor().addUrl(`https://api.telegram.org/bot${BOT}/sendMessage?chat_id=1`);
    expect(r.redact(`Unauthorized ${BOT} / ${BOT_HALF} / ${encodeURIComponent(BOT)} / bot${BOT}`)).toBe('Unauthorized *** / *** / *** / ***');
    expect(r.redact('sendMessage to api.telegram.org')).toBe('sendMessage to api.telegram.org');
    expect(urlSecrets(`redis://default:${REDIS_PASS}@h:6379/0`)).toContain(REDIS_PASS);
    expect(new Redactor().addHmacSecret('whsec_c2VjcmV0LWtleS1ieXRlcw==').redact('key c2VjcmV0LWtleS1ieXRlcw==')).toBe('key ***');
    expect(new Redactor().addUrl('https://discord.com/api/webhooks/1/tok-en-secret').redact('webhooks tok-en-secret')).toBe('webhooks ***');
  });
});

describe('every secret, every sink', () => {
  it('store file, pino log, live status, webhooks logs/test output: 0 hits', async () => {
    registerRedisUrl(`redis://default:${REDIS_PASS}@127.0.0.1:6379/0`);
    const cfg = parseWebhookConfig(webhooks(), {});
    const endpoints = buildEndpoints(cfg);
    // every receiver answers 400 quoting every secret in its body and a header; the Telegram one says ok:false
    rx.addFault({ fault: { kind: 'status', status: 400, body: JSON.stringify({ ok: false, description: QUOTE }), headers: { 'X-Echo': QUOTE } } });

    const logFile = path.join(dir, 'log.ndjson');
    const log = createLogger('debug', pino.destination({ dest: logFile, sync: true }));
    log.warn({ err: `fetch failed for ${QUOTE}` }, `an error message naming ${BOT}`);

    const store = await LiveStore.open(path.join(dir, 'live'));
    const alerts = sampleAlerts(Date.UTC(2026, 2, 1)).slice(0, 2);
    await store.recordHour(
      { ts: alerts[0].ts, mode: 'live', missing: [], flags: [], liq: {}, features: [], alerts: alerts.map((a) => ({ alert: a, late: false, targets: endpoints.map((e) => ({ id: e.id, redacted: e.redacted, kind: e.kind })) })) },
      true,
      Date.now(),
    );
    await store.addFault(Date.now(), null, 'request_failed', `GET failed: ${QUOTE}`);
    await store.addReject({ at: Date.now(), hour: 0, table: 'funding', venue: 'binanceusdm', symbol: 'BTCUSDT', ts: 0, reason: `bad value near ${QUOTE}`, values: QUOTE });
    await store.setMeta({ note: QUOTE });
    const worker = new DeliveryWorker({ store, endpoints, config: cfg, logger: log });
    worker.start();
    await worker.drained(20_000);
    await worker.stop();
    expect(await store.outboxCounts()).toEqual({ pending: 0, delivered: 0, dead: 8 });
    const status = await liveStatus(store);
    await store.close();
    expect(rx.requests.length).toBeGreaterThanOrEqual(8);

    const files = fs.readdirSync(path.join(dir, 'live')).map((f) => path.join(dir, 'live', f));
    for (const f of files) expect(hits(fs.readFileSync(f)), f).toEqual([]);
    const logText = fs.readFileSync(logFile, 'utf8');
    expect(logText).toContain('webhook dead-lettered');
    expect(hits(logText)).toEqual([]);
    expect(hits(JSON.stringify(status))).toEqual([]);
    expect(status.dead_letters[0].last_error).toContain('***');

    // the CLI, in this process: what it prints
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    const logSpy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.map(String).join(' ')));
    try {
      const cfgFile = path.join(dir, 'config.json');
      fs.writeFileSync(cfgFile, JSON.stringify({ webhooks: webhooks() }));
      for (const args of [
        ['webhooks', 'logs', '--results', path.join(dir, 'live'), '--json'],
        ['webhooks', 'logs', '--results', path.join(dir, 'live')],
        ['live', 'status', '--results', path.join(dir, 'live'), '--json'],
        ['webhooks', 'list', '--config', cfgFile],
        ['webhooks', 'test', '--config', cfgFile, '--json'],
        ['webhooks', 'test', '--config', cfgFile],
      ]) {
        const program = await buildProgram(args);
        await program.parseAsync(['node', 'regime', ...args]).catch((err: Error) => out.push(`error: ${args.join(' ')}: ${err.message}`));
      }
    } finally {
      write.mockRestore();
      logSpy.mockRestore();
    }
    const printed = out.join('\n');
    expect(printed).toContain('FAILED');
    expect(printed).toContain('***');
    expect(hits(printed)).toEqual([]);
    expect(redact(QUOTE)).not.toContain(REDIS_PASS);
  });
});
