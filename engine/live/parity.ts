/**
 * Live ↔ replay parity: does the live loop, fed hour by hour through ccxt, decide exactly what a backtest of the
 * same history decides?
 *
 * The live side runs the real LiveRunner against FakeBinance on 127.0.0.1 — REST candles and funding plus the
 * forceOrder websocket — serving the bundled history on a virtual clock, into an empty temporary dataset: it
 * back-fills its warm-up window through the fake exactly as it would from Binance, then steps each hour as it
 * "closes". The replay side is runReplay over the bundled data loaded the way `regime backtest --from` loads it.
 * Both warm up over the same window (from − warm-up … from).
 *
 * Liquidations: the bundle's liquidation rows are aggregated across venues, while the live loop observes the
 * forceOrder stream. Inside the window the fake streams each bundled hourly amount as forceOrder events (SELL for
 * longs, BUY for shorts, two orders per side), so the history both sides see is "those events, bucketed, kind
 * observed" — zero where nothing was streamed, since the stream was up every hour. Before the window both sides
 * have the bundle's rows (seeded into the live dataset, as history would be).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { commitBatches, type ColumnBatch } from '../data/dataset-writer.ts';
import { DEFAULT_DATASETS_DIR } from '../data/layout.ts';
import { openStore } from '../data/store.ts';
import type { Alert } from '../pipeline/alerts.ts';
import { defaultConfig, type PipelineConfig } from '../pipeline/config.ts';
import { toFeatureRow, type FeatureRow } from '../pipeline/feature-row.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { stableStringify } from '../pipeline/load-config.ts';
import { DEFAULT_WARMUP_HOURS } from '../replay/backtest.ts';
import { loadReplayData, type ReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { FakeBinance, type FakeForceOrder } from '../testing/fake-binance.ts';
import { VirtualClock } from './clock.ts';
import { parseLiveConfig } from './config.ts';
import { LiveRunner } from './runner.ts';
import { UserError } from '../errors.ts';

const KIND_NAMES = ['observed', 'aggregated', 'modelled'];

export interface ParityOptions {
  /** first hour compared (epoch ms, on the hour) */
  from: number;
  /** end, exclusive */
  to: number;
  config?: PipelineConfig;
  /** the history served and replayed; default the bundled datasets/ */
  datasetsDir?: string;
  warmupHours?: number;
  /** stream the window's liquidations through the fake websocket (default true) */
  liquidations?: boolean;
  logger?: Logger;
  /** keep the live side's temporary dataset and store here instead of a removed temp folder */
  workDir?: string;
}

export interface AlertDifference {
  id: string;
  ts: number;
  symbol: string;
  event_type: string;
  kind: 'only_live' | 'only_replay' | 'different';
  fields?: string[];
}

export interface FeatureDifference {
  ts: number;
  symbol: string;
  kind: 'only_live' | 'only_replay' | 'different';
  columns?: string[];
}

export interface ParityReport {
  from: string;
  to: string;
  symbols: string[];
  hours: number;
  warmup_hours: number;
  live: { alerts: number; feature_rows: number; flagged_hours: number; liquidation_orders_streamed: number; rest_requests: number; elapsed_ms: number };
  replay: { alerts: number; feature_rows: number; elapsed_ms: number };
  alert_differences: AlertDifference[];
  feature_differences: FeatureDifference[];
  feature_differences_total: number;
  ok: boolean;
}

function normal(x: unknown): string {
  return stableStringify(JSON.parse(JSON.stringify(x)));
}

function diffKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => normal(a[k] ?? null) !== normal(b[k] ?? null)).sort();
}

/** the forceOrder events that carry one hourly liquidation amount: two orders per side, at :10 and :40 */
function ordersFor(symbol: string, hour: number, longUsd: number, shortUsd: number, price: number): FakeForceOrder[] {
  const out: FakeForceOrder[] = [];
  for (const [side, usd] of [['SELL', longUsd], ['BUY', shortUsd]] as const) {
    if (!(usd > 0)) continue;
    // a 6-significant-digit quantity: a realistic order size; the bucket is whatever these orders add up to
    const qty = Number(((usd / 2) / price).toPrecision(6));
    out.push({ symbol, side, price, qty, time: hour + 10 * 60_000 }, { symbol, side, price, qty, time: hour + 40 * 60_000 });
  }
  return out;
}

