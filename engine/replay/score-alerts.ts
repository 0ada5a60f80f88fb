/**
 * Bridges pipeline alerts to the scorer: a pair alert (correlation break) is scored on the pair's lagging
 * symbol — the one the leader is expected to move — or on its second symbol when no leader stands out.
 */
import type { Alert } from '../pipeline/alerts.ts';
import type { PriceSeries, ScorableAlert } from '../score/index.ts';
import type { ReplayData } from './replay-data.ts';

export function toScorable(alert: Pick<Alert, 'id' | 'ts' | 'symbol' | 'event_type' | 'severity' | 'source' | 'direction'> & { data: { leader?: unknown } }): ScorableAlert {
  return { id: alert.id, ts: alert.ts, symbol: scoringSymbol(alert.symbol, alert.data.leader), event_type: alert.event_type, severity: alert.severity, source: alert.source, direction: alert.direction ?? 0 };
}

/** the symbol an alert is scored on: its own, or for a pair `A/B` the one its leader is expected to move (B when none leads) */
function scoringSymbol(symbol: string, leader: unknown): string {
  if (!symbol.includes('/')) return symbol;
  const [a, b] = symbol.split('/');
  return leader === a ? b : leader === b ? a : b;
}

/**
 * Prices from `from` on, so the score covers exactly the reported period: no label or random-baseline hour
 * falls in the warm-up, where no alert could have fired. (The first day's labels are therefore unknown.)
 */
export function pricesOf(data: ReplayData, from: number): PriceSeries[] {
  return data.series.map((s) => {
    let i = 0;
    while (i < s.candles.ts.length && s.candles.ts[i] < from) i++;
    const start = i;
    return { symbol: s.symbol, ts: s.candles.ts.subarray(start), close: s.candles.close.subarray(start), high: s.candles.high.subarray(start), low: s.candles.low.subarray(start) };
  });
}
