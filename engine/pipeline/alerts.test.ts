import { describe, expect, it } from 'vitest';
import type { CorrelationOutput, PairCorrelation } from '../detectors/correlation.ts';
import { AlertRules, CandidateBuffer, alertId, buildAlert, isVolEscalation } from './alerts.ts';
import { parseConfig } from './config.ts';
import type { FeaturePackage } from './feature-package.ts';

const T0 = Date.UTC(2024, 0, 1);

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

const rules = () => new AlertRules(3, parseConfig({}).rules);

describe('alert ids', () => {
  it('are deterministic sha1 prefixes of type, symbol and ts', () => {
    const id = alertId('LIQUIDATION_CASCADE', 'BTCUSDT', T0);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
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
    expect(isVolEscalation(null, 'EXTREME')).toBe(false);
    expect(isVolEscalation('EXTREME', 'EXPLOSIVE')).toBe(false);
    expect(isVolEscalation('HIGH_VOL', 'EXPLOSIVE')).toBe(true);
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
    rules().evaluateCorrelations({ ts: T0, pairs: [p, q] } as CorrelationOutput, buf);
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
    buf.add('LIQUIDATION_CASCADE', 'BTCUSDT', 0, 'WARNING', p, null, null);
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
