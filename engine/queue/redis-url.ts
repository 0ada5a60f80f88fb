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
const RECONNECT_ATTEMPTS = 5;

export function parseRedisUrl(url: string, option = '--queue'): RedisTarget {
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
    retryStrategy: (times: number) => (times > RECONNECT_ATTEMPTS ? null : Math.min(times * 500, 2_000)),
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') options.tls = { servername: host };
  return { options, shown: `${u.protocol}//${u.host}/${dbPart === '' ? '0' : dbPart}${u.password || u.username ? ' (credentials hidden)' : ''}` };
}
