// Panel views: what a cascade panel says instead of a zero, coverage notes, the correlation row choice, and
// the time parameter parser.
import { describe, expect, it } from 'vitest';
import { parseTime } from './params.ts';
import { cascadeMessage, cascadeView, cleanRow, correlationView, coverageNote } from './views.ts';

const T = Date.parse('2026-03-10T05:00:00Z');
const cov = { symbol: 'BTCUSDT', kinds: ['aggregated'], first: Date.parse('2025-11-23T05:00:00Z'), last: Date.parse('2026-05-16T18:00:00Z'), hours_with_data: 4190 };

describe('cascade panel text', () => {
  it('states the coverage and kind, or that there is none', () => {
    expect(coverageNote('BTCUSDT', cov, 'backtest')).toBe('aggregated liquidation data for BTCUSDT: 2025-11-23 05:00 → 2026-05-16 18:00 UTC (4,190 h)');
    expect(coverageNote('ETHUSDT', undefined, 'backtest')).toBe('no liquidation data for ETHUSDT in this run: cascades cannot be detected');
    expect(coverageNote('ETHUSDT', { ...cov, symbol: 'ETHUSDT', kinds: [], first: null, last: null, hours_with_data: 0 }, 'live')).toMatch(/in this live source/);
  });

  it('says why there is no number at this hour', () => {
    const row = (liq_status: string | null, ts = T) => ({ ts_ms: ts, symbol: 'BTCUSDT', liq_status, liq_kind: 'aggregated' });
    expect(cascadeMessage('BTCUSDT', row('ok'), cov)).toBeNull();
    expect(cascadeMessage('ETHUSDT', row('no_data'), undefined)).toBe('no liquidation data for ETHUSDT at this hour');
    expect(cascadeMessage('BTCUSDT', row('no_data', Date.parse('2024-01-01')), cov)).toBe('no liquidation data for BTCUSDT at this hour (coverage is 2025-11-23 05:00 → 2026-05-16 18:00 UTC)');
    expect(cascadeMessage('BTCUSDT', row('warming_up'), cov)).toMatch(/still filling \(aggregated data\)/);
    expect(cascadeMessage('BTCUSDT', row('gap_in_window'), cov)).toMatch(/missing hour/);
    expect(cascadeMessage('BTCUSDT', row('flat_window'), cov)).toMatch(/constant over the baseline/);
    expect(cascadeMessage('BTCUSDT', undefined, cov)).toBe('no feature row for BTCUSDT at this hour');
  });

  it('a covered hour shows its numbers and the support zone distance', () => {
    const v = cascadeView('BTCUSDT', { ts_ms: T, close: 100, liq_status: 'ok', liq_kind: 'aggregated', liq_total_usd: 5e6, liq_zone_price: 95, liq_zone_share: 0.4, cascade_severity: 4, cascade_detected: true }, [], cov, 'backtest');
    expect(v.total_usd).toBe(5e6);
    expect(v.message).toBeNull();
    expect(v.zone).toEqual({ price: 95, share: 0.4, distance_pct: -5 });
    expect(v.severity).toBe(4);
  });
});

describe('rows', () => {
  it('cleanRow turns non-finite numbers into null', () => {
    expect(cleanRow({ a: NaN, b: Infinity, c: 1, d: 'x', e: null })).toEqual({ a: null, b: null, c: 1, d: 'x', e: null });
  });

  it('correlation reads the newest row at the cursor', () => {
    const older = { ts_ms: T - 3_600_000, symbol: 'ETHUSDT', corr_btcusdt_ethusdt: 0.1 };
    const newer = { ts_ms: T, symbol: 'BTCUSDT', corr_btcusdt_ethusdt: 0.9, corr_normal_btcusdt_ethusdt: 0.5, corr_break_btcusdt_ethusdt: false };
    const v = correlationView(['BTCUSDT', 'ETHUSDT'], [older, newer], new Map());
    expect(v.ts).toBe(T);
    expect(v.pairs).toEqual([{ key: 'btcusdt_ethusdt', a: 'BTCUSDT', b: 'ETHUSDT', corr: 0.9, normal: 0.5, delta: expect.closeTo(0.4, 12), broken: false, leader: null }]);
  });

  it('lists only the pairs the run followed (correlation.pairs "anchors" has no columns for the others)', () => {
    // synthetic row of an anchors run over three symbols: BTC against each other symbol, no ETH/SOL pair
    const row = { ts_ms: T, symbol: 'BTCUSDT', corr_btcusdt_ethusdt: 0.8, corr_normal_btcusdt_ethusdt: 0.7, corr_btcusdt_solusdt: 0.6, corr_normal_btcusdt_solusdt: 0.65 };
    const v = correlationView(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], [row], new Map([['BTCUSDT', [row]], ['ETHUSDT', [row]]]));
    expect(v.pairs.map((p) => p.key)).toEqual(['btcusdt_ethusdt', 'btcusdt_solusdt']);
    expect(v.history.map((h) => h.key)).toEqual(['btcusdt_ethusdt', 'btcusdt_solusdt']);
  });
});

describe('parseTime', () => {
  it('reads epoch ms and ISO dates (UTC unless a zone is given)', () => {
    expect(parseTime('1772323200000')).toBe(1772323200000);
    expect(parseTime('2026-03-01')).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(parseTime('2026-03-01T12:00')).toBe(Date.parse('2026-03-01T12:00:00Z'));
    expect(parseTime('2026-03-01 12:00:30')).toBe(Date.parse('2026-03-01T12:00:30Z'));
    expect(parseTime('2026-03-01T12:00Z')).toBe(Date.parse('2026-03-01T12:00:00Z'));
    expect(parseTime('2026-03-01T12:00+02:00')).toBe(Date.parse('2026-03-01T10:00:00Z'));
  });

  it('rejects anything else', () => {
    for (const s of ['', 'yesterday', '03/01/2026', '2026-13-45', '2026-03-01T25:00', '1e12', '99999999999999999999']) expect(parseTime(s), s).toBeNull();
  });
});
