/** A small in-memory DashboardSource (synthetic, not market data) for server tests that need no backtest. */
import type { FeatureRow } from '../engine/pipeline/feature-row.ts';
import type { DashboardSource } from './source.ts';

const HOUR = 3_600_000;
export const FAKE_T0 = Date.parse('2026-03-01T00:00:00Z');

export function syntheticSource(status: Record<string, unknown> = { hours_fetched: 6 }): DashboardSource {
  const row = (ts: number, symbol: string): FeatureRow => ({ ts_ms: ts, symbol, close: 100, liq_status: 'no_data' });
  return {
    kind: 'live',
    id: 'live',
    symbols: ['BTCUSDT'],
    range: () => ({ first: FAKE_T0, last: FAKE_T0 + 5 * HOUR }),
    latestFeatures: async () => [row(FAKE_T0 + 5 * HOUR, 'BTCUSDT')],
    featureHistory: async (s, hours) => Array.from({ length: Math.min(hours, 6) }, (_, i) => row(FAKE_T0 + i * HOUR, s)),
    events: async () => [],
    scorecard: () => null,
    liquidationCoverage: async () => [],
    status: async () => status,
  };
}
