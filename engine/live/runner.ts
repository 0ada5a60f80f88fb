/**
 * The live loop: the replay's Pipeline stepped on the wall clock.
 *
 * Start: back-fill the spot candles and funding the dataset lacks (`regime fetch`'s code), replay the stored
 * history of the warm-up window through a fresh Pipeline (the replay's own loader and runReplay), open the
 * liquidation stream, start the webhook worker. Then, shortly after each hour closes: fetch that hour's candles
 * and funding, close its liquidation bucket, step the pipeline, store features + alerts + outbox in one
 * transaction, and append what was fetched to the Parquet dataset — live data becomes history.
 *
 * Faults never stop the loop. A request that still fails after its retries leaves that piece of the hour
 * missing, and the hour is stepped with what is known — "the last good data" means nothing is invented: a
 * missing candle is a missing hour for that symbol (its detectors advance and report no data, exactly as for an
 * exchange gap), missing funding leaves the last settled rate standing (as between settlements), a stream
 * outage makes the hour's liquidations "no data". The hour is flagged, and the missing piece is queued for
 * back-fill.
 *
 * A late hour never goes back into the pipeline: hours are stepped strictly in order and an hour once stepped is
 * not stepped again. When the back-fill later gets the missing piece, it is written to the dataset and the
 * pipeline is REBUILT — a fresh one replayed over the stored history from the same warm-up origin up to the last
 * stepped hour — so from then on its state is exactly what a replay of the complete history has. Alerts the
 * rebuild finds in hours already passed are stored as `late`; they are delivered only while fresh.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.ts';
import { InputError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { BatchBuilder } from '../data/batch-builder.ts';
import { commitBatches, openCommitConnection, type ColumnBatch, type CommitConnection } from '../data/dataset-writer.ts';
import { EXCHANGE_PROFILES, fetchHistory, type FetchExchangeId } from '../data/fetch-ccxt.ts';
import { provenancePath, readManifest, readProvenance, type Manifest } from '../data/manifest.ts';
import { writeFileAtomic } from '../data/atomic-file.ts';
import { openStore } from '../data/store.ts';
import type { TableName } from '../data/tables.ts';
import type { Alert } from '../pipeline/alerts.ts';
import { configHash } from '../pipeline/load-config.ts';
import { toFeatureRow, type FeatureRow } from '../pipeline/feature-row.ts';
import { HOUR_MS, type LiquidationInput, type SymbolHour } from '../pipeline/input.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { loadReplayData, type ReplayData, type SymbolSeries } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { toScorable } from '../replay/score-alerts.ts';
import { scoreAlerts, type PriceSeries, type Scorecard } from '../score/index.ts';
import { buildEndpoints, endpointsFor, type Endpoint } from '../notify/endpoints.ts';
import { DeliveryWorker } from '../notify/worker.ts';
import type { Clock } from './clock.ts';
import type { LiveConfig } from './config.ts';
import { LIQUIDATION_SOURCE, LIQUIDATION_VENUE, LiquidationAggregator, LiquidationStream, type Bucket } from './liquidations.ts';
import { RestSource, type LiveCandle, type LiveSettlement } from './rest.ts';
import { LiveStore, type MissedRow, type StoredAlert } from './store.ts';
import { killPoint } from './kill-points.ts';

const NOMINAL_FUNDING_INTERVALS = new Set([1, 2, 4, 8]);
const FUNDING_SOURCE = 'binanceusdm_api_ccxt';
const KINDS = ['observed', 'aggregated', 'modelled'] as const;

export interface LiveRunnerOptions {
  config: LiveConfig;
  datasetsDir: string;
  /** the live results folder (results/live): live.duckdb lives here */
  resultsDir: string;
  clock: Clock;
  /** spot candles from here; default binanceus, as the original system */
  exchange?: FetchExchangeId;
  /** every REST and websocket URL pointed at this server (a fake exchange) */
  apiBaseUrl?: string;
  paper?: boolean;
  logger?: Logger;
  /** waits between request retries; default the clock's sleep */
  sleep?: (ms: number) => Promise<void>;
  /** last hour to step (inclusive); run() returns after it */
  until?: number;
  /** open the forceOrder stream (default true); without it every hour's liquidations are "no data" */
  liquidations?: boolean;
  exchangeOptions?: Record<string, unknown>;
  /** how long start() waits for the stream's first connection; default 10 s */
  streamConnectTimeoutMs?: number;
  /** runs after an hour's REST data is in and before its liquidation bucket is closed (tests, parity) */
  beforeFinalize?: (hour: number) => Promise<void>;
  /** the webhook worker's wall clock (retries are real waits) */
  webhookNow?: () => number;
  /**
   * the moment this run starts, which fixes its first live hour; default clock.now() when start() is called.
   * Taken before any I/O: on an accelerated clock a slow store open would otherwise skip whole hours.
   */
  startAt?: number;
}

