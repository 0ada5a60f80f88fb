/**
 * The live loop's REST side: the closed candles of an hour (spot, binanceus by default) and the funding
 * settlements of an hour (USDⓈ-M), through ccxt's raw endpoints like `regime fetch`. A failed request is retried
 * after 1 s, 2 s and 4 s (configurable, on the injected sleep); 429/418 wait what Retry-After says, and a ban
 * longer than the allowed wait is remembered so later hours do not hammer the exchange before it ends. A body
 * that is not what the endpoint promises (HTML, cut-off JSON, a row with a missing field) counts as a failed
 * attempt. After the last attempt the caller gets a failure to flag — never an exception.
 */
import { ccxt } from '../data/ccxt-binance.ts';
import type { Logger } from '../log.ts';
import { createExchange, EXCHANGE_PROFILES, type FetchExchangeId } from '../data/fetch-ccxt.ts';
import { HOUR_MS } from '../pipeline/input.ts';

type CcxtBinance = InstanceType<typeof ccxt.binance>;

export type FailureKind = 'rate_limited' | 'server' | 'network' | 'malformed' | 'rejected';
export type Outcome<T> = { ok: true; value: T } | { ok: false; kind: FailureKind; reason: string };

export interface LiveCandle {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quote_volume: number;
  trades: number;
}

export interface LiveSettlement {
  /** nominal settlement hour */
  ts: number;
  /** as reported (a few ms after the hour on Binance) */
  fundingTime: number;
  rate: number;
}

export class MalformedResponse extends Error {}

export interface RestSourceOptions {
  spotExchange: FetchExchangeId;
  apiBaseUrl?: string;
  retryDelaysMs: readonly number[];
  maxRetryAfterMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  logger: Logger;
  timeoutMs?: number;
  exchangeOptions?: Record<string, unknown>;
  /** called for each failed attempt (for the fault log) */
  onFault?: (what: string, kind: FailureKind, reason: string) => void;
}

interface Conn {
  ex: CcxtBinance;
  id: string;
  status: number | null;
  headers: Record<string, string> | null;
  bannedUntil: number;
}

function num(raw: unknown, what: string): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new MalformedResponse(`${what}: ${JSON.stringify(raw)?.slice(0, 40)} is not a number`);
  return n;
}

export function parseLiveKline(raw: unknown, where: string): LiveCandle {
  if (!Array.isArray(raw) || raw.length < 9) throw new MalformedResponse(`${where}: expected a kline array, got ${JSON.stringify(raw)?.slice(0, 80)}`);
  const ts = num(raw[0], `${where} open_time`);
  const closeTime = num(raw[6], `${where} close_time`);
  if (ts % HOUR_MS !== 0 || closeTime - ts !== HOUR_MS - 1) throw new MalformedResponse(`${where}: bar ${ts}..${closeTime} is not one hour`);
  const c: LiveCandle = {
    ts,
    open: num(raw[1], `${where} open`),
    high: num(raw[2], `${where} high`),
    low: num(raw[3], `${where} low`),
    close: num(raw[4], `${where} close`),
    volume: num(raw[5], `${where} volume`),
    quote_volume: num(raw[7], `${where} quote_volume`),
    trades: num(raw[8], `${where} trades`),
  };
  if (!(c.open > 0 && c.high > 0 && c.low > 0 && c.close > 0)) throw new MalformedResponse(`${where}: non-positive price`);
  if (c.high < Math.max(c.open, c.close, c.low) || c.low > Math.min(c.open, c.close)) throw new MalformedResponse(`${where}: high/low inconsistent with open/close`);
  if (c.volume < 0 || c.quote_volume < 0 || c.trades < 0) throw new MalformedResponse(`${where}: negative volume`);
  return c;
}

export function parseLiveSettlement(raw: unknown, symbol: string, where: string): LiveSettlement {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new MalformedResponse(`${where}: expected a funding object`);
  const r = raw as Record<string, unknown>;
  if (r.symbol !== undefined && r.symbol !== symbol) throw new MalformedResponse(`${where}: row for ${String(r.symbol)}, not ${symbol}`);
  const fundingTime = num(r.fundingTime, `${where} fundingTime`);
  const rate = num(r.fundingRate, `${where} fundingRate`);
  return { ts: Math.round(fundingTime / HOUR_MS) * HOUR_MS, fundingTime, rate };
}

