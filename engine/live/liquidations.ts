/**
 * Liquidations from Binance USDⓈ-M's forceOrder stream (ccxt pro watchLiquidationsForSymbols), aggregated into
 * hourly buckets. The stream pushes at most one liquidation order per symbol per second — during a cascade it
 * drops most of them — so its buckets are stored as kind `observed` with a source that says it undercounts.
 * An hour counts only if the stream was up for it (disconnected at most `maxGapMs` within it); any other hour is
 * "no data" (null), never zero.
 */
import { ccxt } from '../data/ccxt-binance.ts';
import type { Logger } from '../log.ts';
import { rewriteApiUrls } from '../data/fetch-ccxt.ts';
import { HOUR_MS } from '../pipeline/input.ts';

export const LIQUIDATION_VENUE = 'binanceusdm';
export const LIQUIDATION_SOURCE = 'binanceusdm_forceOrder_stream(undercounts: max 1 event/symbol/s)';

export interface LiquidationEvent {
  symbol: string;
  /** SELL: a long position was liquidated (the engine sold it); BUY: a short */
  side: 'BUY' | 'SELL';
  usd: number;
  /** order trade time, epoch ms */
  time: number;
}

export interface Bucket {
  longUsd: number;
  shortUsd: number;
}

/**
 * A forceOrder payload → event. USD notional = average price × filled quantity (the order's own numbers; ccxt's
 * parsed form drops the average price's precision in places), price × quantity when no fill is reported.
 */
export function parseForceOrder(message: unknown): LiquidationEvent | null {
  if (!message || typeof message !== 'object') return null;
  const o = (message as Record<string, unknown>).o as Record<string, unknown> | undefined;
  if (!o || typeof o !== 'object') return null;
  const symbol = o.s;
  const side = o.S;
  const time = Number(o.T ?? (message as Record<string, unknown>).E);
  const ap = Number(o.ap);
  const z = Number(o.z);
  const p = Number(o.p);
  const q = Number(o.q);
  const usd = ap > 0 && z > 0 ? ap * z : p * q;
  if (typeof symbol !== 'string' || (side !== 'BUY' && side !== 'SELL') || !Number.isFinite(time) || !Number.isFinite(usd) || usd < 0) return null;
  return { symbol, side, usd, time };
}

export class LiquidationAggregator {
  readonly symbols: readonly string[];
  private readonly maxGapMs: number;
  /** closed downtime intervals, plus the open one while disconnected (end = Infinity) */
  private readonly down: { start: number; end: number }[] = [{ start: -Infinity, end: Infinity }];
  private readonly buckets = new Map<number, Map<string, Bucket>>();
  private finalizedThrough = -Infinity;
  received = 0;
  late = 0;
  malformed = 0;
  connections = 0;

  constructor(symbols: readonly string[], maxGapMs: number) {
    this.symbols = symbols;
    this.maxGapMs = maxGapMs;
  }

  get isUp(): boolean {
    return this.down[this.down.length - 1].end !== Infinity;
  }

  connected(at: number): void {
    const last = this.down[this.down.length - 1];
    if (last.end === Infinity) last.end = Math.max(last.start, at);
    this.connections++;
  }

  disconnected(at: number): void {
    if (!this.isUp) return;
    this.down.push({ start: at, end: Infinity });
  }

  add(e: LiquidationEvent): 'added' | 'late' | 'ignored' {
    if (!this.symbols.includes(e.symbol)) return 'ignored';
    const hour = Math.floor(e.time / HOUR_MS) * HOUR_MS;
    if (hour <= this.finalizedThrough) {
      // the hour was already stepped; adding it now would make history differ from what the live loop used
      this.late++;
      return 'late';
    }
    this.received++;
    let m = this.buckets.get(hour);
    if (!m) this.buckets.set(hour, (m = new Map()));
    let b = m.get(e.symbol);
    if (!b) m.set(e.symbol, (b = { longUsd: 0, shortUsd: 0 }));
    if (e.side === 'SELL') b.longUsd += e.usd;
    else b.shortUsd += e.usd;
    return 'added';
  }

  downtimeWithin(from: number, to: number): number {
    let total = 0;
    for (const d of this.down) total += Math.max(0, Math.min(to, d.end) - Math.max(from, d.start));
    return total;
  }

  /** the hour's buckets (zero where the stream was up and nothing came), or null per symbol without coverage */
  finalize(hour: number): Record<string, Bucket | null> {
    const covered = this.downtimeWithin(hour, hour + HOUR_MS) <= this.maxGapMs;
    const m = this.buckets.get(hour);
    const out: Record<string, Bucket | null> = {};
    for (const s of this.symbols) out[s] = covered ? { ...(m?.get(s) ?? { longUsd: 0, shortUsd: 0 }) } : null;
    for (const h of [...this.buckets.keys()]) if (h <= hour) this.buckets.delete(h);
    this.finalizedThrough = Math.max(this.finalizedThrough, hour);
    // downtime older than a day is never asked about again
    while (this.down.length > 1 && this.down[0].end < hour - 24 * HOUR_MS) this.down.shift();
    return out;
  }
}