export interface HourReport {
  ts: number;
  mode: 'live' | 'catchup';
  features: FeatureRow[];
  alerts: Alert[];
  flags: string[];
  missing: string[];
  /** real ms from the loop waking for the hour to its alerts being in the outbox */
  processMs: number;
}

interface Pending {
  table: TableName;
  venue: string;
  symbol: string;
  rows: Map<number, Record<string, number | string | null>>;
}

export class LiveRunner extends EventEmitter {
  readonly opts: LiveRunnerOptions;
  readonly symbols: readonly string[];
  readonly exchange: FetchExchangeId;
  readonly spotVenue: string;
  readonly paper: boolean;
  store!: LiveStore;
  worker: DeliveryWorker | null = null;
  endpoints: Endpoint[] = [];
  readonly aggregator: LiquidationAggregator;
  private stream: LiquidationStream | null = null;
  private rest!: RestSource;
  private pipeline!: Pipeline;
  private readonly log: Logger;
  private readonly abort = new AbortController();
  /** first hour of the warm-up window: every rebuild replays from here, like a backtest from the same start */
  origin = NaN;
  /** next hour to step */
  cursor = NaN;
  /** the first hour this live store ever stepped live: no earlier hour may produce a live event */
  liveFrom = NaN;
  private readonly pending = new Map<string, Pending>();
  private hoursSinceCommit = 0;
  private hoursSinceScore = 0;
  /** known settlement hours per symbol (ascending), to type each new one's interval by its spacing */
  private readonly settlements = new Map<string, { ts: number; interval: number }[]>();
  private readonly prices = new Map<string, { ts: number[]; close: number[]; high: number[]; low: number[] }>();
  private scoreFrom = NaN;
  /** whether the store may hold missed pieces (saves a query per hour when it does not) */
  private missedQueued = true;
  private lastScorecard: Scorecard | null = null;
  hoursStepped = 0;
  faultCount = 0;
  lastHour: number | null = null;
  running = false;

  constructor(opts: LiveRunnerOptions) {
    super();
    this.opts = opts;
    this.symbols = opts.config.pipeline.symbols;
    this.exchange = opts.exchange ?? 'binanceus';
    const profile = EXCHANGE_PROFILES[this.exchange];
    if (!profile || profile.market !== 'spot') throw new Error(`live candles need a spot exchange (binanceus or binance), not ${this.exchange}`);
    this.spotVenue = profile.venue;
    this.paper = opts.paper ?? false;
    this.log = opts.logger ?? silentLogger;
    this.aggregator = new LiquidationAggregator(this.symbols, opts.config.live.liquidation_max_gap_s * 1000);
  }

  private get cfg() {
    return this.opts.config;
  }

  private sleep = async (ms: number): Promise<void> => {
    killPoint('request-wait');
    // a retry wait lets go of the store's file like an idle loop, so `live status` is not locked out for its length
    const held = this.unpinStore !== null;
    this.holdStore(false);
    try {
      await (this.opts.sleep ? this.opts.sleep(ms) : this.opts.clock.sleep(ms, this.abort.signal));
    } finally {
      if (held) this.holdStore(true);
    }
  };

  /** one DuckDB for the session's hourly commits (opening one per commit cost ~0.4 s CPU an hour); closed by stop() */
  private commitDb: Promise<CommitConnection> | null = null;

  /** lets go of the live store's pin (store.pin); null when not held */
  private unpinStore: (() => void) | null = null;

  /** while the loop has work at hand the store keeps its file open: each let-go checkpoints (hundreds of ms) */
  private holdStore(on: boolean): void {
    if (on && !this.unpinStore && this.store) this.unpinStore = this.store.pin();
    else if (!on && this.unpinStore) {
      this.unpinStore();
      this.unpinStore = null;
    }
  }

  private async fault(hour: number | null, kind: string, detail: string): Promise<void> {
    this.faultCount++;
    this.log.warn({ hour: hour === null ? null : new Date(hour).toISOString(), kind, detail }, 'live fault');
    await this.store.addFault(this.opts.clock.now(), hour, kind, detail).catch(() => undefined);
  }

