import * as z from 'zod';
import { HOUR_MS } from './input.ts';
import { BOUNDS, bool, nonNegativeInt, positiveInt } from '../detectors/schema.ts';
import { buildAlert, type Alert, type CandidateBuffer, type EventType } from './alerts.ts';

function rule(transitionOnly: boolean, cooldownHours: number, maxPerDay: number) {
  return z
    .object({
      /** a condition that stays true hour after hour fires only in its first hour */
      transition_only: bool(transitionOnly),
      /** minimum hours between two emitted alerts of this type and symbol */
      cooldown_hours: nonNegativeInt(cooldownHours, BOUNDS.yearHours),
      /** emitted alerts of this type and symbol per UTC day (anything above 24 means no cap) */
      max_per_day: positiveInt(maxPerDay, 1_000),
    })
    .strict()
    .prefault({});
}

export const CooldownConfig = z
  .object({
    LIQUIDATION_CASCADE: rule(true, 4, 6),
    FUNDING_ANOMALY: rule(true, 8, 3),
    FUNDING_REVERSAL: rule(true, 8, 3),
    VOLATILITY_REGIME_CHANGE: rule(true, 6, 4),
    REGIME_CONFIRMED: rule(true, 4, 6),
    CORRELATION_BREAK: rule(true, 24, 2),
  })
  .strict();
export type CooldownConfig = z.output<typeof CooldownConfig>;

export const SUPPRESSION_REASONS = ['transition', 'cooldown', 'daily_cap'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];
export type SuppressionCounts = Record<SuppressionReason, Record<EventType, number>>;

function zeroCounts(): Record<EventType, number> {
  return {
    LIQUIDATION_CASCADE: 0,
    FUNDING_ANOMALY: 0,
    FUNDING_REVERSAL: 0,
    VOLATILITY_REGIME_CHANGE: 0,
    REGIME_CONFIRMED: 0,
    CORRELATION_BREAK: 0,
  };
}

export function emptySuppressionCounts(): SuppressionCounts {
  return { transition: zeroCounts(), cooldown: zeroCounts(), daily_cap: zeroCounts() };
}

/** shared, never mutated: the per-step counts of a step that suppressed nothing */
export const NO_SUPPRESSIONS: Readonly<SuppressionCounts> = deepFreeze(emptySuppressionCounts());

function deepFreeze(c: SuppressionCounts): SuppressionCounts {
  for (const r of SUPPRESSION_REASONS) Object.freeze(c[r]);
  return Object.freeze(c);
}

const DAY_MS = 24 * HOUR_MS;

export type CooldownRule = CooldownConfig[EventType];

/** the cooldown state of many (event type, symbol or pair) keys, one slot per key */
export interface CooldownSlots {
  lastTrueTs: Float64Array;
  lastEmitTs: Float64Array;
  day: Float64Array;
  dayCount: Int32Array;
}

export function cooldownSlots(n: number, from?: CooldownSlots): CooldownSlots {
  const f = (a: Float64Array | undefined): Float64Array => {
    const b = new Float64Array(n).fill(NaN);
    if (a !== undefined) b.set(a);
    return b;
  };
  const dayCount = new Int32Array(n);
  if (from !== undefined) dayCount.set(from.dayCount);
  return { lastTrueTs: f(from?.lastTrueTs), lastEmitTs: f(from?.lastEmitTs), day: f(from?.day), dayCount };
}

/**
 * The one definition of the cooldown/dedup policy, used per hour by CooldownFilter. The sweep evaluator's
 * applyCooldown (engine/sweep/evaluate.ts) repeats this arithmetic over a key's candidate list with the state in
 * locals, for speed: evaluate-reference.test.ts proves the two equal, so a change here fails there until both agree. Checks in order: transition (the condition was also true in the previous clock hour),
 * cooldown (too soon after the last emitted alert), daily cap (the UTC day's quota is used). A suppressed
 * candidate still counts as "true this hour", so a condition that was suppressed does not fire later merely
 * because it is still true. Returns null when the candidate is emitted (and records the emission).
 */
export function cooldownVerdict(st: CooldownSlots, k: number, ts: number, r: CooldownRule): SuppressionReason | null {
  const wasTrue = st.lastTrueTs[k] === ts - HOUR_MS;
  st.lastTrueTs[k] = ts;
  if (r.transition_only && wasTrue) return 'transition';
  if (ts - st.lastEmitTs[k] < r.cooldown_hours * HOUR_MS) return 'cooldown';
  const day = Math.floor(ts / DAY_MS);
  if (day !== st.day[k]) {
    st.day[k] = day;
    st.dayCount[k] = 0;
  }
  if (st.dayCount[k] >= r.max_per_day) return 'daily_cap';
  st.lastEmitTs[k] = ts;
  st.dayCount[k]++;
  return null;
}

/** Decides which rule candidates become alerts, per (event type, symbol): see cooldownVerdict. */
export class CooldownFilter {
  readonly cfg: CooldownConfig;
  // per cooldown key (AlertCandidate.key), grown on demand
  private slots = cooldownSlots(0);
  private readonly totals = emptySuppressionCounts();

  constructor(cfg: CooldownConfig) {
    this.cfg = cfg;
  }

  /** Appends the emitted alerts to `out`; returns this step's suppression counts. */
  apply(ts: number, candidates: CandidateBuffer, out: Alert[]): Readonly<SuppressionCounts> {
    let counts: SuppressionCounts | null = null;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates.get(i);
      if (c.key >= this.slots.lastTrueTs.length) this.slots = cooldownSlots(Math.max(c.key + 1, this.slots.lastTrueTs.length * 2, 64), this.slots);
      const reason = cooldownVerdict(this.slots, c.key, ts, this.cfg[c.event_type]);
      if (reason === null) {
        out.push(buildAlert(c, ts));
        continue;
      }
      counts ??= emptySuppressionCounts();
      counts[reason][c.event_type]++;
      this.totals[reason][c.event_type]++;
    }
    return counts ?? NO_SUPPRESSIONS;
  }

  /** all suppressions since construction */
  suppressedTotals(): Readonly<SuppressionCounts> {
    return this.totals;
  }
}
