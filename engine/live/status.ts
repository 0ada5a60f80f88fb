/**
 * What `regime live status` and the dashboard's status panel show, read from the live store alone — so it works
 * while `regime live` runs (the store lets go of its file between writes) and after it stopped.
 */
import type { Scorecard } from '../score/index.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import type { LiveStore } from './store.ts';
import { redactDeep } from '../notify/redact.ts';

export interface LiveStatus {
  store: string;
  meta: Record<string, unknown>;
  hours: { stepped: number; first: string | null; last: string | null; live: number; catchup: number; flagged: number; with_missing_candles: number };
  liquidation_hours: Record<string, { covered: number; no_data: number }>;
  events: { total: number; late: number; by_type: Record<string, number> };
  outbox: Record<'pending' | 'delivered' | 'dead', number>;
  dead_letters: { event_id: string; endpoint: string; attempts: number; last_status: number | null; last_error: string | null }[];
  recent_faults: { at: string; hour: string | null; kind: string; detail: string }[];
  fault_counts: Record<string, number>;
  scorecard_computed_at: string | null;
  scorecard: Scorecard | null;
}

const iso = (ms: number | null) => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

export async function liveStatus(store: LiveStore): Promise<LiveStatus> {
  const meta = await store.meta();
  const hours = await store.hours();
  const events = await store.events();
  const outbox = await store.outboxCounts();
  const entries = await store.outbox();
  const faults = await store.faults(1000);
  const card = await store.scorecard();
  const liq: Record<string, { covered: number; no_data: number }> = {};
  for (const h of hours) {
    for (const [s, k] of Object.entries(h.liq)) {
      liq[s] ??= { covered: 0, no_data: 0 };
      if (k === null) liq[s].no_data++;
      else liq[s].covered++;
    }
  }
  const byType: Record<string, number> = {};
  for (const e of events) byType[e.event_type] = (byType[e.event_type] ?? 0) + 1;
  const faultCounts: Record<string, number> = {};
  for (const f of faults) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
  const parsedMeta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) {
    try {
      parsedMeta[k] = JSON.parse(v);
    } catch {
      parsedMeta[k] = v;
    }
  }
  // rows written before a secret was known to the redactor are cleaned on the way out too
  return redactDeep({
    store: store.file,
    meta: parsedMeta,
    hours: {
      stepped: hours.length,
      first: iso(hours[0]?.ts ?? null),
      last: iso(hours.length ? hours[hours.length - 1].ts : null),
      live: hours.filter((h) => h.mode === 'live').length,
      catchup: hours.filter((h) => h.mode === 'catchup').length,
      flagged: hours.filter((h) => h.flags.some((f) => f !== 'catchup')).length,
      with_missing_candles: hours.filter((h) => h.missing.length > 0).length,
    },
    liquidation_hours: liq,
    events: { total: events.length, late: events.filter((e) => e.late).length, by_type: byType },
    outbox,
    dead_letters: entries
      .filter((e) => e.state === 'dead')
      .map((e) => ({ event_id: e.event_id, endpoint: e.endpoint, attempts: e.attempts, last_status: e.last_status, last_error: e.last_error })),
    recent_faults: faults.slice(0, 20).map((f) => ({ at: iso(f.at)!, hour: iso(f.hour), kind: f.kind, detail: f.detail })),
    fault_counts: faultCounts,
    scorecard_computed_at: iso(card?.computed_at ?? null),
    scorecard: (card?.scorecard as Scorecard | undefined) ?? null,
  });
}

/** the hour after the last stepped one, i.e. the hour the loop works on next */
export function nextHour(lastIso: string | null): number | null {
  return lastIso === null ? null : Date.parse(lastIso) + HOUR_MS;
}
