// The multi-timeframe regime on the bundled real history: it must see the well-known crash days as a hot
// down-move and the big up-days as ignition, read a crash hour as something other than "neutral", and keep every
// state to a plausible share of the hours.
import { beforeAll, describe, expect, it } from 'vitest';
import { REGIME_TIMEFRAMES, SPOT_REGIMES, type RegimeOutput } from '../detectors/multi-timeframe-regime.ts';
import { openStore } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { loadReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';

/** `${symbol} ${YYYY-MM-DD}` of a daily bar → its regime */
const daily = new Map<string, string | null>();
const hourly = new Map<string, RegimeOutput>();
const counts: Record<string, Record<string, number>> = {};
let rows = 0;

const WATCHED_HOURS = [Date.UTC(2024, 7, 5, 6), Date.UTC(2024, 7, 5, 8), Date.UTC(2022, 10, 9, 12)];

beforeAll(async () => {
  const cfg = defaultConfig();
  const store = await openStore();
  const data = await loadReplayData(store, cfg.symbols);
  store.close();
  runReplay(data, cfg, {
    onStep: (s) => {
      for (const f of s.features) {
        rows++;
        for (const tf of REGIME_TIMEFRAMES) {
          const r = f.regimes[tf].regime ?? 'null';
          (counts[tf] ??= {})[r] = (counts[tf][r] ?? 0) + 1;
        }
        const d = f.regimes['1d'];
        if (d.bar_ts === d.bar_ts) daily.set(`${f.symbol} ${new Date(d.bar_ts).toISOString().slice(0, 10)}`, d.regime);
        if (WATCHED_HOURS.includes(s.ts)) hourly.set(`${f.symbol} ${new Date(s.ts).toISOString().slice(0, 13)}`, f.regimes);
      }
    },
  });
});

const CRASH_DAYS: [string, string[]][] = [
  ['2020-03-12', ['BTCUSDT', 'ETHUSDT']], // COVID crash
  ['2021-05-19', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // China mining ban
  ['2022-05-09', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // LUNA/UST
  ['2022-06-13', ['BTCUSDT', 'ETHUSDT']], // Celsius
  ['2022-11-09', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // FTX
  ['2024-08-05', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // yen carry unwind
  ['2025-10-10', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // tariff liquidation cascade
];

const UP_DAYS: [string, string[]][] = [
  ['2021-02-08', ['BTCUSDT']], // Tesla buys BTC
  ['2023-03-13', ['BTCUSDT', 'ETHUSDT']], // after SVB: USDC re-pegs
  ['2023-10-23', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // spot ETF hopes
  ['2024-11-06', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // US election
  ['2025-04-09', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']], // tariff pause
];

describe('daily regime on real crash and rally days', () => {
  it.each(CRASH_DAYS)('%s reads SPOT_CAPITULATION on the daily bar', (day, symbols) => {
    expect(symbols.map((s) => [s, daily.get(`${s} ${day}`)])).toEqual(symbols.map((s) => [s, 'SPOT_CAPITULATION']));
  });

  it.each(UP_DAYS)('%s reads SPOT_IGNITION on the daily bar', (day, symbols) => {
    expect(symbols.map((s) => [s, daily.get(`${s} ${day}`)])).toEqual(symbols.map((s) => [s, 'SPOT_IGNITION']));
  });
});

describe('primary regime in crash hours', () => {
  it('BTC on 2024-08-05 06:00 and 08:00 and 2022-11-09 12:00 is a capitulation, not neutral', () => {
    for (const at of ['2024-08-05T06', '2024-08-05T08', '2022-11-09T12']) {
      expect([at, hourly.get(`BTCUSDT ${at}`)?.primary]).toEqual([at, 'SPOT_CAPITULATION']);
    }
  });
});

describe('regime state distribution', () => {
  it('every timeframe uses every state, no state covers most hours, hot states stay rare', () => {
    for (const tf of REGIME_TIMEFRAMES) {
      const c = counts[tf];
      for (const state of SPOT_REGIMES) expect([tf, state, (c[state] ?? 0) > 0]).toEqual([tf, state, true]);
      for (const [state, n] of Object.entries(c)) expect([tf, state, n / rows < 0.5]).toEqual([tf, state, true]);
      for (const hot of ['SPOT_IGNITION', 'SPOT_CAPITULATION', 'SPOT_CHURN']) expect([tf, hot, c[hot] / rows < 0.12]).toEqual([tf, hot, true]);
    }
    // a missing hour blanks a daily bar's volume but not the day after's regime: few null daily regimes
    expect(counts['1d'].null / rows).toBeLessThan(0.05);
  });
});
