/**
 * Each alert rule defined once — when it fires, with which severity, in which direction — as functions of
 * plain numbers. The Pipeline calls them per hour (replay and live, engine/pipeline/alerts.ts), the sweep's
 * columnar evaluator calls them over cached feature columns (engine/sweep/rules.ts); evaluate.test.ts proves
 * on the real data that both give the same alerts. A new state or a change of rule is made here only.
 *
 * Severities are indices into SEVERITIES; NO_ALERT means the rule did not fire.
 */
import { SPOT_REGIMES, SPOT_REGIME_DIRECTION } from '../detectors/multi-timeframe-regime.ts';
import type { SideBias } from '../detectors/liquidation-cascade.ts';

export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL';
export const SEVERITIES: readonly AlertSeverity[] = ['INFO', 'WARNING', 'CRITICAL'];
export const NO_ALERT = -1;
export const INFO = 0;
export const WARNING = 1;
export const CRITICAL = 2;

/** +1 the alert is about an up-move, −1 a down-move, null: no direction */
export type Direction = 1 | -1 | null;

/** NaN and 0 have no sign: no direction */
export function signOf(x: number): 1 | -1 | 0 {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

export function toDirection(d: number): Direction {
  return d > 0 ? 1 : d < 0 ? -1 : null;
}

// LIQUIDATION_CASCADE ————————————————————————————————————————————————————————————————————————————

/** a detected cascade of at least the minimum severity; severity 5 is CRITICAL */
export function cascadeAlert(detected: boolean, severity: number, minSeverity: number): number {
  return detected && severity >= minSeverity ? (severity >= 5 ? CRITICAL : WARNING) : NO_ALERT;
}

/** longs liquidated means the price fell through their stops: −1; shorts liquidated: +1 */
export function cascadeDirection(bias: SideBias | null): 1 | -1 | 0 {
  return bias === 'LONG' ? -1 : bias === 'SHORT' ? 1 : 0;
}

// FUNDING_ANOMALY, FUNDING_REVERSAL ——————————————————————————————————————————————————————————————

export function fundingAnomalyAlert(z: number, absZ: number): number {
  return Math.abs(z) >= absZ ? WARNING : NO_ALERT;
}

/** the sign of z: crowded longs paying (+) or crowded shorts paying (−) */
export const fundingAnomalyDirection = signOf;

export function fundingReversalAlert(reversal: boolean): number {
  return reversal ? WARNING : NO_ALERT;
}

/** the sign of the new 8 h rate after the flip */
export const fundingReversalDirection = signOf;

// VOLATILITY_REGIME_CHANGE ———————————————————————————————————————————————————————————————————————

/** volatility regimes as ranks: STABLE 0, HIGH_VOL 1, EXPLOSIVE 2, EXTREME 3; −1 none known yet */
export const VOL_EXPLOSIVE = 2;
export const VOL_EXTREME = 3;

/** an escalation (rank increase) that ends in EXPLOSIVE (WARNING) or EXTREME (CRITICAL); never the first regime seen */
export function volEscalationAlert(previousRank: number, rank: number): number {
  if (previousRank < 0 || rank < VOL_EXPLOSIVE || rank <= previousRank) return NO_ALERT;
  return rank === VOL_EXTREME ? CRITICAL : WARNING;
}

/** the sign of the 24 h return into the escalation */
export const volEscalationDirection = signOf;

// REGIME_CONFIRMED ———————————————————————————————————————————————————————————————————————————————

/** regime codes: 0 none, else SPOT_REGIMES index + 1 */
export const REGIME_CODE_COUNT = SPOT_REGIMES.length + 1;

/**
 * The primary regime is confirmed when its confidence reaches the minimum; an alert fires when it differs from
 * the last confirmed one (not the previous hour's, so a change that gains confidence an hour later still
 * confirms). Returns the new last-confirmed code; regimeConfirmedAlert says whether the change alerts.
 */
export function regimeConfirmation(lastConfirmed: number, primary: number, confidence: number, minConfidence: number): number {
  return primary !== 0 && confidence >= minConfidence ? primary : lastConfirmed;
}

export function regimeConfirmedAlert(lastConfirmed: number, confirmed: number): number {
  return lastConfirmed !== 0 && confirmed !== lastConfirmed ? INFO : NO_ALERT;
}

const REGIME_DIRECTION = Int8Array.from([0, ...SPOT_REGIMES.map((r) => SPOT_REGIME_DIRECTION[r])]);

export function regimeDirection(code: number): 1 | -1 | 0 {
  return REGIME_DIRECTION[code] as 1 | -1 | 0;
}

// CORRELATION_BREAK ——————————————————————————————————————————————————————————————————————————————

/** a pair the correlation detector marks broken (isCorrelationBreak: the level test, or the drop from normal) */
export function correlationBreakAlert(broken: boolean): number {
  return broken ? WARNING : NO_ALERT;
}

/**
 * A pair alert is about the symbol the leader is expected to move: the one that does not lead, or the second
 * when neither leads (leader 1: a leads, −1: b leads, 0: none). Scoring uses the same symbol.
 */
export function laggingSide(leader: number): 'a' | 'b' {
  return leader === -1 ? 'a' : 'b';
}

/** the sign of the lagging symbol's 24 h return */
export const correlationBreakDirection = signOf;
