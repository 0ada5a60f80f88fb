/**
 * What the API and dashboard read from. A saved backtest run and the live loop both implement it, so the same
 * server and the same page show either. Times are hour OPEN times in epoch ms (engine/pipeline/input.ts).
 *
 * `at` (optional everywhere) is the time-slider cursor: answer as if the current hour were `at` — nothing after
 * it may appear. Live sources ignore `at` later than their current hour.
 */
import type { Alert } from '../engine/pipeline/alerts.ts';
import type { FeatureRow } from '../engine/pipeline/feature-row.ts';
import type { Scorecard } from '../engine/score/index.ts';

export interface EventQuery {
  /** epoch ms, inclusive */
  since?: number;
  type?: string;
  severity?: string;
  symbol?: string;
  limit: number;
  at?: number;
}

export interface LiquidationCoverage {
  symbol: string;
  /** kinds present in the data: observed | aggregated | modelled */
  kinds: string[];
  first: number | null;
  last: number | null;
  hours_with_data: number;
}

export interface DashboardSource {
  readonly kind: 'live' | 'backtest';
  /** run id for a backtest, 'live' for the live loop */
  readonly id: string;
  readonly symbols: readonly string[];
  /** first and last hour the source can show (the time slider's range) */
  range(): { first: number; last: number } | null;
  /** the latest feature row per symbol at or before `at` (default: the current hour) */
  latestFeatures(at?: number): Promise<FeatureRow[]>;
  /** one symbol's feature rows in (end − hours, end], end = `at` or the current hour */
  featureHistory(symbol: string, hours: number, at?: number): Promise<FeatureRow[]>;
  /** newest first */
  events(q: EventQuery): Promise<Alert[]>;
  scorecard(): Scorecard | null;
  liquidationCoverage(): Promise<LiquidationCoverage[]>;
  /** live: hours fetched, last hour closed, faults; backtest: the run manifest */
  status(): Promise<Record<string, unknown>>;
  /** push notification of a new hour or event (live); backtests never call it */
  onUpdate?(listener: () => void): () => void;
}
