import crypto from 'node:crypto';
import * as z from 'zod';
import type { CorrelationOutput, PairCorrelation } from '../detectors/correlation.ts';
import { SPOT_REGIMES, type SpotRegime } from '../detectors/multi-timeframe-regime.ts';
import { VOL_REGIMES, type VolRegime } from '../detectors/volatility-regime.ts';
import { fraction, positiveInt, positiveNumber } from '../detectors/schema.ts';
import type { FeaturePackage } from './feature-package.ts';
import { thousands } from '../thousands.ts';
import {
  cascadeAlert,
  cascadeDirection,
  correlationBreakAlert,
  correlationBreakDirection,
  fundingAnomalyAlert,
  fundingAnomalyDirection,
  fundingReversalAlert,
  fundingReversalDirection,
  laggingSide,
  NO_ALERT,
  regimeConfirmation,
  regimeConfirmedAlert,
  regimeDirection,
  SEVERITIES,
  toDirection,
  volEscalationAlert,
  volEscalationDirection,
  type AlertSeverity,
  type Direction,
} from './rule-definitions.ts';

export { SEVERITIES, type AlertSeverity, type Direction };

export const EVENT_TYPES = [
  'LIQUIDATION_CASCADE',
  'FUNDING_ANOMALY',
  'FUNDING_REVERSAL',
  'VOLATILITY_REGIME_CHANGE',
  'REGIME_CONFIRMED',
  'CORRELATION_BREAK',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** webhook routing keys */
export type AlertSource = 'cascade' | 'funding' | 'volatility' | 'regime' | 'correlation';

export const EVENT_SOURCE: Readonly<Record<EventType, AlertSource>> = {
  LIQUIDATION_CASCADE: 'cascade',
  FUNDING_ANOMALY: 'funding',
  FUNDING_REVERSAL: 'funding',
  VOLATILITY_REGIME_CHANGE: 'volatility',
  REGIME_CONFIRMED: 'regime',
  CORRELATION_BREAK: 'correlation',
};

export const RulesConfig = z
  .object({
    /** LIQUIDATION_CASCADE when a detected cascade has at least this severity */
    cascade_min_severity: positiveInt(3, 5),
    /** FUNDING_ANOMALY when |funding z| ≥ this */
    funding_abs_z: positiveNumber(2),
    /** REGIME_CONFIRMED when the primary regime differs from the last confirmed one at this confidence */
    regime_min_confidence: fraction(0.7),
  })
  .strict();
export type RulesConfig = z.output<typeof RulesConfig>;

export type AlertValue = number | string | boolean | null;

export interface Alert {
  /** sha1(`${event_type}|${symbol}|${ts}`), first 16 hex digits: identical in replay and live */
  id: string;
  ts: number;
  /** a symbol, or `A/B` for a pair */
  symbol: string;
  event_type: EventType;
  severity: AlertSeverity;
  title: string;
  description: string;
  source: AlertSource;
  /** the sign of the market move the alert is about: +1 up, −1 down, null none (see rule-definitions.ts) */
  direction: Direction;
  data: Record<string, AlertValue>;
}

/**
 * A rule that fired, before the cooldown filter decides whether it becomes an Alert. Candidates are pooled
 * and only valid during the step that produced them; the alert data is read from them only on emission,
 * because most hits of a standing condition are suppressed.
 */
export interface AlertCandidate {
  event_type: EventType;
  /** a symbol, or `A/B` for a pair */
  symbol: string;
  /** small integer identifying (event type, symbol or pair) for the cooldown state, see cooldownKey */
  key: number;
  severity: AlertSeverity;
  /** what the symbol rules read; null for pair alerts */
  features: FeaturePackage | null;
  /** what the pair rule read */
  pair: PairCorrelation | null;
  /** the previous regime, for the two change rules */
  from: string | null;
  /** +1, −1 or 0 (none) */
  direction: number;
}

/** reusable list of candidates: no allocation per rule hit once the pool has grown */
export class CandidateBuffer {
  private readonly pool: AlertCandidate[] = [];
  length = 0;

  add(eventType: EventType, symbol: string, key: number, severity: number, direction: number, features: FeaturePackage | null, pair: PairCorrelation | null, from: string | null): void {
    let c = this.pool[this.length];
    if (c === undefined) {
      c = { event_type: eventType, symbol, key, severity: SEVERITIES[severity], features, pair, from, direction };
      this.pool.push(c);
    } else {
      c.event_type = eventType;
      c.symbol = symbol;
      c.key = key;
      c.severity = SEVERITIES[severity];
      c.direction = direction;
      c.features = features;
      c.pair = pair;
      c.from = from;
    }
    this.length++;
  }

  get(i: number): AlertCandidate {
    return this.pool[i];
  }

  clear(): void {
    for (let i = 0; i < this.length; i++) {
      this.pool[i].features = null;
      this.pool[i].pair = null;
    }
    this.length = 0;
  }
}

/** crypto.hash (Node ≥ 20.12) hashes in one call, half the CPU of a Hash object per id (a replay builds tens of thousands) */
const oneShot = (crypto as { hash?: (algorithm: string, data: string) => string }).hash;
const sha1Hex: (text: string) => string = oneShot ? (text) => oneShot('sha1', text) : (text) => crypto.createHash('sha1').update(text).digest('hex');

export function alertId(eventType: EventType, symbol: string, ts: number): string {
  return sha1Hex(`${eventType}|${symbol}|${ts}`).slice(0, 16);
}

const EVENT_INDEX = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<EventType, number>;

/** slot: symbol index, or symbol count + pair index for pair alerts */
export function cooldownKey(eventType: EventType, slot: number): number {
  return slot * EVENT_TYPES.length + EVENT_INDEX[eventType];
}

const VOL_RANK = Object.fromEntries(VOL_REGIMES.map((r, i) => [r, i])) as Record<VolRegime, number>;
const REGIME_CODE = Object.fromEntries(SPOT_REGIMES.map((r, i) => [r, i + 1])) as Record<SpotRegime, number>;

/**
 * Applies the rule definitions (rule-definitions.ts) to one hour's feature packages. Stateful because two rules
 * compare with the past: the volatility rule with the last known regime of the symbol, the regime rule with the
 * last confirmed primary regime.
 */
export class AlertRules {
  readonly cfg: RulesConfig;
  /** per symbol: last known volatility rank (−1 none), last confirmed regime code (0 none) */
  private readonly lastVolRank: Int8Array;
  private readonly lastConfirmed: Uint8Array;
  private readonly symbolCount: number;

  constructor(symbols: readonly string[], cfg: RulesConfig) {
    const symbolCount = symbols.length;
    this.cfg = cfg;
    this.symbolCount = symbolCount;
    this.lastVolRank = new Int8Array(symbolCount).fill(-1);
    this.lastConfirmed = new Uint8Array(symbolCount);
  }

  evaluateSymbol(symbolIndex: number, f: FeaturePackage, out: CandidateBuffer): void {
    const cfg = this.cfg;
    const c = f.cascades;
    if (c.cascade_detected !== null && c.severity !== null) {
      const sev = cascadeAlert(c.cascade_detected, c.severity, cfg.cascade_min_severity);
      if (sev !== NO_ALERT) out.add('LIQUIDATION_CASCADE', f.symbol, cooldownKey('LIQUIDATION_CASCADE', symbolIndex), sev, cascadeDirection(c.side_bias), f, null, null);
    }
    const fu = f.funding;
    if (fu.z !== null) {
      const sev = fundingAnomalyAlert(fu.z, cfg.funding_abs_z);
      if (sev !== NO_ALERT) out.add('FUNDING_ANOMALY', f.symbol, cooldownKey('FUNDING_ANOMALY', symbolIndex), sev, fundingAnomalyDirection(fu.z), f, null, null);
    }
    if (fu.reversal !== null) {
      const sev = fundingReversalAlert(fu.reversal);
      if (sev !== NO_ALERT) out.add('FUNDING_REVERSAL', f.symbol, cooldownKey('FUNDING_REVERSAL', symbolIndex), sev, fundingReversalDirection(fu.rate_8h ?? NaN), f, null, null);
    }
    const v = f.volatility;
    if (v.regime !== null) {
      const prev = this.lastVolRank[symbolIndex];
      const rank = VOL_RANK[v.regime];
      const sev = volEscalationAlert(prev, rank);
      if (sev !== NO_ALERT) {
        out.add('VOLATILITY_REGIME_CHANGE', f.symbol, cooldownKey('VOLATILITY_REGIME_CHANGE', symbolIndex), sev, volEscalationDirection(v.return_24h ?? NaN), f, null, VOL_REGIMES[prev]);
      }
      this.lastVolRank[symbolIndex] = rank;
    }
    const r = f.regimes;
    const last = this.lastConfirmed[symbolIndex];
    const confirmed = regimeConfirmation(last, r.primary === null ? 0 : REGIME_CODE[r.primary], r.confidence, cfg.regime_min_confidence);
    const sev = regimeConfirmedAlert(last, confirmed);
    if (sev !== NO_ALERT) out.add('REGIME_CONFIRMED', f.symbol, cooldownKey('REGIME_CONFIRMED', symbolIndex), sev, regimeDirection(confirmed), f, null, SPOT_REGIMES[last - 1]);
    this.lastConfirmed[symbolIndex] = confirmed;
  }

  /** return24h: each symbol's 24 h return this hour (NaN unknown), for the direction of pair alerts */
  evaluateCorrelations(c: CorrelationOutput, return24h: ArrayLike<number>, out: CandidateBuffer): void {
    // over the columns: only a pair that fires becomes an object
    const cols = c.columns;
    if (cols.brokenCount === 0) return;
    const broken = cols.broken;
    for (let j = 0; j < cols.size; j++) {
      const b = broken[j];
      if (b < 0) continue;
      const sev = correlationBreakAlert(b === 1);
      if (sev === NO_ALERT) continue;
      const lagging = laggingSide(cols.leader[j]) === 'a' ? cols.pa[j] : cols.pb[j];
      const direction = correlationBreakDirection(return24h[lagging]);
      out.add('CORRELATION_BREAK', cols.names[j].label, cooldownKey('CORRELATION_BREAK', this.symbolCount + j), sev, direction, null, cols.pair(j), null);
    }
  }
}

/** the numbers behind an alert, from what its rule read */
export function alertData(c: AlertCandidate): Record<string, AlertValue> {
  const f = c.features;
  const p = c.pair;
  switch (c.event_type) {
    case 'LIQUIDATION_CASCADE': {
      const l = f!.cascades;
      return {
        severity: l.severity,
        total_usd: l.total_usd,
        velocity_usd_h: l.velocity_usd_h,
        velocity_z: l.velocity_z,
        side_bias: l.side_bias,
        long_share: l.long_share,
        kind: l.kind,
        mode: l.mode,
        top_zone_price: l.zones.length > 0 ? l.zones[0].price : null,
      };
    }
    case 'FUNDING_ANOMALY': {
      const fu = f!.funding;
      return { z: fu.z, rate_8h: fu.rate_8h, mean_8h: fu.mean_8h, percentile: fu.percentile, settled_at: fu.settled_at };
    }
    case 'FUNDING_REVERSAL': {
      const fu = f!.funding;
      return { z: fu.z, rate_8h: fu.rate_8h, settled_at: fu.settled_at };
    }
    case 'VOLATILITY_REGIME_CHANGE': {
      const v = f!.volatility;
      return {
        from: c.from,
        to: v.regime,
        ratio: v.ratio,
        volatility_24h: v.volatility_24h,
        vol_baseline: v.vol_baseline,
        risk_multiplier: v.risk_multiplier,
      };
    }
    case 'REGIME_CONFIRMED': {
      const r = f!.regimes;
      return {
        from: c.from,
        to: r.primary,
        confidence: r.confidence,
        regime_1h: r['1h'].regime,
        regime_4h: r['4h'].regime,
        regime_1d: r['1d'].regime,
        regime_1w: r['1w'].regime,
      };
    }
    case 'CORRELATION_BREAK':
      return { a: p!.a, b: p!.b, corr: p!.corr, normal: p!.normal, delta: p!.delta, leader: p!.leader, lag_hours: p!.lag_hours };
  }
}

function fmt(x: AlertValue, digits = 2): string {
  return typeof x === 'number' ? x.toFixed(digits) : String(x);
}

/** 2400000 → "2,400,000 USD" (toLocaleString is slow enough to show up in replays) */
function usd(x: AlertValue): string {
  if (typeof x !== 'number') return 'n/a';
  return `${x < 0 ? '-' : ''}${thousands(Math.round(Math.abs(x)))} USD`;
}

export function buildAlert(c: AlertCandidate, ts: number): Alert {
  const d = alertData(c);
  let title: string;
  let description: string;
  switch (c.event_type) {
    case 'LIQUIDATION_CASCADE':
      title = `${c.symbol} liquidation cascade, severity ${d.severity}`;
      description =
        `${usd(d.total_usd)} liquidated in the window (${usd(d.velocity_usd_h)}/h` +
        (d.velocity_z === null ? '' : `, z ${fmt(d.velocity_z)}`) +
        `), side bias ${d.side_bias ?? 'n/a'}` +
        (d.top_zone_price === null ? '' : `, main liquidation zone near ${fmt(d.top_zone_price)}`) +
        ` [${d.kind} data, ${d.mode} mode]`;
      break;
    case 'FUNDING_ANOMALY':
      title = `${c.symbol} funding anomaly, z ${fmt(d.z)}`;
      description = `8h funding ${fmt(typeof d.rate_8h === 'number' ? d.rate_8h * 100 : null, 4)} % vs trailing mean ${fmt(typeof d.mean_8h === 'number' ? d.mean_8h * 100 : null, 4)} % (z ${fmt(d.z)}, percentile ${fmt(typeof d.percentile === 'number' ? d.percentile * 100 : null, 0)})`;
      break;
    case 'FUNDING_REVERSAL':
      title = `${c.symbol} funding reversal`;
      description = `funding flipped sign to ${fmt(typeof d.rate_8h === 'number' ? d.rate_8h * 100 : null, 4)} % (8h) after an extreme settlement`;
      break;
    case 'VOLATILITY_REGIME_CHANGE':
      title = `${c.symbol} volatility ${d.from} → ${d.to}`;
      description = `24h volatility ${fmt(typeof d.volatility_24h === 'number' ? d.volatility_24h * 100 : null)} % is ${fmt(d.ratio)}× its baseline ${fmt(typeof d.vol_baseline === 'number' ? d.vol_baseline * 100 : null)} %; risk multiplier ${fmt(d.risk_multiplier, 1)}`;
      break;
    case 'REGIME_CONFIRMED':
      title = `${c.symbol} regime ${d.to} confirmed`;
      description = `primary regime ${d.from} → ${d.to} with confidence ${fmt(d.confidence)} (1h ${d.regime_1h}, 4h ${d.regime_4h}, 1d ${d.regime_1d}, 1w ${d.regime_1w})`;
      break;
    case 'CORRELATION_BREAK':
      title = `${c.symbol} correlation break`;
      description =
        `rolling correlation ${fmt(d.corr)}` +
        (d.normal === null ? '' : ` vs normal ${fmt(d.normal)} (Δ ${fmt(d.delta)})`) +
        (d.leader === null ? '' : `; ${d.leader} leads by ${d.lag_hours} h`);
      break;
  }
  return {
    id: alertId(c.event_type, c.symbol, ts),
    ts,
    symbol: c.symbol,
    event_type: c.event_type,
    severity: c.severity,
    title,
    description,
    source: EVENT_SOURCE[c.event_type],
    direction: toDirection(c.direction),
    data: d,
  };
}