  async start(): Promise<void> {
    const { clock, config } = this.opts;
    const live = config.live;
    const first = Math.floor((this.opts.startAt ?? clock.now()) / HOUR_MS) * HOUR_MS;
    this.store = await LiveStore.open(this.opts.resultsDir);
    this.holdStore(true);
    try {
      this.endpoints = buildEndpoints(config.webhooks);
      const previous = await this.store.lastSteppedHour();
      const firstLive = Number((await this.store.meta()).first_live_hour ?? NaN);
      this.liveFrom = Number.isFinite(firstLive) ? firstLive : first;
      await this.store.setMeta({
        config_hash: configHash(config.pipeline),
        symbols: JSON.stringify(this.symbols),
        exchange: this.exchange,
        paper: String(this.paper),
        started_at: new Date(clock.now()).toISOString(),
        first_hour: String(first),
        endpoints: JSON.stringify(this.endpoints.map((e) => ({ endpoint: e.redacted, kind: e.kind, routes: [...e.routes] }))),
      });
      if (this.endpoints.length > 0) {
        this.worker = new DeliveryWorker({ store: this.store, endpoints: this.endpoints, config: config.webhooks, logger: this.log, now: this.opts.webhookNow });
        // entries left pending by a previous run go out now, before anything else
        this.worker.start();
      }
      this.rest = new RestSource({
        spotExchange: this.exchange,
        apiBaseUrl: this.opts.apiBaseUrl,
        retryDelaysMs: live.retry_delays_ms,
        maxRetryAfterMs: live.max_retry_after_ms,
        sleep: this.sleep,
        now: () => clock.now(),
        logger: this.log,
        exchangeOptions: this.opts.exchangeOptions,
        // every failed attempt is logged; the hour's flag comes only if the last one fails too
        onFault: (what, kind, reason) => void this.fault(null, `request_${kind}`, `${what}: ${reason}`),
      });
      if (this.opts.liquidations !== false) {
        this.stream = new LiquidationStream({
          symbols: this.symbols,
          aggregator: this.aggregator,
          now: () => clock.now(),
          apiBaseUrl: this.opts.apiBaseUrl,
          logger: this.log,
          reconnectDelaysMs: live.reconnect_delays_ms,
          exchangeOptions: this.opts.exchangeOptions,
          onFault: (kind, detail) => void this.fault(null, kind, detail),
        });
        this.stream.start();
      }
      this.origin = first - live.warmup_hours * HOUR_MS;
      await this.backfillOnStart(first);
      this.scoreFrom = Math.min(this.liveFrom, first);
      if (!Number.isFinite(firstLive)) await this.store.setMeta({ first_live_hour: String(first) });
      // an hour once stepped is never stepped again: a restart on a clock that is not past the previous run's last
      // hour (a replayed clock) goes on after it
      const cursor = previous !== null && previous >= first ? previous + HOUR_MS : first;
      // hours between the previous run's last and now are caught up from history; older ones are not ours to emit
      const catchUpFrom = previous !== null && previous >= this.origin && previous < first - HOUR_MS ? previous + HOUR_MS : null;
      await this.rebuild(cursor - HOUR_MS, catchUpFrom, true);
      // waiting for the stream is idle time
      this.holdStore(false);
      if (this.stream) {
        const ok = await this.stream.waitConnected(this.opts.streamConnectTimeoutMs ?? 10_000);
        if (!ok) await this.fault(first, 'liquidation_stream_down', 'not connected at start; hours without it are "no data"');
      }
      this.cursor = cursor;
      this.running = true;
    } finally {
      // start-up is one burst of work; after it (or a failed start) the file is let go as usual
      this.holdStore(false);
    }
  }

