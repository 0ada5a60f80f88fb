/**
 * The two routes a dashboard polls hardest (and the load test measures) write their JSON directly instead of
 * through the zod serializer, which re-validates and copies every row on every request: at 500 req/s that
 * garbage shows up as GC pauses in the p99. Their zod response schemas stay declared (types, docs) and the API
 * tests parse these responses with them, so the shape is still held to the schema.
 *
 * JSON.stringify writes non-finite numbers as null, which is what the schemas allow.
 */
import type { FastifyReply } from 'fastify';
import type { Alert } from '../../engine/pipeline/alerts.ts';
import type { FeatureRow } from '../../engine/pipeline/feature-row.ts';

// a saved run hands out the same Alert objects on every request, so each is stringified once
const alertJson = new WeakMap<Alert, string>();

function alertText(a: Alert): string {
  let s = alertJson.get(a);
  if (s === undefined) {
    s = JSON.stringify({ id: a.id, ts: a.ts, symbol: a.symbol, event_type: a.event_type, severity: a.severity, title: a.title, description: a.description, source: a.source, direction: a.direction ?? null, data: a.data ?? {} });
    alertJson.set(a, s);
  }
  return s;
}

const head = (ref: { kind: string; id: string }, at: number | null) => `{"source":${JSON.stringify(ref)},"at":${at === null ? 'null' : JSON.stringify(at)}`;

export function sendEvents(reply: FastifyReply, ref: { kind: string; id: string }, at: number | null, events: readonly Alert[]): FastifyReply {
  const body = `${head(ref, at)},"count":${events.length},"events":[${events.map(alertText).join(',')}]}`;
  return reply.type('application/json; charset=utf-8').send(body);
}

export function sendFeatures(reply: FastifyReply, ref: { kind: string; id: string }, at: number | null, symbols: readonly string[], rows: readonly FeatureRow[]): FastifyReply {
  const body = `${head(ref, at)},"symbols":${JSON.stringify(symbols)},"rows":[${rows.map((r) => JSON.stringify(r)).join(',')}]}`;
  return reply.type('application/json; charset=utf-8').send(body);
}
