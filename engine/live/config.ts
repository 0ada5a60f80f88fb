/**
 * The live config file is a pipeline config (the same file a backtest reads) with two optional sections more:
 * `live` (this loop's timing and fault policy) and `webhooks` (engine/notify/endpoints.ts). Unknown keys and
 * bad values are errors that name the key.
 */
import fs from 'node:fs';
import * as z from 'zod';
import { jsonErrorWithoutExcerpt, UserError } from '../errors.ts';
import { parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { parseWebhookConfig, type WebhookConfig } from '../notify/endpoints.ts';
import { DEFAULT_WARMUP_HOURS } from '../pipeline/warmup.ts';

const nonNegInt = (def: number) =>
  z.number({ error: 'expected a non-negative integer' }).int({ error: 'expected a non-negative integer' }).nonnegative({ error: 'expected a non-negative integer' }).default(def);
const posInt = (def: number) =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' }).default(def);

export const LiveSettings = z
  .object({
    /** hours of stored history replayed before the first live hour (same default as backtests) */
    warmup_hours: nonNegInt(DEFAULT_WARMUP_HOURS),
    /** wait after an hour closes before fetching it: exchanges publish the closed bar a moment later */
    settle_ms: nonNegInt(1000),
    /** waits between the attempts of a failed request; then the hour is stepped with what is missing flagged */
    retry_delays_ms: z.array(z.number({ error: 'expected milliseconds' }).int().nonnegative(), { error: 'expected a list of milliseconds' }).default([1000, 2000, 4000]),
    /** a Retry-After longer than this is not waited for: the hour goes ahead flagged, the backfill catches up */
    max_retry_after_ms: posInt(60_000),
    /** websocket reconnect waits, the last one repeating */
    reconnect_delays_ms: z.array(z.number().int().nonnegative(), { error: 'expected a list of milliseconds' }).default([1000, 2000, 4000, 8000, 16_000, 30_000, 60_000]),
    /** an hour counts as covered by the liquidation stream if it was disconnected at most this long in it */
    liquidation_max_gap_s: nonNegInt(60),
    /** write fetched rows to the Parquet dataset every this many hours (1: every hour) */
    commit_every_hours: posInt(1),
    /** recompute the running scorecard every this many hours; 0 never */
    score_every_hours: nonNegInt(1),
    /** random-baseline permutations of the running scorecard */
    score_permutations: nonNegInt(200),
    /** tries per missed hour before the backfill gives it up (an exchange gap stays a gap) */
    backfill_attempts: posInt(24),
    /** alerts found late (after a backfill, or for hours missed while stopped) are delivered only if this fresh */
    late_alert_max_age_hours: nonNegInt(2),
  })
  .strict();
export type LiveSettings = z.output<typeof LiveSettings>;

export interface LiveConfig {
  pipeline: PipelineConfig;
  live: LiveSettings;
  webhooks: WebhookConfig;
}

function issues(section: string, error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const p = [section, ...i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))].join('').replace('.[', '[');
      return i.code === 'unrecognized_keys' ? i.keys.map((k) => `${p}.${k}: unknown key`).join('\n') : `${p}: ${i.message}`;
    })
    .join('\n');
}

export function parseLiveConfig(json: unknown, env: NodeJS.ProcessEnv = process.env, symbols?: string[]): LiveConfig {
  const obj = (json ?? {}) as Record<string, unknown>;
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new UserError('config must be a JSON object');
  const { live, webhooks, ...rest } = obj;
  const pipeline = parseConfig(symbols ? { ...rest, symbols } : rest);
  const l = LiveSettings.safeParse(live ?? {});
  if (!l.success) throw new UserError(issues('config.live', l.error));
  return { pipeline, live: l.data, webhooks: parseWebhookConfig(webhooks, env) };
}

export function loadLiveConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, symbols?: string[]): LiveConfig {
  if (!file) return parseLiveConfig({}, env, symbols);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`${file}: ${e.code ? `cannot read config (${e.code})` : `not valid JSON (${jsonErrorWithoutExcerpt(e.message)})`}`);
  }
  try {
    return parseLiveConfig(json, env, symbols);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${file}: ${err.message.split('\n').join(`\n${file}: `)}`);
    throw err;
  }
}