  /** steps every hour from the cursor as it closes, until `until` or stop() */
  async run(): Promise<void> {
    const { clock, config } = this.opts;
    try {
      while (this.running && (this.opts.until === undefined || this.cursor <= this.opts.until)) {
        const h = this.cursor;
        const due = h + HOUR_MS + config.live.settle_ms;
        // an hour already due (catching up, or a clock faster than the work) follows without letting go of the file
        if (clock.now() < due) this.holdStore(false);
        try {
          await clock.sleepUntil(due, this.abort.signal);
        } catch {
          break;
        }
        if (!this.running) break;
        this.holdStore(true);
        await this.processHour(h);
        this.cursor = h + HOUR_MS;
      }
    } finally {
      await this.flushCommits().catch(() => undefined);
      this.holdStore(false);
    }
  }

  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.stream?.stop();
    if (this.worker && opts.drainMs) await this.worker.drained(opts.drainMs).catch(() => undefined);
    await this.worker?.stop();
    await this.flushCommits().catch((err) => this.log.error({ err: (err as Error).message }, 'could not write the last fetched rows'));
    const commitDb = this.commitDb;
    this.commitDb = null;
    (await commitDb?.catch(() => null))?.close();
    await this.rest?.close();
    await this.store?.close();
  }

  // ---- one hour ------------------------------------------------------------------------------------------------

  private async processHour(h: number): Promise<void> {
    const t0 = performance.now();
    const live = this.cfg.live;
    const affected = await this.backfillMissed(h);
    if (affected !== null) await this.rebuild(h - HOUR_MS, affected, false);

    const flags: string[] = [];
    const missed: Omit<MissedRow, 'attempts'>[] = [];
    const candles = new Map<string, LiveCandle>();
    const funding = new Map<string, LiveSettlement>();
    for (const s of this.symbols) {
      const r = await this.rest.candles(s, h, h + HOUR_MS);
      if (!r.ok) {
        flags.push(`candle_unavailable:${s}:${r.kind}`);
        missed.push({ ts: h, symbol: s, what: 'candle', reason: r.kind });
        await this.fault(h, `candle_${r.kind}`, `${s}: ${r.reason}`);
      } else {
        const c = r.value.find((x) => x.ts === h);
        if (c) {
          // a value the dataset would refuse is quarantined: the hour goes on without it, as without the candle
          if (await this.accepted(h, 'candles_1h', this.spotVenue, s, h, candleValues(c), flags)) candles.set(s, c);
        } else {
          // an empty answer is usually an exchange gap; asked again later in case it was only late
          flags.push(`candle_empty:${s}`);
          missed.push({ ts: h, symbol: s, what: 'candle', reason: 'empty' });
        }
      }
      const f = await this.rest.funding(s, h, h + HOUR_MS);
      if (!f.ok) {
        flags.push(`funding_unavailable:${s}:${f.kind}`);
        missed.push({ ts: h, symbol: s, what: 'funding', reason: f.kind });
        await this.fault(h, `funding_${f.kind}`, `${s}: ${f.reason}`);
      } else if (f.value.length > 0) {
        const st = f.value[f.value.length - 1];
        const known = this.settlements.get(s)?.find((x) => x.ts === st.ts)?.interval ?? 8;
        if (await this.accepted(h, 'funding', 'binanceusdm', s, st.ts, fundingValues(st, known), flags)) funding.set(s, st);
      }
    }
    killPoint('fetch');
    await this.opts.beforeFinalize?.(h);
    const buckets: Record<string, Bucket | null> = this.stream ? this.aggregator.finalize(h) : Object.fromEntries(this.symbols.map((s) => [s, null]));

    const hours: SymbolHour[] = this.symbols.map((s) => {
      const c = candles.get(s);
      const st = funding.get(s);
      const b = buckets[s];
      return {
        symbol: s,
        ts: h,
        candle: c ? { open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume } : null,
        funding: st ? { rate: st.rate, intervalHours: this.noteSettlement(s, st.ts), settledAt: st.ts } : null,
        liquidation: b ? ({ longUsd: b.longUsd, shortUsd: b.shortUsd, kind: 'observed', source: LIQUIDATION_SOURCE } satisfies LiquidationInput) : null,
      };
    });
    const result = this.pipeline.step(h, hours);
    killPoint('step');
    const features = result.features.map((f) => toFeatureRow(f));
    const alerts = [...result.alerts];
    const liq = Object.fromEntries(this.symbols.map((s) => [s, buckets[s] ? 'observed' : null]));

    // history first, the hour's record second: the record is the commit point, so a crash between the two
    // re-steps the hour after a restart (its rows are simply restated), and a recorded hour is always in history
    for (const s of this.symbols) {
      const c = candles.get(s);
      if (c) {
        this.addPending('candles_1h', this.spotVenue, s, h, candleValues(c));
        this.addPrice(s, h, c.close, c.high, c.low);
      }
      const st = funding.get(s);
      if (st) this.addPending('funding', 'binanceusdm', s, st.ts, fundingValues(st, this.intervalOf(s, st.ts)));
      const b = buckets[s];
      if (b) {
        this.addPending('liquidations_1h', LIQUIDATION_VENUE, s, h, {
          long_liq_usd: b.longUsd, short_liq_usd: b.shortUsd, total_liq_usd: b.longUsd + b.shortUsd, kind: 'observed', source: LIQUIDATION_SOURCE,
        });
      }
    }
    // a failed append stays pending and is tried again next hour; the loop goes on
    if (++this.hoursSinceCommit >= live.commit_every_hours) await this.flushCommits().catch(() => undefined);
    killPoint('append');

    if (missed.length > 0) {
      await this.store.addMissed(missed);
      this.missedQueued = true;
    }
    await this.store.recordHour(
      { ts: h, mode: 'live', missing: [...result.missing], flags, liq, features, alerts: alerts.map((a) => this.stored(a, false)) },
      this.paper,
      this.opts.clock.now(),
    );
    killPoint('commit');
    this.worker?.notify();
    const processMs = performance.now() - t0;
    this.hoursStepped++;
    this.lastHour = h;
    if (live.score_every_hours > 0 && ++this.hoursSinceScore >= live.score_every_hours) await this.score();
    const report: HourReport = { ts: h, mode: 'live', features, alerts, flags, missing: [...result.missing], processMs };
    this.log.info({ hour: new Date(h).toISOString(), alerts: alerts.length, flags, processMs: Math.round(processMs) }, 'hour stepped');
    this.emit('hour', report);
    this.emit('update');
  }

  private stored(a: Alert, late: boolean): StoredAlert {
    // late alerts are sent only while still useful; either way they are stored and scored
    const fresh = !late || this.opts.clock.now() - (a.ts + HOUR_MS) <= this.cfg.live.late_alert_max_age_hours * HOUR_MS;
    const targets = fresh ? endpointsFor(this.endpoints, a.source).map((e) => ({ id: e.id, redacted: e.redacted, kind: e.kind })) : [];
    return { alert: a, late, targets };
  }

  // ---- warm-up and rebuild -------------------------------------------------------------------------------------

  /**
   * A fresh pipeline replayed over the stored history from `origin` through `lastHour`. With `emitFrom`, alerts
   * from that hour on that the store does not have yet are stored as late; on start (`catchUp`) the hours the
   * previous run did not step get their hour rows too.
   */
  private async rebuild(lastHour: number, emitFrom: number | null, catchUp: boolean): Promise<void> {
    await this.flushCommits();
    const t0 = performance.now();
    const pipeline = new Pipeline(this.cfg.pipeline);
    let data: ReplayData | null = null;
    const store = await openStore({ datasetsDir: this.opts.datasetsDir, venues: { candles_1h: this.spotVenue } });
    try {
      data = await loadReplayData(store, [...this.symbols], { from: this.origin, to: lastHour + HOUR_MS });
      // prices for the running scorecard, from the first live hour on
      for (const s of data.series) {
        const p = { ts: [] as number[], close: [] as number[], high: [] as number[], low: [] as number[] };
        for (let i = 0; i < s.candles.ts.length; i++) {
          if (s.candles.ts[i] < this.scoreFrom) continue;
          p.ts.push(s.candles.ts[i]);
          p.close.push(s.candles.close[i]);
          p.high.push(s.candles.high[i]);
          p.low.push(s.candles.low[i]);
        }
        this.prices.set(s.symbol, p);
      }
    } catch (err) {
      await this.fault(lastHour, 'warmup_no_history', `${(err as Error).message}; the detectors start cold`);
    } finally {
      store.close();
    }
    const emitted: Alert[] = [];
    const rows = new Map<number, { features: FeatureRow[]; alerts: Alert[]; missing: string[] }>();
    // only hours at or after the live start may produce live events: older ones are history, not news
    const keep = emitFrom === null ? Infinity : Math.max(emitFrom, Number.isFinite(this.liveFrom) ? this.liveFrom : -Infinity);
    const onStep = (step: ReturnType<Pipeline['step']>) => {
      if (step.ts < keep) return;
      emitted.push(...step.alerts);
      if (catchUp) rows.set(step.ts, { features: step.features.map((f) => toFeatureRow(f)), alerts: [...step.alerts], missing: [...step.missing] });
    };
    let stepped = this.origin - HOUR_MS;
    if (data) {
      const res = runReplay(data, this.cfg.pipeline, { pipeline, until: lastHour, emitFrom: keep, onStep });
      stepped = res.lastHour;
      for (const s of data.series) this.settlements.set(s.symbol, [...s.funding.ts].map((ts, i) => ({ ts, interval: s.funding.intervalHours[i] })));
    }
    // hours after the last stored candle (or all of them without history) are stepped from what the store has
    for (let t = Math.max(stepped + HOUR_MS, this.origin); t <= lastHour; t += HOUR_MS) {
      onStep(pipeline.step(t, this.symbols.map((s) => hourFromSeries(data?.series.find((x) => x.symbol === s) ?? null, s, t))));
    }
    this.pipeline = pipeline;
    if (catchUp && rows.size > 0) {
      for (const [ts, r] of [...rows.entries()].sort((a, b) => a[0] - b[0])) {
        await this.store.recordHour(
          { ts, mode: 'catchup', missing: r.missing, flags: ['catchup'], liq: {}, features: r.features, alerts: r.alerts.map((a) => this.stored(a, true)) },
          this.paper,
          this.opts.clock.now(),
        );
      }
    } else if (emitted.length > 0) {
      const inserted = await this.store.recordLateAlerts(emitted.map((a) => this.stored(a, true)), this.paper, this.opts.clock.now());
      if (inserted.length > 0) this.log.warn({ alerts: inserted }, 'alerts found late after a back-fill');
    }
    this.worker?.notify();
    this.log.info({ through: new Date(lastHour).toISOString(), ms: Math.round(performance.now() - t0), late: emitted.length }, 'pipeline rebuilt from history');
  }

  // ---- back-fill -----------------------------------------------------------------------------------------------

  private async backfillOnStart(first: number): Promise<void> {
    const common = {
      symbols: [...this.symbols],
      since: this.origin,
      until: first,
      datasetsDir: this.opts.datasetsDir,
      apiBaseUrl: this.opts.apiBaseUrl,
      now: () => this.opts.clock.now(),
      sleep: this.sleep,
      logger: this.log,
      maxAttempts: this.cfg.live.retry_delays_ms.length + 1,
      backoffMs: this.cfg.live.retry_delays_ms[0] ?? 1000,
      maxRetryAfterMs: this.cfg.live.max_retry_after_ms,
      exchangeOptions: this.opts.exchangeOptions,
    };
    for (const job of [
      { exchange: this.exchange, tables: ['candles_1h' as const] },
      { exchange: 'binanceusdm' as const, tables: ['funding' as const] },
    ]) {
      // a restart finds its history complete (the loop appends every hour it steps); fetchHistory would then ask
      // for nothing, after building a ccxt client, loading markets and opening DuckDB per series (≈ 0.4 s of CPU each)
      if (storedThrough(this.opts.datasetsDir, EXCHANGE_PROFILES[job.exchange].venue, job.tables[0], this.symbols, first)) {
        this.log.debug({ exchange: job.exchange }, 'history complete: nothing to back-fill on start');
        continue;
      }
      try {
        const r = await fetchHistory({ ...common, ...job });
        this.log.info({ exchange: job.exchange, added: r.added, requests: r.requests }, 'back-filled on start');
      } catch (err) {
        await this.fault(first, 'backfill_failed', `${job.exchange} ${job.tables.join(',')}: ${(err as Error).message}`);
        // the hours the start could not get are asked for again hour by hour (the last day of them)
        const rows: Omit<MissedRow, 'attempts'>[] = [];
        for (let t = Math.max(first - 24 * HOUR_MS, this.origin); t < first; t += HOUR_MS) {
          for (const s of this.symbols) rows.push({ ts: t, symbol: s, what: job.tables[0] === 'funding' ? 'funding' : 'candle', reason: 'startup' });
        }
        await this.store.addMissed(rows);
        this.missedQueued = true;
      }
    }
  }

  /** fetches the queued missing pieces; returns the earliest hour whose data changed, or null */
  private async backfillMissed(now: number): Promise<number | null> {
    if (!this.missedQueued) return null;
    const queued = await this.store.missed();
    this.missedQueued = queued.length > 0;
    const all = queued.filter((m) => m.ts < now);
    if (all.length === 0) return null;
    let affected: number | null = null;
    const resolved: MissedRow[] = [];
    const tried: MissedRow[] = [];
    for (const s of this.symbols) {
      for (const what of ['candle', 'funding'] as const) {
        const rows = all.filter((m) => m.symbol === s && m.what === what);
        if (rows.length === 0) continue;
        const from = rows[0].ts;
        const to = Math.min(rows[rows.length - 1].ts + HOUR_MS, from + 1000 * HOUR_MS);
        if (what === 'candle') {
          const r = await this.rest.candles(s, from, to);
          if (!r.ok) {
            tried.push(...rows);
            continue;
          }
          const got = new Map(r.value.map((c) => [c.ts, c]));
          for (const m of rows) {
            const c = got.get(m.ts);
            if (!c) {
              tried.push(m);
              continue;
            }
            resolved.push(m);
            if (!(await this.accepted(m.ts, 'candles_1h', this.spotVenue, s, c.ts, candleValues(c), []))) continue;
            this.addPending('candles_1h', this.spotVenue, s, c.ts, candleValues(c));
            affected = affected === null ? m.ts : Math.min(affected, m.ts);
          }
        } else {
          const r = await this.rest.funding(s, from, to);
          if (!r.ok) {
            tried.push(...rows);
            continue;
          }
          for (const m of rows) {
            resolved.push(m);
            const st = r.value.find((x) => x.ts === m.ts);
            if (!st) continue;
            const values = fundingValues(st, this.settlements.get(s)?.find((x) => x.ts === st.ts)?.interval ?? 8);
            if (!(await this.accepted(m.ts, 'funding', 'binanceusdm', s, st.ts, values, []))) continue;
            values.funding_interval_hours = this.noteSettlement(s, st.ts);
            this.addPending('funding', 'binanceusdm', s, st.ts, values);
            affected = affected === null ? m.ts : Math.min(affected, m.ts);
          }
        }
      }
    }
    await this.store.settleMissed(resolved, tried, this.cfg.live.backfill_attempts);
    if (resolved.length > 0) this.log.info({ resolved: resolved.length, stillMissing: tried.length }, 'back-filled missed hours');
    return affected;
  }

  // ---- funding interval bookkeeping ----------------------------------------------------------------------------

  /** records a settlement hour and returns its interval: the spacing to the previous one when it is a nominal schedule */
  private noteSettlement(symbol: string, ts: number): number {
    let list = this.settlements.get(symbol);
    if (!list) this.settlements.set(symbol, (list = []));
    const existing = list.find((x) => x.ts === ts);
    if (existing) return existing.interval;
    let i = list.length;
    while (i > 0 && list[i - 1].ts > ts) i--;
    const prev = i > 0 ? list[i - 1] : null;
    let interval = prev ? prev.interval : 8;
    if (prev) {
      const spacing = (ts - prev.ts) / HOUR_MS;
      if (NOMINAL_FUNDING_INTERVALS.has(spacing)) interval = spacing;
    }
    list.splice(i, 0, { ts, interval });
    if (list.length > 2000) list.splice(0, list.length - 2000);
    return interval;
  }

  private intervalOf(symbol: string, ts: number): number {
    return this.settlements.get(symbol)?.find((x) => x.ts === ts)?.interval ?? this.noteSettlement(symbol, ts);
  }

  // ---- quarantine ----------------------------------------------------------------------------------------------

  /**
   * Whether an exchange value passes the dataset's own checks. One that does not is quarantined — stored in the
   * rejects table with the reason, flagged and recorded as a fault — and the hour goes on without it, so one bad
   * value can neither stop the history appends nor the loop.
   */
  private async accepted(hour: number, table: TableName, venue: string, symbol: string, ts: number, values: Record<string, number | string | null>, flags: string[]): Promise<boolean> {
    const reason = rowProblem(table, venue, symbol, ts, values);
    if (reason === null) return true;
    flags.push(`quarantined:${table}:${symbol}`);
    await this.store.addReject({ at: this.opts.clock.now(), hour, table, venue, symbol, ts, reason, values: JSON.stringify(values) }).catch(() => undefined);
    await this.fault(hour, 'quarantined', `${venue}/${table} ${symbol} ${new Date(ts).toISOString()}: ${reason}`);
    return false;
  }

  // ---- Parquet -------------------------------------------------------------------------------------------------

  private addPending(table: TableName, venue: string, symbol: string, ts: number, values: Record<string, number | string | null>): void {
    const key = `${venue}|${table}|${symbol}`;
    let p = this.pending.get(key);
    if (!p) this.pending.set(key, (p = { table, venue, symbol, rows: new Map() }));
    p.rows.set(ts, values);
  }

  /** appends everything fetched since the last commit to the dataset, in one journaled commit */
  async flushCommits(): Promise<void> {
    this.hoursSinceCommit = 0;
    if (this.pending.size === 0) return;
    const batches: ColumnBatch[] = [];
    for (const [key, p] of this.pending) {
      const b = new BatchBuilder(`live ${p.venue}/${p.table} ${p.symbol}`, p.table, p.venue, p.symbol);
      for (const [ts, v] of [...p.rows.entries()].sort((a, c) => a[0] - c[0])) {
        const reason = rowProblem(p.table, p.venue, p.symbol, ts, v);
        if (reason === null) b.add(b.size + 1, ts, v);
        else {
          // checked before it was queued; a row that still fails must not block every later append
          p.rows.delete(ts);
          await this.store.addReject({ at: this.opts.clock.now(), hour: ts, table: p.table, venue: p.venue, symbol: p.symbol, ts, reason, values: JSON.stringify(v) }).catch(() => undefined);
          await this.fault(ts, 'quarantined', `${p.venue}/${p.table} ${p.symbol}: ${reason}`);
        }
      }
      if (b.size > 0) batches.push(b.finish());
      else this.pending.delete(key);
    }
    if (batches.length === 0) return;
    try {
      // a failed open is not kept: the next commit tries again
      this.commitDb ??= openCommitConnection().catch((err: unknown) => {
        this.commitDb = null;
        throw err;
      });
      await commitBatches(this.opts.datasetsDir, batches, { duckdb: await this.commitDb });
      this.pending.clear();
      this.noteProvenance();
    } catch (err) {
      await this.fault(null, 'commit_failed', (err as Error).message);
      throw err;
    }
  }

  private noteProvenance(): void {
    const file = provenancePath(this.opts.datasetsDir);
    const prov = fs.existsSync(file) ? readProvenance(this.opts.datasetsDir) : {};
    const notes: Record<string, string> = {
      [`${this.spotVenue}/candles_1h`]: `${EXCHANGE_PROFILES[this.exchange].describe} REST /api/v3/klines 1h (regime live)`,
      'binanceusdm/funding': 'Binance USDⓈ-M REST /fapi/v1/fundingRate (regime live)',
      [`${LIQUIDATION_VENUE}/liquidations_1h`]: `${LIQUIDATION_SOURCE}, hourly buckets, kind observed (regime live)`,
    };
    let changed = false;
    for (const [k, v] of Object.entries(notes)) {
      if (prov[k]?.includes(v)) continue;
      prov[k] = prov[k] ? `${prov[k]}; extended by ${v}` : v;
      changed = true;
    }
    if (changed) writeFileAtomic(file, JSON.stringify(prov, null, 1) + '\n');
  }

  // ---- scoring -------------------------------------------------------------------------------------------------

  private addPrice(symbol: string, ts: number, close: number, high: number, low: number): void {
    let p = this.prices.get(symbol);
    if (!p) this.prices.set(symbol, (p = { ts: [], close: [], high: [], low: [] }));
    if (p.ts.length > 0 && p.ts[p.ts.length - 1] >= ts) return;
    p.ts.push(ts);
    p.close.push(close);
    p.high.push(high);
    p.low.push(low);
  }

  /** the backtests' scorer over every stored live alert and the prices since the first live hour */
  async score(): Promise<Scorecard | null> {
    this.hoursSinceScore = 0;
    const series: PriceSeries[] = [...this.prices.entries()]
      .filter(([, p]) => p.ts.length > 1)
      .map(([symbol, p]) => ({ symbol, ts: Float64Array.from(p.ts), close: Float64Array.from(p.close), high: Float64Array.from(p.high), low: Float64Array.from(p.low) }));
    if (series.length === 0) return null;
    const events = await this.store.events({ since: this.scoreFrom });
    try {
      const card = scoreAlerts(series, events.map(toScorable), { permutations: this.cfg.live.score_permutations, include_alerts: true });
      this.lastScorecard = card;
      await this.store.saveScorecard(card, this.opts.clock.now());
      return card;
    } catch (err) {
      await this.fault(null, 'score_failed', (err as Error).message);
      return null;
    }
  }

  scorecard(): Scorecard | null {
    return this.lastScorecard;
  }

  streamState(): { up: boolean; connections: number; received: number; late: number; malformed: number; reconnects: number } | null {
    if (!this.stream) return null;
    const a = this.aggregator;
    return { up: a.isUp, connections: a.connections, received: a.received, late: a.late, malformed: a.malformed, reconnects: this.stream.reconnects };
  }
}

