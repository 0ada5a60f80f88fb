// Live ↔ replay parity on two weeks of the bundled real history: the live loop fed through the fake exchange
// (REST and forceOrder websocket on 127.0.0.1, virtual clock) decides exactly what the replay decides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installNetGuard } from '../testing/net-guard.ts';
import { runParity } from './parity.ts';

let restoreNet: () => void;
beforeAll(() => {
  restoreNet = installNetGuard();
});
afterAll(() => restoreNet());

describe('parity', () => {
  it('two weeks of real data: 0 alert and 0 feature-row differences', async () => {
    const r = await runParity({ from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 2, 15) });
    expect(r.hours).toBe(336);
    expect(r.live.alerts).toBeGreaterThan(20);
    expect(r.live.liquidation_orders_streamed).toBeGreaterThan(1000);
    expect(r.live.feature_rows).toBe(r.replay.feature_rows);
    expect(r.live.feature_rows).toBeGreaterThan(900);
    expect(r.alert_differences).toEqual([]);
    expect(r.feature_differences).toEqual([]);
    expect(r.ok).toBe(true);
  });
});
