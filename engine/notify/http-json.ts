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
    data: a.data,
  };
}

export function sign(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** For receivers (and the tests): true when the header is a valid signature of body within `toleranceS` of now. */
export function verifySignature(secret: string, header: string | null | undefined, body: string, nowMs = Date.now(), toleranceS = 300): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string' || !/^[0-9a-f]{64}$/.test(parts.v1)) return false;
  if (Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  const expected = Buffer.from(sign(secret, body, t).split('v1=')[1], 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
