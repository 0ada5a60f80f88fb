import type { ScoreOptions } from './options.ts';

/**
 * Inputs and output of alert scoring. Times follow engine/pipeline/input.ts: `ts` is an hour's OPEN time in
 * epoch ms, and "the close at ts" is the close of the candle opened at ts (known at ts + 1h).
 */

/** One symbol's hourly closes, ascending and hour-aligned. Missing hours are absent from `ts`: gaps, never filled. */
export interface PriceSeries {
  symbol: string;
  ts: Float64Array;
  close: Float64Array;
  /** optional intra-hour extremes; when given they widen excursions and the drawdown label beyond the closes */
  high?: Float64Array;
  low?: Float64Array;
}

export type Severity = 'INFO' | 'WARNING' | 'CRITICAL';

export interface ScorableAlert {
  id: string;
  /** the hour the alert was raised for (open time; its close is the entry price) */
  ts: number;
  symbol: string;
  event_type: string;
  severity: Severity;
  /** detector name */
  source: string;
  /** +1 expects the price to rise, -1 to fall; 0 or absent: no view, so no favourable/adverse side and no hit rate */
  direction?: 1 | -1 | 0;
}

export interface HorizonStats {
  horizon_hours: number;
  /** alerts whose forward window was complete */
  n: number;
  /** a missing hour inside (ts, ts + h] */
  excluded_gap: number;
  /** the window runs past the symbol's last hour, with no missing hour before that */
  excluded_end: number;
  /** forward log return close(ts) → close(ts + h) */
  mean: number | null;
  median: number | null;
  mean_abs: number | null;
  /** largest rise / fall (log, ≥ 0 / ≤ 0) seen in (ts, ts + h], 0 included as the entry itself */
  mean_max_up: number | null;
  mean_max_down: number | null;
  /** alerts with a direction among `n` */
  n_directional: number;
  /** mean of direction × return */
  mean_directional: number | null;
  /** share of directional alerts with direction × return > 0 */
  hit_rate: number | null;
  /** maximum favourable / adverse excursion for directional alerts, both as magnitudes ≥ 0 */
  mean_mfe: number | null;
  mean_mae: number | null;
}

export interface EventStats {
  /** alerts whose precision window [ts, ts + lead] contains a large-move hour */
  true_alerts: number;
  /** alerts whose window is fully labelled and contains none */
  false_alarms: number;
  /** alerts whose window has unlabelled hours and no large-move hour: neither true nor false */
  precision_unevaluable: number;
  precision: number | null;
  /** large-move episodes in this row's universe (the row's symbol, or every symbol) */
  episodes: number;
  /** episodes with an alert in [start - lead, start] */
  detected: number;
  recall: number | null;
  median_lead_hours: number | null;
  alerts_per_day: number | null;
  false_alarms_per_week: number | null;
  nab: number | null;
}

export type Better = 'higher' | 'lower';

export interface BaselineStat {
  actual: number | null;
  /** mean over the permutations where the metric was defined */
  mean: number | null;
  /** actual / mean, only when mean > 0 */
  lift: number | null;
  /** one-sided permutation p-value in the `better` direction */
  p_value: number | null;
  /**
   * Directional metrics (hit rate, mean directional return) only: the other tail, p = (1 + #{perm ≤ actual}) /
   * (1 + N) — small when the alerts are reliably WRONG about the direction (the move reverses) — and the
   * two-sided p = min(1, 2 · min(p_value, p_lower)).
   */
  p_lower?: number | null;
  p_two_sided?: number | null;
  better: Better;
  n_perm: number;
}

export interface BreakdownRow {
  key: string;
  n_alerts: number;
  /** alerts on a symbol without prices, or at an hour without a candle: excluded from every statistic but the rates per day */
  unanchored: number;
  forward: HorizonStats[];
  events: EventStats;
  /** null when permutations = 0, the row has no anchored alert, or baseline_rows = 'overall' for a breakdown row */
  baseline: Record<string, BaselineStat> | null;
}

/** event_severity: event type and severity crossed, keyed `<EVENT_TYPE> <SEVERITY>` */
export type Dimension = 'source' | 'event_type' | 'severity' | 'event_severity' | 'symbol';

export interface EventCurve {
  key: string;
  n_alerts: number;
  /** mean cumulative log return at each offset of `Scorecard.event_study.offsets`; null where no alert contributes */
  mean: (number | null)[];
  /** alerts contributing at each offset */
  n: number[];
}

export interface SymbolSummary {
  symbol: string;
  first_ts: number;
  last_ts: number;
  hours: number;
  missing_hours: number;
  labelled_hours: number;
  large_move_hours: number;
  episodes: number;
}

export interface AlertOutcome {
  id: string;
  symbol: string;
  ts: number;
  anchored: boolean;
  /** forward log return per horizon (same order as options.horizons_hours); null when excluded */
  forward: (number | null)[];
  /** true / false alarm / null when unevaluable or unanchored */
  true_alert: boolean | null;
}

export interface Scorecard {
  options: ScoreOptions;
  data: { symbols: SymbolSummary[]; days: number };
  alerts: { total: number; unanchored: number };
  overall: BreakdownRow;
  breakdowns: Record<Dimension, BreakdownRow[]>;
  event_study: {
    offsets: number[];
    overall: EventCurve;
    source: EventCurve[];
    event_type: EventCurve[];
    severity: EventCurve[];
  };
  /** per-alert outcomes, only with options.include_alerts */
  alert_outcomes?: AlertOutcome[];
}