function candleValues(c: LiveCandle): Record<string, number | string | null> {
  return { open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, quote_volume: c.quote_volume, trades: c.trades };
}

function fundingValues(st: LiveSettlement, interval: number): Record<string, number | string | null> {
  return { funding_rate: st.rate, funding_interval_hours: interval, calc_time_ms: st.fundingTime, source: FUNDING_SOURCE };
}

/**
 * Whether the dataset's committed manifest shows every symbol's series of `table` stored through the hour before
 * `until`: fetchHistory resumes each series after its last stored row and would request nothing. A dataset
 * without generations (its manifest may lag its files) never counts as complete.
 */
export function storedThrough(datasetsDir: string, venue: string, table: TableName, symbols: readonly string[], until: number): boolean {
  let manifest: Manifest | null;
  try {
    manifest = readManifest(datasetsDir);
  } catch {
    return false;
  }
  if (!manifest || typeof manifest.generation !== 'number') return false;
  const series = manifest.tables[table]?.series ?? [];
  return symbols.every((s) => {
    const stored = series.find((x) => x.venue === venue && x.symbol === s);
    return stored !== undefined && stored.last_ms + HOUR_MS >= until;
  });
}

/** the dataset's complaint about one row (engine/data's own checks), or null when it would be stored */
export function rowProblem(table: TableName, venue: string, symbol: string, ts: number, values: Record<string, number | string | null>): string | null {
  try {
    new BatchBuilder(`live ${venue}/${table} ${symbol}`, table, venue, symbol).add(1, ts, values);
    return null;
  } catch (err) {
    if (err instanceof InputError) return err.message.replace(/^.*?line 1, /, '');
    throw err;
  }
}

