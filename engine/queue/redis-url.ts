/**
 * `--queue redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS) as ioredis options.
 *
 * The URL's password is registered with the project's one redactor the moment it is read, and only the shown
 * form (scheme + host, the rest masked) is ever put into a message: a Redis password must never reach a log,
 * an error or an output file.
 */
import type { RedisOptions } from 'ioredis';
import { UserError } from '../errors.ts';
import { registerRedisUrl } from '../notify/redact.ts';

export interface RedisTarget {
  options: RedisOptions;
  /** what messages say instead of the URL */
  shown: string;
}

/** bounded: an unreachable Redis must end in an error, never in a hang */
export const CONNECT_TIMEOUT_MS = 5_000;
/** waits before each reconnect after a lost connection; then the client gives up (7 s in all) */
export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = [500, 1000, 1500, 2000, 2000];
/** environment override, e.g. REGIME_REDIS_RECONNECT_MS=100,100 (tests; a Redis known to restart slowly) */
export const RECONNECT_ENV = 'REGIME_REDIS_RECONNECT_MS';

/** the reconnect waits from REGIME_REDIS_RECONNECT_MS (comma-separated milliseconds, empty: never reconnect) */
export function reconnectDelaysFromEnv(env: NodeJS.ProcessEnv = process.env): readonly number[] {
  const text = env[RECONNECT_ENV];
  if (text === undefined) return DEFAULT_RECONNECT_DELAYS_MS;
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const ms = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(ms) || ms < 0) throw new UserError(`${RECONNECT_ENV}: expected comma-separated milliseconds, got '${text}'`);
    return ms;
  });
}

export function parseRedisUrl(url: string, option = '--queue', reconnectDelaysMs: readonly number[] = reconnectDelaysFromEnv()): RedisTarget {
  const shown = registerRedisUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${option}: expected redis://[user:password@]host[:port][/db] or rediss://…, got ${shown}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UserError(`${option}: expected a redis:// or rediss:// URL, got ${u.protocol}//…`);
  if (!u.hostname) throw new UserError(`${option}: the URL has no host`);
  const dbPart = u.pathname.replace(/^\/+/, '');
  if (dbPart !== '' && !/^\d{1,2}$/.test(dbPart)) throw new UserError(`${option}: the database is a number (redis://host:port/0), got ${shown}`);
  if (u.search || u.hash) throw new UserError(`${option}: query strings and fragments are not supported, got ${shown}`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: RedisOptions = {
    host,
    port,
    db: dbPart === '' ? 0 : Number(dbPart),
    connectTimeout: CONNECT_TIMEOUT_MS,
    // a few reconnects ride out a Redis restart; then give up, so callers see an error instead of waiting forever
    retryStrategy: (times: number) => reconnectDelaysMs[times - 1] ?? null,
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') options.tls = { servername: host };
  return { options, shown: `${u.protocol}//${u.host}/${dbPart === '' ? '0' : dbPart}${u.password || u.username ? ' (credentials hidden)' : ''}` };
}
