// 429 is honoured per receiver (#16.6): the fake receiver counts every request that reaches an endpoint inside a
// wait it announced (429 Retry-After, Discord's empty bucket, Discord's global limit) — it must stay 0 — and
// Telegram messages to one chat are a second apart. The worker and the receiver share one virtual clock that
// moves only when the worker waits, so nothing here depends on timing.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeReceiver } from '../testing/fake-receivers.ts';
import { installNetGuard } from '../testing/net-guard.ts';
import { VirtualClock } from '../live/clock.ts';
import { LiveStore } from '../live/store.ts';
import type { Alert } from '../pipeline/alerts.ts';
import { buildEndpoints, parseWebhookConfig, type Endpoint } from './endpoints.ts';
import { DeliveryWorker } from './worker.ts';

const T = Date.UTC(2026, 2, 1);
let restoreNet: () => void;
beforeAll(() => {
  restoreNet = installNetGuard();
});
afterAll(() => restoreNet());

let rx: FakeReceiver;
let clock: VirtualClock;
let dir: string;
beforeEach(async () => {
  clock = new VirtualClock(T);
  rx = new FakeReceiver({ now: () => clock.now() });
  await rx.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-ratelimit-'));
});
afterEach(async () => {
  await rx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function alerts(n: number, source: Alert['source'] = 'funding'): Alert[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `rl-${source}-${i}`, ts: T + i * 3_600_000, symbol: 'BTCUSDT', event_type: 'FUNDING_ANOMALY', severity: 'WARNING',
    title: `alert ${i}`, description: 'synthetic test alert', source, direction: 1, data: { z: 2.5 },
  }));
}

async function deliverAll(urls: string[], count: number): Promise<{ endpoints: Endpoint[]; store: LiveStore }> {
  const cfg = parseWebhookConfig({ all: urls, discord_api_base: rx.baseUrl, telegram_api_base: rx.baseUrl, base_delay_ms: 100, max_delay_ms: 200, concurrency: 4, max_attempts: 20 }, {});
  const endpoints = buildEndpoints(cfg);
  const store = await LiveStore.open(path.join(dir, 'live'));
  const targets = endpoints.map((e) => ({ id: e.id, redacted: e.redacted, kind: e.kind }));
  await store.recordLateAlerts(alerts(count).map((a) => ({ alert: a, late: false, targets })), false, clock.now());
  const worker = new DeliveryWorker({ store, endpoints, config: cfg, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), random: () => 0.5 });
  worker.start();
  await worker.drained(60_000);
  await worker.stop();
  expect(await store.outboxCounts()).toEqual({ pending: 0, delivered: count * endpoints.length, dead: 0 });
  await store.close();
  return { endpoints, store };
}

describe('rate limits per endpoint', () => {
  it('a 429 pauses the whole endpoint for its announced wait; another endpoint goes on meanwhile', async () => {
    rx.addFault({ match: (n, r) => r.path === '/hooks/a' && n <= 3, times: 1, fault: { kind: 'rate-limit', bodyRetryAfter: 5 } });
    await deliverAll([`${rx.baseUrl}/hooks/a`, `${rx.baseUrl}/hooks/b`], 8);
    expect(rx.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(rx.earlyRequests).toBe(0);
    const limitedAt = rx.requests.find((r) => r.status === 429)!.at;
    const a = rx.requests.filter((r) => r.path === '/hooks/a' && r.at > limitedAt - 1);
    // the first request to /hooks/a after the 429 comes no earlier than 5 s later
    expect(a.filter((r) => r.status === 200).every((r) => r.at >= limitedAt + 5000)).toBe(true);
    // /hooks/b was not held up by /hooks/a's pause
    expect(rx.requests.filter((r) => r.path === '/hooks/b' && r.at < limitedAt + 5000).length).toBeGreaterThan(0);
  });

  it('Discord: an empty bucket (X-RateLimit-Remaining 0) and a global 429 are waited out', async () => {
    rx.addFault({ kind: 'discord', times: 1, match: (n) => n === 2, fault: { kind: 'status', status: 204, body: '', headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset-After': '2.5' } } });
    rx.addFault({ kind: 'discord', times: 1, match: (n) => n === 5, fault: { kind: 'rate-limit', bodyRetryAfter: 3, global: true } });
    await deliverAll([rx.discordUrl('111111111111111111', 'discord-token-one-abc'), rx.discordUrl('222222222222222222', 'discord-token-two-abc')], 5);
    expect(rx.requests.some((r) => r.status === 429)).toBe(true);
    expect(rx.earlyRequests).toBe(0);
  });

  it('Telegram: messages to one chat are at least a second apart; nothing reaches it inside a 429 wait', async () => {
    rx.addFault({ kind: 'telegram', times: 1, match: (n) => n === 3, fault: { kind: 'rate-limit', bodyRetryAfter: 4 } });
    await deliverAll([rx.telegramUrl('123456:telegram-secret-token', '-100777')], 6);
    const times = rx.byKind('telegram').map((r) => r.at);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
    expect(rx.earlyRequests).toBe(0);
  });

  it('the same receiver counts a sender that ignores the wait (the check can fail)', async () => {
    rx.addFault({ times: 1, fault: { kind: 'rate-limit', bodyRetryAfter: 10 } });
    await fetch(`${rx.baseUrl}/hooks/x`, { method: 'POST', body: '{}' });
    await fetch(`${rx.baseUrl}/hooks/x`, { method: 'POST', body: '{}' });
    expect(rx.earlyRequests).toBe(1);
  });
});