export async function runParity(opts: ParityOptions): Promise<ParityReport> {
  const config = opts.config ?? defaultConfig();
  const symbols = [...config.symbols];
  const warmupHours = opts.warmupHours ?? DEFAULT_WARMUP_HOURS;
  const log = opts.logger ?? silentLogger;
  if (opts.from % HOUR_MS !== 0 || opts.to % HOUR_MS !== 0) throw new UserError('parity: --from and --to must be on the hour');
  if (opts.to <= opts.from) throw new UserError('parity: --to must be after --from');
  const origin = opts.from - warmupHours * HOUR_MS;

  const store = await openStore({ datasetsDir: opts.datasetsDir ?? DEFAULT_DATASETS_DIR });
  let ref: ReplayData;
  try {
    ref = await loadReplayData(store, symbols, { from: origin, to: opts.to });
  } finally {
    store.close();
  }

  // ---- the live side's world: the fake exchange and an empty dataset with only pre-window liquidations -------
  const work = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'regime-parity-'));
  const datasetsDir = path.join(work, 'datasets');
  const resultsDir = path.join(work, 'live');
  fs.mkdirSync(datasetsDir, { recursive: true });
  const clock = new VirtualClock(opts.from);
  const fake = new FakeBinance({
    spotSymbols: symbols.map((id) => ({ id, base: id.replace(/USDT$/, ''), quote: 'USDT' })),
    perpSymbols: symbols.map((id) => ({ id, base: id.replace(/USDT$/, ''), quote: 'USDT' })),
    now: () => clock.now(),
  });
  const orders: FakeForceOrder[] = [];
  const expected = new Map<string, Map<number, { long: number; short: number }>>();
  for (const s of ref.series) {
    const c = s.candles;
    fake.setKlines('spot', s.symbol, Array.from(c.ts, (ts, i) => ({ openTime: ts, open: c.open[i], high: c.high[i], low: c.low[i], close: c.close[i], volume: c.volume[i] })));
    fake.setFunding(s.symbol, Array.from(s.funding.ts, (ts, i) => ({ fundingTime: ts, fundingRate: s.funding.rate[i] })));
    const seed = { ts: [] as number[], long: [] as number[], short: [] as number[], kind: [] as (string | null)[] };
    const buckets = new Map<number, { long: number; short: number }>();
    expected.set(s.symbol, buckets);
    let lastClose = NaN;
    let ci = 0;
    for (let i = 0; i < s.liquidations.ts.length; i++) {
      const ts = s.liquidations.ts[i];
      if (ts < opts.from) {
        seed.ts.push(ts);
        seed.long.push(s.liquidations.longUsd[i]);
        seed.short.push(s.liquidations.shortUsd[i]);
        seed.kind.push(KIND_NAMES[s.liquidations.kind[i]]);
        continue;
      }
      if (opts.liquidations === false) continue;
      while (ci < c.ts.length && c.ts[ci] <= ts) lastClose = c.close[ci++];
      const price = Number.isFinite(lastClose) ? lastClose : 1;
      const b = { long: 0, short: 0 };
      for (const o of ordersFor(s.symbol, ts, s.liquidations.longUsd[i], s.liquidations.shortUsd[i], price)) {
        orders.push(o);
        const usd = Number(String(o.price)) * Number(String(o.qty));
        if (o.side === 'SELL') b.long += usd;
        else b.short += usd;
      }
      buckets.set(ts, b);
    }
    if (seed.ts.length > 0) {
      const batch: ColumnBatch = {
        table: 'liquidations_1h',
        venue: 'parity_seed',
        symbol: s.symbol,
        ts: Float64Array.from(seed.ts),
        values: {
          long_liq_usd: Float64Array.from(seed.long),
          short_liq_usd: Float64Array.from(seed.short),
          total_liq_usd: Float64Array.from(seed.long.map((l, i) => l + seed.short[i])),
          kind: seed.kind,
          source: seed.kind.map((k) => `bundled history before the window (${k})`),
        },
      };
      await commitBatches(datasetsDir, [batch]);
    }
  }
  orders.sort((a, b) => a.time - b.time);
  let sent = 0;
  clock.onAdvance((now) => {
    while (sent < orders.length && orders[sent].time <= now) fake.pushForceOrder(orders[sent++]);
  });
  await fake.start();

  const liveCfg = parseLiveConfig({
    ...JSON.parse(JSON.stringify(config)),
    live: { warmup_hours: warmupHours, commit_every_hours: 168, score_every_hours: 0 },
  }, {});
  const runner = new LiveRunner({
    config: liveCfg,
    datasetsDir,
    resultsDir,
    clock,
    exchange: 'binanceus',
    apiBaseUrl: fake.baseUrl,
    paper: true,
    logger: log,
    until: opts.to - HOUR_MS,
    liquidations: opts.liquidations !== false,
    exchangeOptions: { rateLimit: 1 },
    beforeFinalize: async () => {
      // every order pushed so far has reached the aggregator (one subscriber per order)
      const deadline = Date.now() + 10_000;
      while (runner.aggregator.received + runner.aggregator.late < fake.forceOrdersSent && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    },
  });
  const liveFeatures: FeatureRow[] = [];
  let flagged = 0;
  runner.on('hour', (h: { features: FeatureRow[]; flags: string[] }) => {
    liveFeatures.push(...h.features);
    if (h.flags.length > 0) flagged++;
  });
  const t0 = Date.now();
  let liveAlerts: Alert[] = [];
  try {
    await runner.start();
    await runner.run();
    liveAlerts = (await runner.store.events({ since: opts.from, until: opts.to - HOUR_MS })).map(({ paper: _p, late: _l, created_at: _c, ...a }) => a);
  } finally {
    await runner.stop();
    await fake.close();
    if (!opts.workDir) fs.rmSync(work, { recursive: true, force: true });
  }
  const liveMs = Date.now() - t0;

  // ---- the replay side: the same history, liquidations in the window as the stream delivered them --------------
  const t1 = Date.now();
  const replayData: ReplayData = {
    ...ref,
    series: ref.series.map((s) => {
      if (opts.liquidations === false) return { ...s, liquidations: cut(s.liquidations, opts.from) };
      const before = cut(s.liquidations, opts.from);
      const b = expected.get(s.symbol)!;
      const ts: number[] = Array.from(before.ts);
      const long: number[] = Array.from(before.longUsd);
      const short: number[] = Array.from(before.shortUsd);
      const kind: number[] = Array.from(before.kind);
      for (let t = opts.from; t < opts.to; t += HOUR_MS) {
        const x = b.get(t) ?? { long: 0, short: 0 };
        ts.push(t);
        long.push(x.long);
        short.push(x.short);
        kind.push(0);
      }
      return { ...s, liquidations: { ts: Float64Array.from(ts), longUsd: Float64Array.from(long), shortUsd: Float64Array.from(short), kind: Float64Array.from(kind) } };
    }),
  };
  const replayFeatures: FeatureRow[] = [];
  const res = runReplay(replayData, config, {
    emitFrom: opts.from,
    until: opts.to - HOUR_MS,
    onStep: (step) => {
      if (step.ts >= opts.from) for (const f of step.features) replayFeatures.push(toFeatureRow(f));
    },
  });
  const replayMs = Date.now() - t1;

  // ---- diff ------------------------------------------------------------------------------------------------
  const alertDiffs: AlertDifference[] = [];
  const liveById = new Map(liveAlerts.map((a) => [a.id, a]));
  const replayById = new Map(res.alerts.map((a) => [a.id, a]));
  for (const a of res.alerts) {
    const l = liveById.get(a.id);
    const base = { id: a.id, ts: a.ts, symbol: a.symbol, event_type: a.event_type };
    if (!l) alertDiffs.push({ ...base, kind: 'only_replay' });
    else {
      const fields = diffKeys(l as unknown as Record<string, unknown>, a as unknown as Record<string, unknown>);
      if (fields.length > 0) alertDiffs.push({ ...base, kind: 'different', fields });
    }
  }
  for (const l of liveAlerts) if (!replayById.has(l.id)) alertDiffs.push({ id: l.id, ts: l.ts, symbol: l.symbol, event_type: l.event_type, kind: 'only_live' });

  const key = (r: FeatureRow) => `${r.ts_ms}|${r.symbol}`;
  const liveRows = new Map(liveFeatures.map((r) => [key(r), r]));
  const replayRows = new Map(replayFeatures.map((r) => [key(r), r]));
  const featureDiffs: FeatureDifference[] = [];
  for (const [k, r] of replayRows) {
    const l = liveRows.get(k);
    if (!l) featureDiffs.push({ ts: Number(r.ts_ms), symbol: String(r.symbol), kind: 'only_replay' });
    else {
      const columns = diffKeys(l, r);
      if (columns.length > 0) featureDiffs.push({ ts: Number(r.ts_ms), symbol: String(r.symbol), kind: 'different', columns });
    }
  }
  for (const [k, l] of liveRows) if (!replayRows.has(k)) featureDiffs.push({ ts: Number(l.ts_ms), symbol: String(l.symbol), kind: 'only_live' });
  featureDiffs.sort((a, b) => a.ts - b.ts || a.symbol.localeCompare(b.symbol));
  log.info({ liveAlerts: liveAlerts.length, replayAlerts: res.alerts.length, alertDiffs: alertDiffs.length, featureDiffs: featureDiffs.length }, 'parity done');

  return {
    from: new Date(opts.from).toISOString(),
    to: new Date(opts.to).toISOString(),
    symbols,
    hours: (opts.to - opts.from) / HOUR_MS,
    warmup_hours: warmupHours,
    live: { alerts: liveAlerts.length, feature_rows: liveFeatures.length, flagged_hours: flagged, liquidation_orders_streamed: sent, rest_requests: fake.requests.length, elapsed_ms: liveMs },
    replay: { alerts: res.alerts.length, feature_rows: replayFeatures.length, elapsed_ms: replayMs },
    alert_differences: alertDiffs,
    feature_differences: featureDiffs.slice(0, 100),
    feature_differences_total: featureDiffs.length,
    ok: alertDiffs.length === 0 && featureDiffs.length === 0,
  };
}

function cut<T extends { ts: Float64Array }>(cols: T, before: number): T {
  let n = 0;
  while (n < cols.ts.length && cols.ts[n] < before) n++;
  const out = {} as Record<string, Float64Array>;
  for (const [k, v] of Object.entries(cols)) out[k] = (v as Float64Array).subarray(0, n);
  return out as unknown as T;
}
