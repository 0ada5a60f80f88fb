/**
 * Scorecards side by side: for the overall row and each event type, one line per configuration with the
 * large-move metrics and their random-baseline lift and p-values.
 */
import { renderTable } from '../cli/format.ts';
import { EVENT_TYPES } from '../pipeline/alerts.ts';
import type { BaselineStat, BreakdownRow, Scorecard } from '../score/types.ts';

export interface LabelledScorecard {
  label: string;
  card: Scorecard;
}

export interface ComparisonRow {
  group: string;
  label: string;
  alerts: number;
  precision: number | null;
  precision_lift: number | null;
  precision_p: number | null;
  recall: number | null;
  recall_p: number | null;
  median_lead_hours: number | null;
  nab: number | null;
  nab_lift: number | null;
  nab_p: number | null;
  false_alarms_per_week: number | null;
}

function rowOf(group: string, label: string, r: BreakdownRow | undefined): ComparisonRow {
  const b: Record<string, BaselineStat> = r?.baseline ?? {};
  const e = r?.events;
  return {
    group,
    label,
    alerts: r?.n_alerts ?? 0,
    precision: e?.precision ?? null,
    precision_lift: b.precision?.lift ?? null,
    precision_p: b.precision?.p_value ?? null,
    recall: e?.recall ?? null,
    recall_p: b.recall?.p_value ?? null,
    median_lead_hours: e?.median_lead_hours ?? null,
    nab: e?.nab ?? null,
    nab_lift: b.nab?.lift ?? null,
    nab_p: b.nab?.p_value ?? null,
    false_alarms_per_week: e?.false_alarms_per_week ?? null,
  };
}

/** overall first, then event types in the engine's order; a configuration without that type shows 0 alerts */
export function comparisonRows(cards: readonly LabelledScorecard[]): ComparisonRow[] {
  const types = EVENT_TYPES.filter((t) => cards.some((c) => c.card.breakdowns.event_type.some((r) => r.key === t)));
  const rows: ComparisonRow[] = cards.map((c) => rowOf('all', c.label, c.card.overall));
  for (const t of types) for (const c of cards) rows.push(rowOf(t, c.label, c.card.breakdowns.event_type.find((r) => r.key === t)));
  return rows;
}

const dash = '—';
/** toFixed without a negative zero: -0.04 at one digit is "0.0", not "-0.0" */
export const fixed = (x: number, d: number): string => {
  const s = x.toFixed(d);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
};
const pct = (x: number | null) => (x === null ? dash : fixed(x * 100, 1));
const num = (x: number | null, d = 1) => (x === null ? dash : fixed(x, d));
const pv = (x: number | null) => (x === null ? dash : x < 0.001 ? '<.001' : x.toFixed(3).replace(/^0/, ''));
const lift = (x: number | null) => (x === null ? dash : `${fixed(x, 2)}×`);

export function formatComparison(rows: readonly ComparisonRow[]): string {
  return renderTable(
    ['group', 'configuration', 'alerts', 'prec%', 'lift', 'p', 'recall%', 'p', 'lead h', 'NAB', 'lift', 'p', 'FA/wk'],
    rows.map((r) => [
      r.group,
      r.label,
      r.alerts,
      pct(r.precision),
      lift(r.precision_lift),
      pv(r.precision_p),
      pct(r.recall),
      pv(r.recall_p),
      num(r.median_lead_hours, 0),
      num(r.nab),
      lift(r.nab_lift),
      pv(r.nab_p),
      num(r.false_alarms_per_week, 2),
    ]),
  );
}
