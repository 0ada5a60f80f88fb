// The paper P&L computed by a baseline-pool worker beside a running scorecard, on SYNTHETIC walks: the same
// result as paperPnl on the calling thread (summary, curves, trades), the scorecard unchanged, and the calling
// thread computing it when the worker is gone.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNL_EQUITY_FILE, PNL_TRADES_FILE, writePnlFiles } from '../results/pnl-files.ts';
import { BaselinePool } from './baseline-pool.ts';
import { prepareMarket } from './market.ts';
import { paperPnl } from './pnl.ts';
import { Mulberry32 } from './prng.ts';
import { scoreOnMarket, scoreOnMarketWith } from './score.ts';
import { syntheticRandomWalk } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

const prices = ['AAA', 'BBB'].map((s, i) => syntheticRandomWalk(s, 3000, 0.01, 40 + i));
const random = new Mulberry32(9);
const alerts: ScorableAlert[] = Array.from({ length: 200 }, (_, i) => {
  const s = prices[i % 2];
  return { id: `a${i}`, ts: s.ts[(random.next() * s.ts.length) | 0], symbol: s.symbol, event_type: i % 3 ? 'UP' : 'DOWN', severity: 'INFO', source: 't', direction: i % 2 ? 1 : -1 };
});
const scoreOptions = { permutations: 300, seed: 4 };
const pnlOptions = { random_entries: 200, seed: 6, hold_hours: 12 };

describe('paper P&L on a pool worker', () => {
  it('gives the calling thread’s result while the scorecard runs', async () => {
    const pool = new BaselinePool(prices, scoreOptions, 1);
    try {
      await pool.ready();
      const market = prepareMarket(prices, scoreOptions);
      const [card, pnl] = await Promise.all([scoreOnMarketWith(market, alerts, pool.runner), pool.paperPnl(alerts, pnlOptions)]);
      expect(card).toEqual(scoreOnMarket(market, alerts));
      const local = paperPnl(prices, alerts, pnlOptions);
      expect(pnl.summary).toEqual(local.summary);
      expect(pnl.curves).toEqual(local.curves);
      expect(pnl.trades).toEqual(local.trades);
      expect(pnl.summary.rows[0].random?.permutations).toBe(200);
      expect(pool.pnlOnWorkers).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("writes the run's P&L files on the worker, the bytes this thread writes; says so when it could not", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pool-pnl-files-'));
    const pool = new BaselinePool(prices, scoreOptions, 1);
    try {
      const there = path.join(tmp, 'worker');
      fs.mkdirSync(there);
      const done = await pool.paperPnlWithFiles(alerts, pnlOptions, there);
      expect(done.filesWritten).toBe(true);
      // the curves and trades are in the files: only the summary crossed back
      expect(done.pnl).toBeNull();
      expect(done.summary).toEqual(paperPnl(prices, alerts, pnlOptions).summary);
      const here = path.join(tmp, 'here');
      fs.mkdirSync(here);
      writePnlFiles(here, paperPnl(prices, alerts, pnlOptions));
      for (const f of [PNL_EQUITY_FILE, PNL_TRADES_FILE]) expect(fs.readFileSync(path.join(there, f)).equals(fs.readFileSync(path.join(here, f))), f).toBe(true);
      // a folder that is a file: nothing written there, the P&L still returned, the caller writes the files later
      const blocked = path.join(tmp, 'not-a-folder');
      fs.writeFileSync(blocked, 'x');
      const failed = await pool.paperPnlWithFiles(alerts, pnlOptions, blocked);
      expect(failed.filesWritten).toBe(false);
      expect(failed.summary).toEqual(done.summary);
      expect(failed.pnl!.summary).toEqual(done.summary);
      expect(failed.pnl!.curves.length).toBeGreaterThan(0);
      expect(fs.readdirSync(tmp).sort()).toEqual(['here', 'not-a-folder', 'worker']);
    } finally {
      await pool.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('falls back to the calling thread when the worker is gone', async () => {
    const pool = new BaselinePool(prices, scoreOptions, 1);
    await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
    expect((await pool.paperPnl(alerts, pnlOptions)).summary).toEqual(paperPnl(prices, alerts, pnlOptions).summary);
    expect(pool.pnlOnWorkers).toBe(0);
    await pool.close();
  });
});
