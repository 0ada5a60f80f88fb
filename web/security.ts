/**
 * The API's security rules: loopback by default, a bearer token required for any other address, no secret in
 * a response, and no request from a page whose Host is not a loopback name when there is no token (a DNS
 * rebinding page would otherwise read the API from the user's own browser).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** the Host header's name part (without the port) */
export function hostName(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const i = header.lastIndexOf(':');
  return i >= 0 ? header.slice(0, i) : header;
}

export class SecurityConfigError extends Error {}

export interface AuthConfig {
  host: string;
  /** null: no token configured */
  token: string | null;
}

/** The token from options or REGIME_API_TOKEN; throws when a non-loopback bind has none. */
export function authConfig(host: string, token: string | undefined, env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const t = (token ?? env.REGIME_API_TOKEN ?? '').trim();
  if (t === '' && !isLoopbackHost(host)) {
    throw new SecurityConfigError(`refusing to bind ${host} without an API token: pass --token or set REGIME_API_TOKEN (or bind 127.0.0.1)`);
  }
  if (t !== '' && t.length < 16) throw new SecurityConfigError('the API token must be at least 16 characters');
  return { host, token: t === '' ? null : t };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** constant-time comparison of `Authorization: Bearer <token>` with the configured token */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(digest(m[1]), digest(token));
}

const SECRET_KEY = /token|secret|password|passwd|api[_-]?key|authorization|webhook|cookie|credential|private/i;
const SECRET_VALUE = [
  // URLs with credentials or query strings: webhook URLs carry their token in the path or the query
  /\bhttps?:\/\/[^\s"']*(hooks?|webhook|bot\d+:|token|key=|sig=)[^\s"']*/gi,
  /\bhttps?:\/\/[^\s"'/]*@[^\s"']*/gi,
  // Telegram bot tokens
  /\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g,
  /\bBearer\s+\S+/gi,
];

/**
 * A deep copy with secret-looking keys dropped and secret-looking strings masked. Status objects come from
 * other modules (the live loop's notifier state, for one), so this is applied to all of them, not trusted.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') {
    let s = value;
    for (const re of SECRET_VALUE) s = s.replace(re, '[redacted]');
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEY.test(k)) continue;
      out[k] = redactSecrets(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'bigint') return Number(value);
  return value;
}
