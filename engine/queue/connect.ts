/**
 * A checked connection to Redis. One attempt bounded by the connect timeout: an unreachable or misconfigured
 * Redis (wrong port, wrong password, TLS against a plain server) ends in one clear line, never in a hang.
 */
import { Redis } from 'ioredis';
import { UserError } from '../errors.ts';
import { redact } from '../notify/redact.ts';
import type { RedisTarget } from './redis-url.ts';

export const REDIS_UNREACHABLE_EXIT = 1;

export function redisErrorText(err: unknown): string {
  return redact(((err as Error)?.message ?? String(err)).split('\n')[0]);
}

export async function connectRedis(target: RedisTarget, role: string): Promise<Redis> {
  // the first connection is not retried (connect() fails on the first close anyway): a client that ends by
  // itself has nothing to disconnect, and disconnecting a refused one would keep the process alive for ioredis'
  // disconnectTimeout (2 s) waiting for a close its dead socket already emitted
  let probing = true;
  const retry = target.options.retryStrategy;
  const client = new Redis({ ...target.options, lazyConnect: true, maxRetriesPerRequest: 2, retryStrategy: (times) => (probing ? null : (retry?.(times) ?? null)) });
  let lastError: unknown = null;
  // errors surface through the probe below and through 'end'; unhandled they would only be printed by ioredis
  client.on('error', (err) => (lastError = err));
  try {
    await client.connect();
    await client.ping();
    probing = false;
  } catch (err) {
    if (client.status !== 'end') client.disconnect();
    const reason = redisErrorText(lastError ?? err);
    throw new UserError(`${role}: cannot reach Redis at ${target.shown}: ${reason}`, REDIS_UNREACHABLE_EXIT);
  }
  return client;
}

/** resolves with a clear error when the client gives up reconnecting (its retry strategy is bounded) */
export function connectionLost(client: Redis, target: RedisTarget, role: string): Promise<never> {
  return new Promise<never>((_, reject) => {
    let lastError: unknown = null;
    client.on('error', (err) => (lastError = err));
    client.once('end', () => {
      const why = lastError ? `: ${redisErrorText(lastError)}` : '';
      reject(new UserError(`${role}: lost the connection to Redis at ${target.shown}${why}`, REDIS_UNREACHABLE_EXIT));
    });
  });
}

/** ioredis' errors for a connection that went away under a command (not a Redis error reply) */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as Error | null;
  return e?.name === 'MaxRetriesPerRequestError' || /Connection is closed|max retries per request|ECONNRESET|ECONNREFUSED|EPIPE/i.test(e?.message ?? '');
}

const CLOSE_MS = 3_000;

/** BullMQ's close waits for its connections: with Redis gone that could be forever */
export async function closeWithin(closing: Promise<unknown>[], ms = CLOSE_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.allSettled(closing), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
