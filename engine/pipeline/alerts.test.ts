import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { correlationOutputOf, type PairCorrelation } from '../detectors/correlation.ts';
import { AlertRules, CandidateBuffer, alertId, buildAlert } from './alerts.ts';
import { volEscalationAlert, NO_ALERT, WARNING, CRITICAL } from './rule-definitions.ts';
import { parseConfig } from './config.ts';
import type { FeaturePackage } from './feature-package.ts';

const T0 = Date.UTC(2024, 0, 1);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

function pkg(over: { cascades?: object; funding?: object; volatility?: object; regimes?: object } = {}): FeaturePackage {
  const tf = { bar_ts: T0, status: 'ok', price_z: 0, volume_z: 0, heat: 0.25, heat_source: 'market', regime: null };
  return {
    ts: T0,
    symbol: 'BTCUSDT',
    close: 100,
    cascades: { cascade_detected: false, severity: 1, zones: [], ...over.cascades },
    funding: { z: 0, reversal: false, ...over.funding },
    volatility: { regime: null, ...over.volatility },
    regimes: { '1h': tf, '4h': tf, '1d': tf, '1w': tf, primary: null, confidence: 0, ...over.regimes },
    correlations: { ts: T0, pairs: [] },
  } as unknown as FeaturePackage;
}

function fire(rules: AlertRules, p: FeaturePackage) {
  const buf = new CandidateBuffer();
  rules.evaluateSymbol(0, p, buf);
  const out = Array.from({ length: buf.length }, (_, i) => ({ ...buf.get(i) }));
  return out;
}

const rules = () => new AlertRules(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], parseConfig({}).rules);

describe('alert ids', () => {
  it('are deterministic sha1 prefixes of type, symbol and ts', () => {
    const id = alertId('LIQUIDATION_CASCADE', 'BTCUSDT', T0);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    // the one-shot crypto.hash gives the ids a Hash object gave (saved runs keep their ids)
    expect(id).toBe(createHash('sha1').update(`LIQUIDATION_CASCADE|BTCUSDT|${T0}`).digest('hex').slice(0, 16));
    expect(alertId('LIQUIDATION_CASCADE', 'BTCUSDT', T0)).toBe(id);
    expect(alertId('LIQUIDATION_CASCADE', 'ETHUSDT', T0)).not.toBe(id);
    expect(alertId('FUNDING_ANOMALY', 'BTCUSDT', T0)).not.toBe(id);
    expect(alertId('LIQUIDATION_CASCADE', 'BTCUSDT', T0 + 1)).not.toBe(id);
  });
});

