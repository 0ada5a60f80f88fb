/**
 * The delivery worker: drains the durable outbox in the background, so a slow or dead receiver never holds up
 * the hourly step. Each attempt and its outcome are written together (outbox row + webhook_logs line); an entry
 * leaves `pending` only once a receiver said 2xx (delivered) or retrying became pointless (dead). A crash
 * between a receiver's 2xx and that write means the entry is sent again after a restart — at least once, always
 * with the event id as the idempotency key, so receivers can drop the duplicate.
 */
import pLimit from 'p-limit';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { LiveStore, OutboxEntry } from '../live/store.ts';
import type { Endpoint, WebhookConfig } from './endpoints.ts';
import { sendOnce, type AttemptResult } from './send.ts';
import { killPoint } from '../live/kill-points.ts';
import { EndpointLimits } from './rate-limit.ts';

export type DeliveryConfig = Pick<WebhookConfig, 'max_attempts' | 'timeout_ms' | 'base_delay_ms' | 'max_delay_ms' | 'concurrency' | 'http_secret'>;

export interface DeliveryWorkerOptions {
  store: LiveStore;
  endpoints: readonly Endpoint[];
  config: DeliveryConfig;
  logger?: Logger;
  /** wall-clock ms for scheduling; retries are real waits, whatever clock the live loop runs on */
  now?: () => number;
  random?: () => number;
  /** called after each attempt is recorded */
  onAttempt?: (entry: OutboxEntry, result: AttemptResult) => void;
  /** the worker's waits (default real timers); a test passes its virtual clock's sleep with `now` */
  sleep?: (ms: number) => Promise<void>;
  /** spacing of messages to one Telegram chat (Telegram allows about one per second) */
  telegramSpacingMs?: number;
}

/** exponential with "equal jitter": half fixed, half random, so retries of many entries spread out */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export class DeliveryWorker {
  private readonly opts: DeliveryWorkerOptions;
  private readonly byId: Map<string, Endpoint>;
  private readonly log: Logger;
  private readonly now: () => number;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private woken = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly limits: EndpointLimits;
  attempts = 0;

  constructor(opts: DeliveryWorkerOptions) {
    this.opts = opts;
    this.byId = new Map(opts.endpoints.map((e) => [e.id, e]));
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.limits = new EndpointLimits(opts.endpoints, opts.telegramSpacingMs ?? 1000);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** new outbox rows were written: look now instead of at the next scheduled retry */
  notify(): void {
    this.woken = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loopDone;
  }

  /** resolves once no entry is pending (delivered or dead), or rejects after timeoutMs */
  async drained(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.opts.store.outboxCounts()).pending === 0) return;
      if (Date.now() > deadline) throw new Error(`outbox not drained after ${timeoutMs} ms`);
      this.notify();
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) {
      this.woken = false;
      return;
    }
    if (this.opts.sleep) {
      await this.opts.sleep(ms);
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake = null;
    this.woken = false;
  }

  private async loop(): Promise<void> {
    const limit = pLimit(this.opts.config.concurrency);
    while (this.running) {
      let due: OutboxEntry[];
      try {
        due = await this.opts.store.dueOutbox(this.now(), this.opts.config.concurrency * 4);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'outbox read failed; retrying');
        await this.sleep(1000);
        continue;
      }
      if (due.length > 0) {
        // one queue per endpoint, in order: an endpoint's limits are checked before each of its messages
        const groups = new Map<string, OutboxEntry[]>();
        for (const e of due) groups.set(e.endpoint_id, [...(groups.get(e.endpoint_id) ?? []), e]);
        let sent = 0;
        let wait = Infinity;
        await Promise.all(
          [...groups.values()].map((entries) =>
            limit(async () => {
              for (const e of entries) {
                const ep = this.byId.get(e.endpoint_id);
                const w = ep ? this.limits.waitMs(ep, this.now()) : 0;
                if (w > 0) {
                  wait = Math.min(wait, w);
                  return;
                }
                sent++;
                await this.deliver(e);
              }
            }),
          ),
        );
        if (sent === 0 && this.running) await this.sleep(Math.min(60_000, wait));
        continue;
      }
      let next: number | null = null;
      try {
        next = await this.opts.store.nextOutboxDue();
      } catch {
        next = null;
      }
      await this.sleep(next === null ? 60_000 : Math.max(0, Math.min(60_000, next - this.now())));
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const { config } = this.opts;
    const endpoint = this.byId.get(entry.endpoint_id);
    const event = await this.opts.store.event(entry.event_id).catch(() => null);
    const attempt = entry.attempts + 1;
    let result: AttemptResult;
    if (!endpoint || !event) {
      result = {
        ok: false,
        status: null,
        latencyMs: 0,
        retryAfterMs: null,
        permanent: true,
        error: !endpoint ? 'endpoint no longer configured' : 'event not found',
      };
    } else {
      killPoint('deliver');
      result = await sendOnce(endpoint, { alert: event, paper: event.paper, test: false, late: event.late }, { httpSecret: config.http_secret, timeoutMs: config.timeout_ms });
    }
    killPoint('delivered');
    this.attempts++;
    const now = this.now();
    const paused = endpoint ? this.limits.note(endpoint, result.status, result.retryAfterMs, result.rateLimit ?? null, now) : [];
    const dead = !result.ok && (result.permanent || attempt >= config.max_attempts);
    const state: OutboxEntry['state'] = result.ok ? 'delivered' : dead ? 'dead' : 'pending';
    const wait = result.retryAfterMs ?? backoffMs(attempt, config.base_delay_ms, config.max_delay_ms, this.opts.random ?? Math.random);
    const update = {
      state,
      attempts: attempt,
      next_attempt_at: state === 'pending' ? now + wait : entry.next_attempt_at,
      last_status: result.status,
      last_error: result.error,
      delivered_at: result.ok ? now : null,
    };
    const fields = { event: entry.event_id, endpoint: entry.endpoint, attempt, status: result.status, latencyMs: Math.round(result.latencyMs) };
    if (result.ok) this.log.info(fields, 'webhook delivered');
    else if (dead) this.log.error({ ...fields, error: result.error }, 'webhook dead-lettered');
    else this.log.warn({ ...fields, error: result.error, retryInMs: wait }, 'webhook failed; will retry');
    try {
      await this.opts.store.recordAttempt(entry, update, {
        event_id: entry.event_id,
        endpoint_id: entry.endpoint_id,
        url: entry.endpoint,
        attempt,
        status: result.status,
        latency_ms: result.latencyMs,
        success: result.ok,
        error: result.error,
        at: now,
      });
    } catch (err) {
      // the entry stays pending and is sent again: at least once
      this.log.error({ ...fields, err: (err as Error).message }, 'could not record a webhook attempt');
    }
    // the entry now waits for its retry: a crash here must not lose or re-number the attempt just recorded
    if (state === 'pending') killPoint('retry-wait');
    for (const p of paused) {
      // the endpoint's queued messages move behind its announced wait (durable: a restart honours it too)
      await this.opts.store.deferEndpoint(p.endpoint.id, p.until).catch((err) => this.log.warn({ err: (err as Error).message }, 'could not defer an endpoint'));
    }
    this.opts.onAttempt?.(entry, result);
  }
}
