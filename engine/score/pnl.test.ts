// Paper P&L on hand-computed SYNTHETIC prices: fees, overlap skips, gap and end exits, reversal mode, drawdown,
// Sharpe, profit factor, buy-and-hold, random entries.
import { describe, expect, it } from 'vitest';
import { paperPnl, type PnlRow } from './pnl.ts';
import { parsePnlOptions } from './pnl-options.ts';
import { syntheticRandomWalk, syntheticSeries, syntheticTs } from './synthetic.ts';
import type { ScorableAlert } from './types.ts';

const f = 0.001;
// hour:         0    1    2    3    4    5    6     7    8   9   10
const closes = [100, 110, 121, 110, 100, 105, null, 100, 90, 99, 99];
const prices = [syntheticSeries('SYN', closes)];

function alert(id: string, hour: number, direction: 1 | -1 | 0, symbol = 'SYN', event_type = 'X'): ScorableAlert {
  return { id, ts: syntheticTs(hour), symbol, event_type, severity: 'WARNING', source: 'test', direction };
}

const alerts = [
  alert('A', 0, 1), // long 0 → 2
  alert('B', 1, 1), // overlaps A: skipped
  alert('C', 2, -1), // short 2 → 4, entered at the close A exits at
  alert('D', 4, 1), // long 4 → would be 6, hour 6 missing: exits at 5 (gap)
  alert('E', 5, 1), // no close after 5 before the gap: not taken
  alert('F', 7, 0), // no direction
  alert('G', 9, -1), // short 9 → would be 11, past the end: exits at 10 (end)
  alert('H', 20, 1), // no price at that hour
  alert('I', 0, 1, 'NOPE'), // unknown symbol
];

// net multipliers, (1 − f)(1 + d(x − 1) − f·x)
const mA = (1 - f) * (1 + (1.21 - 1) - f * 1.21);
const xC = 100 / 121;
const mC = (1 - f) * (1 - (xC - 1) - f * xC);
const mD = (1 - f) * (1 + 0.05 - f * 1.05);
const mG = (1 - f) * (1 - 0 - f);

const base = { hold_hours: 2, fee_pct: 0.1, random_entries: 0 };

function row(rows: PnlRow[], key: string): PnlRow {
  return rows.find((r) => r.key === key)!;
}