describe('AlertRules', () => {
  it('cascade severity ≥ 3 of a detected cascade; 5 is critical', () => {
    const r = rules();
    expect(fire(r, pkg({ cascades: { cascade_detected: true, severity: 2 } }))).toHaveLength(0);
    expect(fire(r, pkg({ cascades: { cascade_detected: false, severity: 3 } }))).toHaveLength(0);
    expect(fire(r, pkg({ cascades: { cascade_detected: true, severity: 3 } }))[0]).toMatchObject({ event_type: 'LIQUIDATION_CASCADE', severity: 'WARNING' });
    expect(fire(r, pkg({ cascades: { cascade_detected: true, severity: 5 } }))[0].severity).toBe('CRITICAL');
  });

  it('funding |z| ≥ 2 is an anomaly (z 1.67 is not), reversal fires on its own', () => {
    const r = rules();
    expect(fire(r, pkg({ funding: { z: 1.67 } }))).toHaveLength(0);
    expect(fire(r, pkg({ funding: { z: -2 } })).map((c) => c.event_type)).toEqual(['FUNDING_ANOMALY']);
    expect(fire(r, pkg({ funding: { z: 0.5, reversal: true } })).map((c) => c.event_type)).toEqual(['FUNDING_REVERSAL']);
  });

  it('volatility escalations into EXPLOSIVE (warning) or EXTREME (critical), never the first regime or a de-escalation', () => {
    // ranks: STABLE 0, HIGH_VOL 1, EXPLOSIVE 2, EXTREME 3; −1 none seen yet
    expect(volEscalationAlert(-1, 3)).toBe(NO_ALERT);
    expect(volEscalationAlert(3, 2)).toBe(NO_ALERT);
    expect(volEscalationAlert(1, 2)).toBe(WARNING);
    expect(volEscalationAlert(2, 3)).toBe(CRITICAL);
    const r = rules();
    const seq = ['STABLE', 'EXPLOSIVE', 'EXPLOSIVE', 'EXTREME', 'EXPLOSIVE', 'STABLE', 'EXTREME'].map((regime) =>
      fire(r, pkg({ volatility: { regime } })).map((c) => `${c.from}>${c.severity}`),
    );
    expect(seq).toEqual([[], ['STABLE>WARNING'], [], ['EXPLOSIVE>CRITICAL'], [], [], ['STABLE>CRITICAL']]);
    // a null regime (gap) does not reset the last known one
    const r2 = rules();
    fire(r2, pkg({ volatility: { regime: 'EXPLOSIVE' } }));
    fire(r2, pkg({ volatility: { regime: null } }));
    expect(fire(r2, pkg({ volatility: { regime: 'EXPLOSIVE' } }))).toHaveLength(0);
  });

  it('confirms a regime change against the last confirmed primary at confidence ≥ 0.7', () => {
    const r = rules();
    const at = (primary: string, confidence: number) => fire(r, pkg({ regimes: { primary, confidence } })).map((c) => `${c.from}`);
    expect(at('SPOT_CHOP', 0.75)).toEqual([]);
    expect(at('SPOT_IGNITION', 0.5)).toEqual([]);
    expect(at('SPOT_IGNITION', 0.75)).toEqual(['SPOT_CHOP']);
    expect(at('SPOT_IGNITION', 1)).toEqual([]);
    expect(at('SPOT_CHOP', 0.5)).toEqual([]);
    expect(at('SPOT_COOLING', 0.75)).toEqual(['SPOT_IGNITION']);
  });

  it('correlation breaks are pair alerts', () => {
    const p = { a: 'BTCUSDT', b: 'ETHUSDT', broken: true, corr: 0.1, normal: 0.7, delta: -0.6, leader: 'BTCUSDT', lag_hours: 2 } as PairCorrelation;
    const q = { ...p, a: 'BTCUSDT', b: 'SOLUSDT', broken: false };
    const buf = new CandidateBuffer();
    rules().evaluateCorrelations(correlationOutputOf(T0, SYMBOLS, [p, q]), Float64Array.of(0.01, -0.03, 0.02), buf);
    expect(buf.length).toBe(1);
    const alert = buildAlert(buf.get(0), T0);
    expect(alert).toMatchObject({ symbol: 'BTCUSDT/ETHUSDT', event_type: 'CORRELATION_BREAK', source: 'correlation', severity: 'WARNING' });
    expect(alert.description).toBe('rolling correlation 0.10 vs normal 0.70 (Δ -0.60); BTCUSDT leads by 2 h');
  });
});

describe('buildAlert', () => {
  it('writes the numbers into the description and data', () => {
    const buf = new CandidateBuffer();
    const p = pkg({
      cascades: {
        cascade_detected: true,
        severity: 2,
        total_usd: 2_400_000,
        velocity_usd_h: 100_000,
        velocity_z: null,
        side_bias: 'LONG',
        long_share: 0.7,
        kind: 'aggregated',
        mode: 'absolute',
        zones: [{ price: 42000, low: 41900, high: 42100, usd: 1, share: 1 }],
      },
    });
    buf.add('LIQUIDATION_CASCADE', 'BTCUSDT', 0, WARNING, -1, p, null, null);
    const a = buildAlert(buf.get(0), T0);
    expect(a.id).toBe(alertId('LIQUIDATION_CASCADE', 'BTCUSDT', T0));
    expect(a.source).toBe('cascade');
    expect(a.title).toBe('BTCUSDT liquidation cascade, severity 2');
    expect(a.description).toContain('2,400,000 USD liquidated');
    expect(a.description).toContain('100,000 USD/h');
    expect(a.description).toContain('side bias LONG');
    expect(a.description).toContain('42000.00');
    expect(a.data).toMatchObject({ total_usd: 2_400_000, velocity_usd_h: 100_000, kind: 'aggregated' });
  });
});

