// The default cascade detector on the bundled aggregated BTC liquidations: a flag that is rare, a severity scale
// whose top is reached but rarely, and the biggest liquidation days still flagged (scripts/calibrate-cascade.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../data/store.ts';
import { parseConfig } from '../pipeline/config.ts';
import { loadReplayData, type ReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';

let data: ReplayData;
beforeAll(async () => {
  const store = await openStore();
  data = await loadReplayData(store, ['BTCUSDT']);
  store.close();
});

function flags(over: Record<string, unknown>) {
  let covered = 0;
  let flagged = 0;
  let sev5 = 0;
  const days = new Set<string>();
  runReplay(data, parseConfig({ symbols: ['BTCUSDT'], ...over }), {
    onStep: (s) => {
      for (const f of s.features) {
        if (f.cascades.kind === null) continue;
        covered++;
        if (f.cascades.cascade_detected !== true) continue;
        flagged++;
        if (f.cascades.severity === 5) sev5++;
        days.add(new Date(s.ts).toISOString().slice(0, 10));
      }
    },
  });
  return { covered, flagged, sev5, days };
}

describe('cascade default on aggregated BTC liquidations', () => {
  it('flags at most 5 % of covered hours, severity 5 on at most 0.5 % (but some), and the biggest liquidation days', () => {
    const d = flags({});
    expect(d.covered).toBeGreaterThan(4000);
    expect(d.flagged / d.covered).toBeLessThanOrEqual(0.05);
    expect(d.sev5).toBeGreaterThan(0);
    expect(d.sev5 / d.covered).toBeLessThanOrEqual(0.005);
    for (const day of ['2026-01-31', '2026-02-05', '2026-02-06', '2026-04-17']) expect([day, d.days.has(day)]).toEqual([day, true]);
  });

  it("the original absolute thresholds (the seed preset) fire on nearly every covered hour of this data", () => {
    const d = flags({ cascade: { mode: 'absolute' } });
    expect(d.flagged / d.covered).toBeGreaterThan(0.8);
  });
});