describe('paper P&L, one symbol by hand', () => {
  const pnl = paperPnl(prices, alerts, base);
  const all = row(pnl.summary.rows, 'all');

  it('takes, skips and cuts trades as documented', () => {
    expect(pnl.trades.get('all')!.map((t) => [t.alert_id, t.direction, t.exit])).toEqual([
      ['A', 1, 'hold'],
      ['C', -1, 'hold'],
      ['D', 1, 'gap'],
      ['G', -1, 'end'],
    ]);
    expect(all.skipped).toEqual({ no_direction: 1, no_price: 2, overlap: 1, no_exit: 1 });
    expect(all.early_exits).toEqual({ gap: 1, end: 1 });
    expect(all.alerts).toBe(9);
    expect(all.symbols).toEqual(['SYN']);
  });

  it('charges the fee on both sides of every trade', () => {
    const r = pnl.trades.get('all')!.map((t) => t.return);
    expect(r[0]).toBeCloseTo(0.20758121, 10);
    expect(r[1]).toBeCloseTo(mC - 1, 10);
    expect(r[2]).toBeCloseTo(0.04790105, 10);
    expect(r[3]).toBeCloseTo(-0.001999, 10);
    expect(all.strategy.total_return).toBeCloseTo(mA * mC * mD * mG - 1, 5);
  });

  it('marks the equity every hour, re-entering at an exit close and carrying through the gap', () => {
    const eq = pnl.curves.find((c) => c.key === 'all')!;
    const expected = [
      1 - f,
      (1 - f) * 1.1,
      mA * (1 - f),
      mA * (1 - f) * (2 - 110 / 121),
      mA * mC * (1 - f),
      mA * mC * mD,
      mA * mC * mD, // hour 6 is missing
      mA * mC * mD,
      mA * mC * mD,
      mA * mC * mD * (1 - f),
      mA * mC * mD * mG,
    ];
    expect(eq.ts.length).toBe(11);
    Array.from(eq.equity).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    // the only fall from a peak is G's two fees: mG = (1 − f)²
    expect(all.strategy.max_drawdown).toBeCloseTo(0.001999, 8);
    expect(eq.drawdown[10]).toBeCloseTo(1 - mG, 12);
    expect(eq.drawdown[9]).toBeCloseTo(f, 12);
  });

  it('computes Sharpe from the hourly equity returns, annualised with √8760', () => {
    const eq = Array.from(pnl.curves[0].equity);
    const rets = eq.map((v, i) => v / (i ? eq[i - 1] : 1) - 1);
    const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
    const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
    expect(all.strategy.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(8760), 3);
    const final = mA * mC * mD * mG;
    expect(all.strategy.annualised_return).toBeCloseTo(final ** (8760 / 11) - 1, -2);
  });

  it('reports win rate, profit factor and exposure', () => {
    expect(all.strategy.trades).toBe(4);
    expect(all.strategy.win_rate).toBe(0.75);
    expect(all.strategy.profit_factor).toBeCloseTo((mA - 1 + mC - 1 + mD - 1) / 0.001999, 2);
    expect(all.strategy.gross_loss).toBeCloseTo(0.001999, 8);
    // held 2 + 2 + 1 + 1 of 10 hours with a close
    expect(all.strategy.exposure).toBe(0.6);
  });

  it('compares with buy-and-hold of the same symbol, fees on both sides, carried through the gap', () => {
    const bh = all.buy_and_hold;
    expect(bh.total_return).toBeCloseTo((1 - f) * 0.99 * (1 - f) - 1, 6);
    expect(bh.trades).toBe(1);
    expect(bh.exposure).toBe(1);
    expect(bh.max_drawdown).toBeCloseTo(1 - 90 / 121, 5);
    const curve = pnl.curves[0].buy_and_hold;
    expect(curve[6]).toBe(curve[5]);
    expect(curve[2]).toBeCloseTo((1 - f) * 1.21, 12);
  });

  it('trades against the alerts in reversal mode, per event type', () => {
    const rev = paperPnl(prices, alerts, { ...base, event_types: { X: { follow: 'reversal' } } });
    const r = row(rev.summary.rows, 'X');
    expect(r.follow).toBe('reversal');
    const t = rev.trades.get('X')!;
    expect(t.map((x) => x.direction)).toEqual([-1, 1, -1, 1]);
    expect(t[0].return).toBeCloseTo((1 - f) * (1 - 0.21 - f * 1.21) - 1, 10);
    // against the up-move, the fall, the up-move, and fees on a flat hour: every trade loses
    expect(r.strategy.win_rate).toBe(0);
    expect(r.strategy.profit_factor).toBe(0);
  });

  it('honours a per-type holding period', () => {
    const longer = paperPnl(prices, [alert('A', 0, 1)], { ...base, event_types: { X: { hold_hours: 4 } } });
    const t = longer.trades.get('X')![0];
    expect(t.exit_ts).toBe(syntheticTs(4));
    expect(t.return).toBeCloseTo((1 - f) * (1 + 0 - f) - 1, 10);
    expect(longer.summary.rows[0].hold_hours).toBe(4);
  });

  it('gives every event type its own book, and "all" one position per symbol across types', () => {
    const two = paperPnl(prices, [alert('A', 0, 1, 'SYN', 'X'), alert('B', 1, -1, 'SYN', 'Y')], base);
    expect(row(two.summary.rows, 'all').strategy.trades).toBe(1);
    expect(row(two.summary.rows, 'all').skipped.overlap).toBe(1);
    expect(row(two.summary.rows, 'X').strategy.trades).toBe(1);
    expect(row(two.summary.rows, 'Y').strategy.trades).toBe(1);
    expect(two.summary.rows.map((r) => r.key)).toEqual(['all', 'X', 'Y']);
  });

  it('splits the capital equally over the symbols traded', () => {
    const other = syntheticSeries('OTH', [50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50]);
    const two = paperPnl([...prices, other], [alert('A', 0, 1), alert('O', 0, 1, 'OTH')], base);
    const all2 = row(two.summary.rows, 'all');
    expect(all2.symbols).toEqual(['OTH', 'SYN']);
    expect(all2.strategy.total_return).toBeCloseTo((mA + (1 - f) * (1 - f)) / 2 - 1, 5);
    expect(all2.buy_and_hold.total_return).toBeCloseTo(((1 - f) * 0.99 * (1 - f) + (1 - f) * (1 - f)) / 2 - 1, 6);
  });

  it('is null, not infinite, where a ratio has nothing to divide by', () => {
    const none = paperPnl(prices, [alert('A', 0, 1)], { ...base, fee_pct: 0 });
    const x = none.summary.rows[0].strategy;
    expect(x.profit_factor).toBeNull();
    expect(x.gross_profit).toBeCloseTo(0.21, 12);
    const empty = paperPnl(prices, [alert('F', 7, 0)], base);
    expect(empty.summary.rows[0].strategy.trades).toBe(0);
    expect(empty.summary.rows[0].strategy.sharpe).toBeNull();
    expect(empty.summary.rows[0].random).toBeNull();
  });
});