/** the SymbolHour a replay would build for hour t from loaded series (used past the last stored candle) */
export function hourFromSeries(s: SymbolSeries | null, symbol: string, t: number): SymbolHour {
  if (!s) return { symbol, ts: t, candle: null, funding: null, liquidation: null };
  const find = (ts: Float64Array, lo: number, hi: number): number => {
    for (let i = 0; i < ts.length; i++) if (ts[i] >= lo && ts[i] < hi) return i;
    return -1;
  };
  const c = find(s.candles.ts, t, t + 1);
  let f = -1;
  for (let i = 0; i < s.funding.ts.length; i++) if (s.funding.ts[i] >= t && s.funding.ts[i] < t + HOUR_MS) f = i;
  const l = find(s.liquidations.ts, t, t + 1);
  return {
    symbol,
    ts: t,
    candle: c < 0 ? null : { open: s.candles.open[c], high: s.candles.high[c], low: s.candles.low[c], close: s.candles.close[c], volume: s.candles.volume[c] },
    funding: f < 0 ? null : { rate: s.funding.rate[f], intervalHours: s.funding.intervalHours[f], settledAt: s.funding.ts[f] },
    liquidation: l < 0 ? null : { longUsd: s.liquidations.longUsd[l], shortUsd: s.liquidations.shortUsd[l], kind: KINDS[s.liquidations.kind[l]], source: `dataset:${KINDS[s.liquidations.kind[l]]}` },
  };
}
