/**
 * The proof of no lookahead, run on real data:
 *  1. truncation — replay the data cut at many random hours (seeded) and require every detector's output at the
 *     cut hour to equal, exactly, the full run's output for that hour. A detector that peeked at a later candle,
 *     settlement or liquidation would see different inputs in the two runs and disagree.
 *  2. warm-up — start a replay later than the data begins and count, per detector, the hours until its output
 *     equals the output of the replay that started at the beginning (and keeps equalling it).
 */
import { featureColumns, toFeatureRow, type FeatureRow } from '../pipeline/feature-row.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import type { StepResult } from '../pipeline/pipeline.ts';
import { sliceReplayDataFrom, truncateReplayData, type ReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';
import { Mulberry32 } from '../score/prng.ts';
import { isoHour } from '../time.ts';

export const DETECTOR_COLUMNS: Record<string, (column: string) => boolean> = {
  liquidation_cascade: (c) => c.startsWith('liq_') || c === 'cascade_detected' || c === 'cascade_severity',
  funding_anomaly: (c) => c.startsWith('funding_'),
  volatility_regime: (c) => c.startsWith('vol_') || c === 'volatility_24h' || c === 'return_1h',
  multi_timeframe_regime: (c) => /^(regime_|price_z_|volume_z_|heat_|primary_regime)/.test(c),
  correlation: (c) => c.startsWith('corr_'),
};

export interface LookaheadOptions {
  samples?: number;
  seed?: number;
  /** starts tried for the warm-up measurement */
  warmupStarts?: number;
  /** hours compared after each later start */
  warmupWindowHours?: number;
  onProgress?: (done: number, total: number) => void;
  /** how the data is cut at an hour; replaceable so a test can show that a leaky cut is caught */
  truncate?: (data: ReplayData, lastHourInclusive: number) => ReplayData;
}

export interface TruncationMismatch {
  hour: string;
  symbol: string;
  column: string;
  full: unknown;
  truncated: unknown;
}

export interface LookaheadReport {
  samples: number;
  seed: number;
  hours_checked: string[];
  values_compared: number;
  mismatches: TruncationMismatch[];
  alerts_compared: number;
  /** per detector: the largest number of hours any later start needed to agree with the full run (null: never agreed within the window) */
  warmup_hours: Record<string, number | null>;
  warmup_starts: string[];
  passed: boolean;
}

const iso = isoHour;

interface HourSnapshot {
  rows: FeatureRow[];
  alerts: string[];
}

function snapshot(step: StepResult): HourSnapshot {
  return { rows: step.features.map(toFeatureRow), alerts: step.alerts.map((a) => `${a.id}|${a.event_type}|${a.severity}|${a.description}`) };
}

function sameValue(a: unknown, b: unknown, tolerance: number): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return true;
    return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return false;
}