export interface LiquidationStreamOptions {
  symbols: readonly string[];
  aggregator: LiquidationAggregator;
  now: () => number;
  apiBaseUrl?: string;
  logger: Logger;
  reconnectDelaysMs: readonly number[];
  /** reconnect waits; real time by default whatever the loop's clock */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  exchangeOptions?: Record<string, unknown>;
  onFault?: (kind: string, detail: string) => void;
}

type ProBinance = InstanceType<typeof ccxt.pro.binanceusdm>;

export class LiquidationStream {
  private readonly opts: LiquidationStreamOptions;
  private ex: ProBinance | null = null;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private connectWaiters: (() => void)[] = [];
  reconnects = 0;

  constructor(opts: LiquidationStreamOptions) {
    this.opts = opts;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** resolves when connected (true) or after timeoutMs (false) */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.opts.aggregator.isUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.connectWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  private newExchange(): ProBinance {
    const ex = new ccxt.pro.binanceusdm({ ...this.opts.exchangeOptions, enableRateLimit: true }) as ProBinance;
    if (this.opts.apiBaseUrl) rewriteApiUrls(ex.urls.api, this.opts.apiBaseUrl);
    const agg = this.opts.aggregator;
    const x = ex as unknown as Record<string, unknown>;
    const handleMessage = (ex.handleMessage as (client: unknown, message: unknown) => unknown).bind(ex);
    // ccxt resolves a watcher with one order per message and drops orders that arrive before the caller awaits
    // again, so every forceOrder is taken here, as the message is dispatched, in arrival order
    x.handleLiquidation = (_client: unknown, message: unknown) => {
      const e = parseForceOrder(message);
      if (!e) {
        agg.malformed++;
        this.opts.onFault?.('liquidation_malformed', JSON.stringify(message)?.slice(0, 200) ?? String(message));
        return;
      }
      if (agg.add(e) === 'late') this.opts.onFault?.('liquidation_late', `${e.symbol} order at ${new Date(e.time).toISOString()} arrived after its hour was stepped`);
    };
    x.handleMessage = (client: unknown, message: unknown) => {
      if (message === null || typeof message !== 'object') {
        agg.malformed++;
        this.opts.onFault?.('liquidation_malformed', String(message).slice(0, 200));
        return;
      }
      try {
        return handleMessage(client, message);
      } catch (err) {
        agg.malformed++;
        this.opts.onFault?.('liquidation_malformed', (err as Error).message);
      }
    };
    x.onConnected = () => {
      agg.connected(this.opts.now());
      for (const w of this.connectWaiters.splice(0)) w();
    };
    const onClose = (ex.onClose as (c: unknown, e: unknown) => void).bind(ex);
    x.onClose = (client: unknown, event: unknown) => {
      agg.disconnected(this.opts.now());
      onClose(client, event);
    };
    const onError = (ex.onError as (c: unknown, e: unknown) => void).bind(ex);
    x.onError = (client: unknown, error: unknown) => {
      agg.disconnected(this.opts.now());
      onError(client, error);
    };
    return ex;
  }

  private async loop(): Promise<void> {
    const { logger, reconnectDelaysMs: delays } = this.opts;
    const sleep = this.opts.sleep ?? ((ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new Error('aborted'));
      }, { once: true });
    }));
    let failures = 0;
    let connectionsAtFailure = 0;
    while (this.running) {
      try {
        this.ex ??= this.newExchange();
        // ccxt refuses plain ws:// (a local fake) until it has an http agent for it
        if (this.opts.apiBaseUrl?.startsWith('http:')) await this.ex.loadHttpProxyAgent();
        if (!this.ex.markets) await this.ex.loadMarkets();
        const ids = this.opts.symbols.map((id) => {
          const m = Object.values(this.ex!.markets ?? {}).find((mk) => mk?.id === id && mk.swap && mk.linear);
          if (!m) throw new Error(`binanceusdm has no USDⓈ-M perpetual ${id}`);
          return m.symbol;
        });
        // pending until a disconnect rejects it: orders are taken in handleLiquidation, not from its result
        await this.ex.watchLiquidationsForSymbols(ids);
      } catch (err) {
        if (!this.running) break;
        this.opts.aggregator.disconnected(this.opts.now());
        // a connection that worked since the last failure starts the backoff over
        if (this.opts.aggregator.connections > connectionsAtFailure) failures = 0;
        connectionsAtFailure = this.opts.aggregator.connections;
        const wait = delays[Math.min(failures, delays.length - 1)] ?? 1000;
        failures++;
        this.reconnects++;
        this.opts.onFault?.('liquidation_stream_down', (err as Error).message?.slice(0, 200) ?? String(err));
        logger.warn({ err: (err as Error).message, waitMs: wait }, 'liquidation stream down; reconnecting');
        // a fresh exchange instance: ccxt keeps a failed client's state (and its markets promise) otherwise
        await this.closeExchange();
        try {
          await sleep(wait, this.abort.signal);
        } catch {
          break;
        }
      }
    }
  }

  private async closeExchange(): Promise<void> {
    const ex = this.ex;
    this.ex = null;
    if (ex) await ex.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.opts.aggregator.disconnected(this.opts.now());
    await this.closeExchange();
    await this.loopDone?.catch(() => undefined);
  }
}