describe('alert directions (rule-definitions.ts), by hand', () => {
  const dirOf = (over: Parameters<typeof pkg>[0]) => fire(rules(), pkg(over)).map((c) => [c.event_type, c.direction]);

  it('a cascade points against the side liquidated: LONG bias −1, SHORT +1, BALANCED none', () => {
    const c = { cascade_detected: true, severity: 4 };
    expect(dirOf({ cascades: { ...c, side_bias: 'LONG' } })).toEqual([['LIQUIDATION_CASCADE', -1]]);
    expect(dirOf({ cascades: { ...c, side_bias: 'SHORT' } })).toEqual([['LIQUIDATION_CASCADE', 1]]);
    expect(dirOf({ cascades: { ...c, side_bias: 'BALANCED' } })).toEqual([['LIQUIDATION_CASCADE', 0]]);
  });

  it('a funding anomaly takes the sign of z; a reversal the sign of the new rate', () => {
    expect(dirOf({ funding: { z: -2.5 } })).toEqual([['FUNDING_ANOMALY', -1]]);
    expect(dirOf({ funding: { z: 3.1 } })).toEqual([['FUNDING_ANOMALY', 1]]);
    expect(dirOf({ funding: { z: 0.1, reversal: true, rate_8h: -0.0002 } })).toEqual([['FUNDING_REVERSAL', -1]]);
  });

  it('a volatility escalation takes the sign of its 24 h return (none when unknown)', () => {
    const r = rules();
    fire(r, pkg({ volatility: { regime: 'STABLE' } }));
    expect(fire(r, pkg({ volatility: { regime: 'EXPLOSIVE', return_24h: -0.08 } })).map((c) => c.direction)).toEqual([-1]);
    fire(r, pkg({ volatility: { regime: 'STABLE' } }));
    expect(fire(r, pkg({ volatility: { regime: 'EXTREME', return_24h: 0.05 } })).map((c) => c.direction)).toEqual([1]);
    fire(r, pkg({ volatility: { regime: 'STABLE' } }));
    expect(fire(r, pkg({ volatility: { regime: 'EXTREME', return_24h: null } })).map((c) => c.direction)).toEqual([0]);
  });

  it('a confirmed regime points the way its state does: capitulation −1, ignition +1, chop none', () => {
    const r = rules();
    const at = (primary: string) => fire(r, pkg({ regimes: { primary, confidence: 1 } })).map((c) => [c.from, c.direction]);
    expect(at('SPOT_NEUTRAL')).toEqual([]);
    expect(at('SPOT_CAPITULATION')).toEqual([['SPOT_NEUTRAL', -1]]);
    expect(at('SPOT_IGNITION')).toEqual([['SPOT_CAPITULATION', 1]]);
    expect(at('SPOT_COOLING')).toEqual([['SPOT_IGNITION', -1]]);
    expect(at('SPOT_WARMING')).toEqual([['SPOT_COOLING', 1]]);
    expect(at('SPOT_CHOP')).toEqual([['SPOT_WARMING', 0]]);
  });

  it("a correlation break takes the lagging symbol's 24 h return: the non-leader, or b when none leads", () => {
    const base = { broken: true, corr: 0.1, normal: 0.7, delta: -0.6, lag_hours: 2 };
    const pairs = [
      { ...base, a: 'BTCUSDT', b: 'ETHUSDT', leader: 'BTCUSDT' },
      { ...base, a: 'BTCUSDT', b: 'SOLUSDT', leader: 'SOLUSDT' },
      { ...base, a: 'ETHUSDT', b: 'SOLUSDT', leader: null },
    ] as PairCorrelation[];
    const buf = new CandidateBuffer();
    // BTC +1 %, ETH −3 %, SOL +2 %
    rules().evaluateCorrelations(correlationOutputOf(T0, SYMBOLS, pairs), Float64Array.of(0.01, -0.03, 0.02), buf);
    const alerts = Array.from({ length: buf.length }, (_, i) => buildAlert(buf.get(i), T0));
    expect(alerts.map((a) => [a.symbol, a.direction])).toEqual([
      ['BTCUSDT/ETHUSDT', -1],
      ['BTCUSDT/SOLUSDT', 1],
      ['ETHUSDT/SOLUSDT', 1],
    ]);
  });
});