export function checkLookahead(data: ReplayData, config: PipelineConfig, opts: LookaheadOptions = {}): LookaheadReport {
  const samples = opts.samples ?? 50;
  const seed = opts.seed ?? 42;
  const prng = new Mulberry32(seed);
  const random = () => prng.next();
  const totalHours = (data.lastHour - data.firstHour) / HOUR_MS;
  // Cut hours anywhere past the first few days, so most detectors are already producing values.
  const minOffset = Math.min(24 * 14, Math.floor(totalHours / 2));
  const randomHour = () => data.firstHour + (minOffset + Math.floor(random() * (totalHours - minOffset))) * HOUR_MS;
  const randomCuts = Array.from({ length: Math.ceil(samples / 2) }, randomHour);
  const warmupStarts = opts.warmupStarts ?? 2;
  const windowHours = opts.warmupWindowHours ?? 24 * 120;
  const starts = Array.from({ length: warmupStarts }, () => data.firstHour + Math.floor(random() * Math.max(1, totalHours - windowHours)) * HOUR_MS);
  // Liquidation coverage is short: a start inside it is the only way to see the cascade detector warm up.
  const liqFirst = Math.min(...data.series.map((s) => (s.liquidations.ts.length > 0 ? s.liquidations.ts[0] : Infinity)));
  if (Number.isFinite(liqFirst) && liqFirst + (24 + windowHours) * HOUR_MS <= data.lastHour) starts.push(liqFirst + 24 * HOUR_MS);
  starts.sort((a, b) => a - b);
  // One full run records the random cut hours, every hour with an alert (half the cuts are drawn from those, so
  // the alert path is proven too) and the warm-up windows.
  const full = new Map<number, HourSnapshot>();
  const randomSet = new Set(randomCuts);
  const inWindow = (t: number) => starts.some((s) => t >= s && t < s + windowHours * HOUR_MS);
  const alertHours: number[] = [];
  runReplay(data, config, {
    onStep: (step) => {
      const hasAlert = step.alerts.length > 0 && step.ts >= data.firstHour + minOffset * HOUR_MS;
      if (hasAlert) alertHours.push(step.ts);
      if (hasAlert || randomSet.has(step.ts) || inWindow(step.ts)) full.set(step.ts, snapshot(step));
    },
  });
  const alertCuts = Array.from({ length: Math.min(alertHours.length, Math.floor(samples / 2)) }, () => alertHours[Math.floor(random() * alertHours.length)]);
  const cuts = [...new Set([...randomCuts, ...alertCuts])].sort((a, b) => a - b);
  const steps = cuts.length + starts.length + 1;
  let done = 0;
  opts.onProgress?.(++done, steps);

  const mismatches: TruncationMismatch[] = [];
  let compared = 0;
  let alertsCompared = 0;
  const columns = featureColumns(config.symbols, config.correlation).map((c) => c.name);
  for (const cut of cuts) {
    let atCut: HourSnapshot | null = null;
    runReplay((opts.truncate ?? truncateReplayData)(data, cut), config, {
      onStep: (step) => {
        if (step.ts === cut) atCut = snapshot(step);
      },
    });
    const expected = full.get(cut)!;
    const got = atCut as HourSnapshot | null;
    if (!got) {
      mismatches.push({ hour: iso(cut), symbol: '*', column: '(hour)', full: 'stepped', truncated: 'not stepped' });
      continue;
    }
    if (got.rows.length !== expected.rows.length) {
      mismatches.push({ hour: iso(cut), symbol: '*', column: '(symbols present)', full: expected.rows.length, truncated: got.rows.length });
    }
    for (const row of expected.rows) {
      const other = got.rows.find((r) => r.symbol === row.symbol);
      for (const col of columns) {
        compared++;
        const a = row[col] ?? null;
        const b = other?.[col] ?? null;
        if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) {
          mismatches.push({ hour: iso(cut), symbol: String(row.symbol), column: col, full: a, truncated: b });
        }
      }
    }
    alertsCompared += expected.alerts.length;
    if (expected.alerts.join('\n') !== got.alerts.join('\n')) {
      mismatches.push({ hour: iso(cut), symbol: '*', column: '(alerts)', full: expected.alerts, truncated: got.alerts });
    }
    opts.onProgress?.(++done, steps);
  }

  const warmup: Record<string, number | null> = Object.fromEntries(Object.keys(DETECTOR_COLUMNS).map((d) => [d, 0]));
  for (const start of starts) {
    const lastDiff: Record<string, number> = Object.fromEntries(Object.keys(DETECTOR_COLUMNS).map((d) => [d, -1]));
    const end = start + windowHours * HOUR_MS;
    runReplay(sliceReplayDataFrom(data, start), config, {
      until: end - HOUR_MS,
      onStep: (step) => {
        const ref = full.get(step.ts);
        if (!ref) return;
        const mine = snapshot(step).rows;
        const offset = (step.ts - start) / HOUR_MS;
        for (const row of ref.rows) {
          const other = mine.find((r) => r.symbol === row.symbol);
          for (const [det, owns] of Object.entries(DETECTOR_COLUMNS)) {
            if (lastDiff[det] === offset) continue;
            for (const col of columns) {
              // Running sums started at different hours may differ in the last bits; 1e-9 relative is "equal".
              if (owns(col) && !sameValue(row[col] ?? null, other?.[col] ?? null, 1e-9)) {
                lastDiff[det] = offset;
                break;
              }
            }
          }
        }
      },
    });
    for (const det of Object.keys(DETECTOR_COLUMNS)) {
      const needed = lastDiff[det] + 1;
      const prev = warmup[det];
      warmup[det] = needed >= windowHours ? null : prev === null ? null : Math.max(prev, needed);
    }
    opts.onProgress?.(++done, steps);
  }

  return {
    samples: cuts.length,
    seed,
    hours_checked: cuts.map(iso),
    values_compared: compared,
    mismatches: mismatches.slice(0, 100),
    alerts_compared: alertsCompared,
    warmup_hours: warmup,
    warmup_starts: starts.map(iso),
    passed: mismatches.length === 0,
  };
}
