// Standard Webhooks signing per HTTP endpoint (#15.2): the bytes on the wire verified with the `standardwebhooks`
// package exactly as a receiver would; secret rotation (two signatures in one header) for both schemes; the
// Stripe-style Regime signature stays the default. Loopback receiver, synthetic alerts.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Alert } from '../pipeline/alerts.ts';
import { FakeReceiver } from '../testing/fake-receivers.ts';
import { installNetGuard } from '../testing/net-guard.ts';
import { buildEndpoints, parseWebhookConfig } from './endpoints.ts';
import { sign, verifySignature, verifyStandard } from './http-json.ts';
import { sendOnce } from './send.ts';

let restoreNet: () => void;
beforeAll(() => {
  restoreNet = installNetGuard();
});
afterAll(() => restoreNet());
let rx: FakeReceiver;
beforeEach(async () => {
  rx = new FakeReceiver();
  await rx.start();
});
afterEach(async () => {
  await rx.close();
});

const alert: Alert = {
  id: 'std0123456789abcd', ts: Date.UTC(2026, 2, 1, 5), symbol: 'ETHUSDT', event_type: 'LIQUIDATION_CASCADE', severity: 'WARNING',
  title: 'ETHUSDT liquidation cascade', description: 'synthetic test alert', source: 'cascade', direction: -1, data: { severity: 3 },
};
const whsec = () => `whsec_${randomBytes(24).toString('base64')}`;

async function sendTo(entry: unknown, httpSecret: string | null = null) {
  const cfg = parseWebhookConfig({ all: [entry], http_secret: httpSecret }, {});
  const [ep] = buildEndpoints(cfg);
  const r = await sendOnce(ep, { alert, paper: false, test: false, late: false }, { httpSecret: cfg.http_secret, timeoutMs: 5000 });
  expect(r.ok).toBe(true);
  return rx.requests[rx.requests.length - 1];
}

describe('Standard Webhooks', () => {
  it('webhook-id/-timestamp/-signature verify with the standardwebhooks package; the body carries direction', async () => {
    const secret = whsec();
    const q = await sendTo({ url: rx.httpUrl('/std', ''), signing: 'standard', secret });
    expect(q.headers['webhook-id']).toBe(alert.id);
    expect(q.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(q.headers['x-regime-signature']).toBeUndefined();
    const payload = new Webhook(secret).verify(q.body, q.headers) as Record<string, unknown>;
    expect(payload).toMatchObject({ event_type: 'LIQUIDATION_CASCADE', symbol: 'ETHUSDT', direction: -1 });
    expect(verifyStandard(secret, q.headers, q.body)).toBe(true);
    // a byte changed on the way, or another secret: rejected
    expect(() => new Webhook(secret).verify(q.body.replace('ETHUSDT', 'BTCUSDT'), q.headers)).toThrow();
    expect(() => new Webhook(whsec()).verify(q.body, q.headers)).toThrow();
  });

  it('rotation: two secrets sign, a receiver holding either accepts', async () => {
    const [oldS, newS] = [whsec(), whsec()];
    const q = await sendTo({ url: rx.httpUrl('/std', ''), signing: 'standard', secret: [oldS, newS] });
    expect(q.headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const s of [oldS, newS]) {
      expect(new Webhook(s).verify(q.body, q.headers)).toBeTruthy();
      expect(verifyStandard(s, q.headers, q.body)).toBe(true);
    }
    expect(verifyStandard(whsec(), q.headers, q.body)).toBe(false);
  });

  it('config errors name the key; standard signing needs a whsec_ secret and an HTTP endpoint', () => {
    expect(() => buildEndpoints(parseWebhookConfig({ all: [{ url: 'https://example.org/h', signing: 'standard', secret: 'plain' }] }, {}))).toThrow(/webhooks\.all\[0\]\.secret: .*whsec_/);
    expect(() => buildEndpoints(parseWebhookConfig({ all: [{ url: 'https://discord.com/api/webhooks/1/tok-en-secret', signing: 'standard' }] }, {}))).toThrow(/webhooks\.all\[0\]\.signing/);
    expect(() => parseWebhookConfig({ all: [{ url: 'https://example.org/h', signing: 'nope' }] }, {})).toThrow(/webhooks\.all/);
  });
});

describe('Regime signature (default)', () => {
  it('stays the default, and the receiver helper accepts any of several v1 signatures', async () => {
    const q = await sendTo(rx.httpUrl('/regime', ''), 'regime-secret-a');
    expect(q.headers['webhook-signature']).toBeUndefined();
    expect(verifySignature('regime-secret-a', q.headers['x-regime-signature'], q.body)).toBe(true);
    expect((q.json as { direction: number }).direction).toBe(-1);
    const t = Math.floor(Date.now() / 1000);
    const rotated = sign(['regime-secret-old', 'regime-secret-new'], q.body, t);
    expect(rotated.split(',')).toHaveLength(3);
    expect(verifySignature('regime-secret-old', rotated, q.body)).toBe(true);
    expect(verifySignature('regime-secret-new', rotated, q.body)).toBe(true);
    expect(verifySignature('regime-secret-other', rotated, q.body)).toBe(false);
    expect(verifySignature('regime-secret-old', rotated, `${q.body} `)).toBe(false);
  });
});
