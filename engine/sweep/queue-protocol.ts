/**
 * What the sweep coordinator and its queue workers agree on: the BullMQ queue, the Redis keys beside it, the
 * job's payload, and a number codec that keeps every double exactly (JSON alone turns -0 into 0 and NaN or
 * ±Infinity into null, and the results must be byte-identical to a local sweep's).
 */
import { createHash } from 'node:crypto';
import type { PeriodResults } from './jobs.ts';
import type { Params } from './expand.ts';

export const QUEUE_PREFIX = 'regime';
export const QUEUE_NAME = 'sweeps';
export const JOB_NAME = 'configurations';

/** results of finished configurations, config id → encoded PeriodResults, until the coordinator takes them */
export const resultsKey = (sweepId: string) => `${QUEUE_PREFIX}:sweep:${sweepId}:results`;
/** set when the coordinator has everything: late duplicate jobs of that sweep are then skipped */
export const doneKey = (sweepId: string) => `${QUEUE_PREFIX}:sweep:${sweepId}:done`;
/** workers that refused the sweep's jobs say why here, for the coordinator to show */
export const refusalsKey = (sweepId: string) => `${QUEUE_PREFIX}:sweep:${sweepId}:refusals`;
export const KEY_TTL_S = 7 * 24 * 3600;

export interface SweepJobData {
  sweepId: string;
  specHash: string;
  /** the spec's canonical form (encoded): a worker rebuilds the same spec from it and checks the hash */
  spec: string;
  datasetHash: string | null;
  codeVersion: string;
  /** git commit of the coordinator, for messages only: the check is on codeVersion */
  gitCommit: string | null;
  /** params encoded; the worker applies them to the spec's base as the local sweep does */
  configs: { id: string; params: string }[];
}

export interface SweepJobResult {
  worker: string;
  computed: number;
}

/** BullMQ job ids may not contain ':'; the same batch of configurations always gets the same id */
export function batchJobId(sweepId: string, configIds: readonly string[]): string {
  return `${sweepId}-${createHash('sha1').update(configIds.join(',')).digest('hex')}`;
}

const NUM = '$num';

export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { [NUM]: Object.is(v, -0) ? '-0' : String(v) };
    return v;
  });
}

export function decode<T>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === NUM) return Number((v as Record<string, string>)[NUM]);
    }
    return v;
  }) as T;
}

export const encodeResults = (r: PeriodResults): string => encode(r);
export const decodeResults = (s: string): PeriodResults => decode<PeriodResults>(s);
export const encodeParams = (p: Params): string => encode(p);
export const decodeParams = (s: string): Params => decode<Params>(s);