function parseRetryAfterHeader(headers: Record<string, string> | null, now: number): number | null {
  const raw = headers?.['Retry-After'] ?? headers?.['retry-after'];
  if (raw === undefined) return null;
  const s = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

export class RestSource {
  private readonly opts: RestSourceOptions;
  private readonly spot: Conn;
  private readonly usdm: Conn;
  requests = 0;

  constructor(opts: RestSourceOptions) {
    this.opts = opts;
    const conn = (id: FetchExchangeId): Conn => {
      const ex = createExchange(id, { apiBaseUrl: opts.apiBaseUrl, timeoutMs: opts.timeoutMs ?? 10_000, exchangeOptions: opts.exchangeOptions });
      const c: Conn = { ex, id, status: null, headers: null, bannedUntil: -Infinity };
      const orig = ex.onRestResponse.bind(ex);
      // ccxt's errors carry neither the status nor Retry-After; capture them as the answer arrives
      ex.onRestResponse = (status: number, statusText: unknown, url: unknown, method: unknown, headers: Record<string, string>, ...rest: unknown[]) => {
        c.status = status;
        c.headers = headers;
        return orig(status, statusText, url, method, headers, ...(rest as [unknown, unknown, unknown]));
      };
      return c;
    };
    if (EXCHANGE_PROFILES[opts.spotExchange].market !== 'spot') throw new Error(`${opts.spotExchange} is not a spot exchange`);
    this.spot = conn(opts.spotExchange);
    this.usdm = conn('binanceusdm');
  }

  /** closed candles with open time in [from, to), ascending; bars not yet closed at now() are dropped */
  candles(symbol: string, from: number, to: number): Promise<Outcome<LiveCandle[]>> {
    const end = Math.min(to, Math.floor(this.opts.now() / HOUR_MS) * HOUR_MS);
    const what = `${this.spot.id} klines ${symbol} ${new Date(from).toISOString()}`;
    return this.call(this.spot, what, () => this.spot.ex.publicGetKlines({ symbol, interval: '1h', startTime: from, endTime: end - 1, limit: 1000 }), (body) => {
      if (!Array.isArray(body)) throw new MalformedResponse(`${what}: expected a JSON array, got ${JSON.stringify(body)?.slice(0, 80)}`);
      const out = body.map((row, i) => parseLiveKline(row, `${what} row ${i + 1}`)).filter((c) => c.ts >= from && c.ts < end);
      for (let i = 1; i < out.length; i++) if (out[i].ts <= out[i - 1].ts) throw new MalformedResponse(`${what}: rows out of order`);
      return out;
    });
  }

  /** settlements whose nominal hour is in [from, to) */
  funding(symbol: string, from: number, to: number): Promise<Outcome<LiveSettlement[]>> {
    const what = `binanceusdm fundingRate ${symbol} ${new Date(from).toISOString()}`;
    // a settlement reported a few ms early or late still rounds to its nominal hour: ask with a margin
    return this.call(this.usdm, what, () => this.usdm.ex.fapiPublicGetFundingRate({ symbol, startTime: from - 60_000, endTime: to + 59_999, limit: 1000 }), (body) => {
      if (!Array.isArray(body)) throw new MalformedResponse(`${what}: expected a JSON array, got ${JSON.stringify(body)?.slice(0, 80)}`);
      return body.map((row, i) => parseLiveSettlement(row, symbol, `${what} row ${i + 1}`)).filter((s) => s.ts >= from && s.ts < to).sort((a, b) => a.ts - b.ts);
    });
  }

  private async call<T>(c: Conn, what: string, fn: () => Promise<unknown>, validate: (body: unknown) => T): Promise<Outcome<T>> {
    const { retryDelaysMs: delays, sleep, logger } = this.opts;
    for (let attempt = 0; ; attempt++) {
      const now = this.opts.now();
      if (now < c.bannedUntil) {
        return { ok: false, kind: 'rate_limited', reason: `${c.id} asked us to wait until ${new Date(c.bannedUntil).toISOString()}` };
      }
      c.status = null;
      c.headers = null;
      this.requests++;
      let kind: FailureKind;
      let reason: string;
      let retryAfter: number | null = null;
      try {
        return { ok: true, value: validate(await fn()) };
      } catch (err) {
        const status = c.status;
        reason = `${status !== null ? `HTTP ${status}: ` : ''}${(err as Error).message}`.slice(0, 300);
        if (err instanceof MalformedResponse) kind = 'malformed';
        else if (err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded || status === 429 || status === 418) {
          kind = 'rate_limited';
          retryAfter = parseRetryAfterHeader(c.headers, now);
        } else if (err instanceof ccxt.BadResponse || err instanceof ccxt.NullResponse) kind = 'malformed';
        else if (status !== null && status >= 500) kind = 'server';
        else if (err instanceof ccxt.NetworkError) kind = 'network';
        else if (err instanceof ccxt.BaseError && status !== null && status >= 400) kind = 'rejected';
        else if (err instanceof ccxt.BaseError) kind = 'server';
        else kind = 'malformed';
      }
      this.opts.onFault?.(what, kind, reason);
      if (kind === 'rejected') return { ok: false, kind, reason };
      let wait = delays[Math.min(attempt, delays.length - 1)] ?? 0;
      if (retryAfter !== null) {
        wait = Math.max(wait, retryAfter);
        if (retryAfter > this.opts.maxRetryAfterMs) {
          c.bannedUntil = this.opts.now() + retryAfter;
          logger.warn({ what, waitMs: retryAfter }, 'rate limited beyond the allowed wait; giving up this request');
          return { ok: false, kind, reason };
        }
      }
      if (attempt >= delays.length) return { ok: false, kind, reason };
      logger.warn({ what, attempt: attempt + 1, kind, waitMs: wait, reason }, 'request failed, retrying');
      await sleep(wait);
    }
  }

  async close(): Promise<void> {
    for (const c of [this.spot, this.usdm]) {
      await c.ex.close().catch(() => undefined);
      const dispatcher = (c.ex as unknown as { fetchDispatcher?: { close?: () => Promise<void> } }).fetchDispatcher;
      await dispatcher?.close?.().catch(() => undefined);
    }
  }
}