describe('random entries', () => {
  const walk = syntheticRandomWalk('RW', 3000, 0.01, 11);
  // a SYNTHETIC +5 % jump planted after each alert hour: following the alerts must beat random entries
  const planted = [200, 700, 1200, 1700, 2200, 2700];
  const close = Float64Array.from(walk.close);
  for (const h of planted) for (let j = h + 1; j < close.length; j++) close[j] *= 1.05;
  const series = { ...walk, close };
  const signal = planted.map((h, i) => ({ id: `s${i}`, ts: walk.ts[h], symbol: 'RW', event_type: 'UP', severity: 'INFO' as const, source: 't', direction: 1 as const }));
  const opts = { hold_hours: 4, fee_pct: 0.1, random_entries: 400, seed: 7 };

  it('is deterministic for a seed and differs for another', () => {
    const a = paperPnl([series], signal, opts).summary.rows[0].random!;
    const b = paperPnl([series], signal, opts).summary.rows[0].random!;
    const c = paperPnl([series], signal, { ...opts, seed: 8 }).summary.rows[0].random!;
    expect(a).toEqual(b);
    expect(c.mean_total_return).not.toBe(a.mean_total_return);
    expect(a.permutations).toBe(400);
    expect(a.mean_trades).toBe(6);
  });

  it('finds a planted signal significant and the reversed strategy not', () => {
    const follow = paperPnl([series], signal, opts).summary.rows[0];
    expect(follow.strategy.total_return).toBeGreaterThan(0.25);
    expect(follow.random!.p_value).toBeLessThan(0.01);
    const against = paperPnl([series], signal, { ...opts, follow: 'reversal' }).summary.rows[0];
    expect(against.random!.p_value).toBeGreaterThan(0.9);
  });
});

describe('pnl options', () => {
  it('names the option in every error', () => {
    expect(() => parsePnlOptions({ hold_hours: 0 })).toThrow(/pnl options\.hold_hours: expected a whole number of hours/);
    expect(() => parsePnlOptions({ follow: 'sideways' })).toThrow(/pnl options\.follow: expected continuation or reversal/);
    expect(() => parsePnlOptions({ event_types: { X: { follow: 'up' } } })).toThrow(/pnl options\.event_types\.X\.follow/);
    expect(() => parsePnlOptions({ fees: 1 })).toThrow(/pnl options\.fees: unknown option/);
  });
});
