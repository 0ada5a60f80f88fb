/**
 * `regime webhooks test`: one made-up alert of each event type (numbers are illustrative, not market data),
 * sent through the same formatting and sending code as live alerts, marked [TEST], to every endpoint its
 * source routes to. It bypasses the outbox: a test is interactive and reports each answer on the spot.
 */
import { alertId, EVENT_SOURCE, EVENT_TYPES, type Alert, type AlertValue, type EventType } from '../pipeline/alerts.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { endpointsFor, type Endpoint } from './endpoints.ts';
import { sendOnce, type AttemptResult } from './send.ts';

const SAMPLE: Record<EventType, { symbol: string; severity: Alert['severity']; title: string; description: string; data: Record<string, AlertValue> }> = {
  LIQUIDATION_CASCADE: {
    symbol: 'BTCUSDT',
    severity: 'CRITICAL',
    title: 'BTCUSDT liquidation cascade, severity 5',
    description: 'sample: 250,000,000 USD liquidated in the window (125,000,000 USD/h, z 4.20), side bias LONG [observed data, absolute mode]',
    data: { severity: 5, total_usd: 250_000_000, velocity_usd_h: 125_000_000, velocity_z: 4.2, side_bias: 'LONG', kind: 'observed', mode: 'absolute' },
  },
  FUNDING_ANOMALY: {
    symbol: 'ETHUSDT',
    severity: 'WARNING',
    title: 'ETHUSDT funding anomaly, z 2.80',
    description: 'sample: 8h funding 0.0500 % vs trailing mean 0.0100 % (z 2.80, percentile 99)',
    data: { z: 2.8, rate_8h: 0.0005, mean_8h: 0.0001, percentile: 0.99 },
  },
  FUNDING_REVERSAL: {
    symbol: 'SOLUSDT',
    severity: 'WARNING',
    title: 'SOLUSDT funding reversal',
    description: 'sample: funding flipped sign to -0.0200 % (8h) after an extreme settlement',
    data: { z: -1.5, rate_8h: -0.0002 },
  },
  VOLATILITY_REGIME_CHANGE: {
    symbol: 'BTCUSDT',
    severity: 'WARNING',
    title: 'BTCUSDT volatility HIGH_VOL → EXPLOSIVE',
    description: 'sample: 24h volatility 6.10 % is 2.40× its baseline 2.50 %; risk multiplier 0.5',
    data: { from: 'HIGH_VOL', to: 'EXPLOSIVE', ratio: 2.4, volatility_24h: 0.061, vol_baseline: 0.025, risk_multiplier: 0.5 },
  },
  REGIME_CONFIRMED: {
    symbol: 'ETHUSDT',
    severity: 'INFO',
    title: 'ETHUSDT regime SPOT_IGNITION confirmed',
    description: 'sample: primary regime SPOT_NEUTRAL → SPOT_IGNITION with confidence 0.75',
    data: { from: 'SPOT_NEUTRAL', to: 'SPOT_IGNITION', confidence: 0.75 },
  },
  CORRELATION_BREAK: {
    symbol: 'BTCUSDT/ETHUSDT',
    severity: 'WARNING',
    title: 'BTCUSDT/ETHUSDT correlation break',
    description: 'sample: rolling correlation 0.21 vs normal 0.84 (Δ -0.63); BTCUSDT leads by 2 h',
    data: { a: 'BTCUSDT', b: 'ETHUSDT', corr: 0.21, normal: 0.84, delta: -0.63, leader: 'BTCUSDT', lag_hours: 2 },
  },
};

export function sampleAlerts(now: number): Alert[] {
  const ts = Math.floor(now / HOUR_MS) * HOUR_MS - HOUR_MS;
  return EVENT_TYPES.map((t) => {
    const s = SAMPLE[t];
    // a fresh id per run: receivers that deduplicate on the idempotency key must not drop a second test
    const id = `test-${alertId(t, s.symbol, now)}`;
    return { id, ts, symbol: s.symbol, event_type: t, severity: s.severity, title: s.title, description: s.description, source: EVENT_SOURCE[t], direction: null, data: s.data };
  });
}

export interface TestSendResult {
  event_type: EventType;
  endpoint: string;
  kind: string;
  attempts: number;
  result: AttemptResult;
}

export interface TestSendOptions {
  httpSecret: string | null;
  timeoutMs: number;
  paper: boolean;
  /** attempts per message (429s and 5xx are retried after their Retry-After or 1 s, 2 s…) */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export async function sendTestMessages(endpoints: readonly Endpoint[], opts: TestSendOptions): Promise<TestSendResult[]> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const out: TestSendResult[] = [];
  for (const alert of sampleAlerts((opts.now ?? Date.now)())) {
    for (const ep of endpointsFor(endpoints, alert.source)) {
      let attempts = 0;
      let result: AttemptResult;
      for (;;) {
        attempts++;
        result = await sendOnce(ep, { alert, paper: opts.paper, test: true, late: false }, { httpSecret: opts.httpSecret, timeoutMs: opts.timeoutMs });
        if (result.ok || result.permanent || attempts >= (opts.maxAttempts ?? 3)) break;
        await sleep(Math.min(30_000, result.retryAfterMs ?? 1000 * 2 ** (attempts - 1)));
      }
      out.push({ event_type: alert.event_type, endpoint: ep.redacted, kind: ep.kind, attempts, result });
    }
  }
  return out;
}
