// loadReplayData failing for one symbol must never leave a query running under a closing store (#16.4: that
// crashed natively — SIGSEGV, abort, hang). Fifty rounds of every failing shape on the bundled real data.
import { describe, expect, it } from 'vitest';
import { openStore } from '../data/store.ts';
import { loadReplayData } from './replay-data.ts';
import { UserError } from '../errors.ts';

describe('loadReplayData errors', () => {
  it('a range with no data and an unknown symbol among good ones fail cleanly, 50 times in a row', async () => {
    const empty = { from: Date.UTC(2030, 0, 1), to: Date.UTC(2030, 1, 1) };
    for (let i = 0; i < 50; i++) {
      const store = await openStore();
      try {
        await expect(loadReplayData(store, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], empty)).rejects.toThrow(
          /^no candles for BTCUSDT in 2030-01-01 00:00 \.\. 2030-02-01 00:00 \(UTC\); it has data from 2018-01-01 00:00 to /,
        );
        const err = await loadReplayData(store, ['BTCUSDT', 'NOPEUSDT', 'ETHUSDT'], { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 3) }).catch((e) => e);
        expect(err).toBeInstanceOf(UserError);
        expect(err.message).toBe('unknown symbol NOPEUSDT: the dataset has no candles for it (known: BTCUSDT, ETHUSDT, SOLUSDT)');
      } finally {
        store.close();
      }
    }
    // more symbols than connections: the lanes' failures end cleanly, and the error is still the first failing symbol's
    for (let i = 0; i < 10; i++) {
      const store = await openStore();
      try {
        const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'NOPE1USDT', 'BTCUSDT', 'NOPE2USDT', 'ETHUSDT', 'NOPE3USDT'];
        const err = await loadReplayData(store, symbols, { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 3) }).catch((e) => e);
        expect(err).toBeInstanceOf(UserError);
        expect(err.message).toMatch(/^unknown symbol NOPE1USDT: /);
        const data = await loadReplayData(store, ['SOLUSDT', 'BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BTCUSDT'], { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) });
        expect(data.series.map((x) => [x.symbol, x.candles.ts.length])).toEqual([
          ['SOLUSDT', 24],
          ['BTCUSDT', 24],
          ['ETHUSDT', 24],
          ['SOLUSDT', 24],
          ['BTCUSDT', 24],
        ]);
      } finally {
        store.close();
      }
    }
    // and the store still works after all that
    const store = await openStore();
    try {
      const data = await loadReplayData(store, ['BTCUSDT'], { from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 2) });
      expect(data.series[0].candles.ts.length).toBe(24);
    } finally {
      store.close();
    }
  }, 300_000);
});
