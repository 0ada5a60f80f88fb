/**
 * Custom HTTP receivers get the original system's JSON shape (event_type, timestamp, symbol, severity, title,
 * description, source, data), signed like Stripe's webhooks: `X-Regime-Signature: t=<unix s>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). Signing the timestamp with the body lets a receiver reject replays;
 * the event id travels as `Idempotency-Key` so a receiver can drop the duplicates at-least-once delivery makes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { alertTimestamp, markedTitle, type OutgoingMessage } from './message.ts';

export const SIGNATURE_HEADER = 'X-Regime-Signature';

export function httpPayload(m: OutgoingMessage): Record<string, unknown> {
  const a = m.alert;
  return {
    event_type: a.event_type,
    timestamp: alertTimestamp(a),
    symbol: a.symbol,
    severity: a.severity,
    title: markedTitle(m),
    description: a.description,
    source: a.source,
    /** +1 up, −1 down, null: the sign of the move the alert is about */
    direction: a.direction ?? null,
    data: a.data,
  };
}

/** `t=<unix s>,v1=<hex>`, one v1 per secret (while rotating, receivers holding either secret accept it) */
export function sign(secret: string | readonly string[], body: string, unixSeconds: number): string {
  const v1s = [secret].flat().map((s) => `v1=${createHmac('sha256', s).update(`${unixSeconds}.${body}`).digest('hex')}`);
  return `t=${unixSeconds},${v1s.join(',')}`;
}

/**
 * For receivers (and the tests): true when the header holds a valid signature of body within `toleranceS` of
 * now. Several v1 signatures may be present (the sender rotating secrets): any valid one is enough.
 */
export function verifySignature(secret: string, header: string | null | undefined, body: string, nowMs = Date.now(), toleranceS = 300): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts
    .filter(([k, v]) => k === 'v1' && typeof v === 'string' && /^[0-9a-f]{64}$/.test(v))
    .some(([, v]) => timingSafeEqual(expected, Buffer.from(v!, 'hex')));
}

// ---- Standard Webhooks (standardwebhooks.com) -------------------------------------------------------------

function standardKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/**
 * The three Standard Webhooks headers: webhook-id (the event id, the same on every retry, so it doubles as the
 * idempotency key), webhook-timestamp (unix s) and webhook-signature `v1,<base64 HMAC-SHA256(key, id.t.body)>`,
 * space-separated when several secrets sign.
 */
export function standardHeaders(secret: string | readonly string[], id: string, unixSeconds: number, body: string): Record<string, string> {
  const sigs = [secret].flat().map((s) => `v1,${createHmac('sha256', standardKey(s)).update(`${id}.${unixSeconds}.${body}`).digest('base64')}`);
  return { 'webhook-id': id, 'webhook-timestamp': String(unixSeconds), 'webhook-signature': sigs.join(' ') };
}

/** Receiver side of Standard Webhooks: any of the space-separated v1 signatures valid, timestamp within tolerance. */
export function verifyStandard(secret: string, headers: Record<string, string | undefined>, body: string, nowMs = Date.now(), toleranceS = 300): boolean {
  const id = headers['webhook-id'];
  const t = Number(headers['webhook-timestamp']);
  const header = headers['webhook-signature'];
  if (!id || !header || !Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', standardKey(secret)).update(`${id}.${t}.${body}`).digest();
  return header
    .split(' ')
    .filter((p) => p.startsWith('v1,'))
    .some((p) => {
      const given = Buffer.from(p.slice(3), 'base64');
      return given.length === expected.length && timingSafeEqual(expected, given);
    });
}
