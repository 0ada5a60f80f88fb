// The live store writes an hour's events, their outbox rows, meta entries and missed pieces each in one statement
// (DuckDB's cost is per statement). What row-by-row writing did must still hold: an event or outbox key given twice
// is stored once (the first stands), a stored one is not stored again, and hundreds of rows go in one call.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Alert } from '../pipeline/alerts.ts';
import { LiveStore, type StoredAlert } from './store.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-store-batch-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 1);

function alert(n: number, title = `synthetic ${n}`): Alert {
  return {
    id: `a${String(n).padStart(15, '0')}`, ts: T0 + n * H, symbol: 'BTCUSDT', event_type: 'FUNDING_ANOMALY', severity: 'WARNING',
    title, description: 'synthetic', source: 'funding', direction: n % 2 === 0 ? 1 : null, data: { z: n },
  };
}
const target = (id: string) => ({ id, redacted: `http://127.0.0.1/${id}/***`, kind: 'http' });
const stored = (a: Alert, targets = [target('e1')]): StoredAlert => ({ alert: a, late: false, targets });

describe('live store batched writes', () => {
  it('stores each event and outbox key once, the first given standing; hundreds in one call', async () => {
    const store = await LiveStore.open(dir);
    try {
      const ids = await store.recordHour(
        { ts: T0, mode: 'live', missing: [], flags: [], liq: {}, features: [], alerts: [stored(alert(1)), stored(alert(1, 'second copy')), stored(alert(2), [target('e1'), target('e2'), target('e1')])] },
        true,
        T0 + H,
      );
      expect(ids).toEqual([alert(1).id, alert(2).id]);
      const events = await store.events();
      expect(events.map((e) => [e.id, e.title, e.direction, e.paper])).toEqual([
        [alert(2).id, 'synthetic 2', 1, true],
        [alert(1).id, 'synthetic 1', null, true],
      ]);
      expect((await store.outbox()).map((o) => `${o.event_id} ${o.endpoint_id} ${o.state} ${o.attempts} ${o.next_attempt_at}`)).toEqual([
        `${alert(1).id} e1 pending 0 ${T0 + H}`,
        `${alert(2).id} e1 pending 0 ${T0 + H}`,
        `${alert(2).id} e2 pending 0 ${T0 + H}`,
      ]);
      // already stored: nothing new, no outbox row added
      expect(await store.recordLateAlerts([stored(alert(2), [target('e3')])], true, T0 + 2 * H)).toEqual([]);
      const many = Array.from({ length: 400 }, (_, i) => stored(alert(10 + i), [target('e1'), target('e2')]));
      expect(await store.recordLateAlerts(many, true, T0 + 3 * H)).toHaveLength(400);
      expect(await store.outboxCounts()).toEqual({ pending: 803, delivered: 0, dead: 0 });
      expect((await store.events()).filter((e) => e.late)).toHaveLength(0);

      await store.setMeta({ a: '1', b: '2' });
      await store.setMeta({ b: '3', c: '4' });
      expect(await store.meta()).toEqual({ a: '1', b: '3', c: '4' });

      await store.addMissed([
        { ts: T0, symbol: 'BTCUSDT', what: 'candle', reason: 'first' },
        { ts: T0, symbol: 'BTCUSDT', what: 'candle', reason: 'again' },
        { ts: T0, symbol: 'BTCUSDT', what: 'funding', reason: 'server' },
      ]);
      await store.addMissed([{ ts: T0, symbol: 'BTCUSDT', what: 'candle', reason: 'later' }]);
      expect((await store.missed()).map((m) => `${m.what} ${m.reason}`)).toEqual(['candle first', 'funding server']);
    } finally {
      await store.close();
    }
  });
});
