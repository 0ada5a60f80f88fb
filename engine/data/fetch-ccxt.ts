/**
 * `regime fetch`: downloads hourly history from Binance's public REST API through ccxt and merges it into the
 * dataset, resuming each (venue, table, symbol) after the last stored row.
 *
 * The raw endpoints (klines, markPriceKlines, fundingRate) are called through ccxt's implicit API rather than
 * fetchOHLCV/fetchFundingRateHistory: the unified parsers drop quote volume, trade count and close time, and turn
 * a malformed field into `undefined` silently, while here every field is checked and a bad one is named. ccxt
 * still does the URL building, rate limiting and error mapping.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ccxt } from './ccxt-binance.ts';
import { InputError, UserError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { BatchBuilder, type RowValues } from './batch-builder.ts';
import { commitBatches, recoverDataset, type ColumnBatch } from './dataset-writer.ts';
import { openDuckDB, queryRows, sqlPath, sqlString } from './duckdb.ts';
import { DEFAULT_DATASETS_DIR, assertSymbol, tableDir } from './layout.ts';
import { provenancePath, readProvenance } from './manifest.ts';
import { readSnapshot, snapshotFiles } from './snapshot.ts';
import { writeFileAtomic } from './atomic-file.ts';
import type { TableName } from './tables.ts';
import { parseTimeArg } from '../time.ts';
import { EXCHANGE_PROFILES, FETCH_EXCHANGES, type FetchExchangeId, type FetchTable } from './fetch-exchanges.ts';

export { EXCHANGE_PROFILES, FETCH_EXCHANGES, type FetchExchangeId, type FetchTable };

const HOUR = 3_600_000;

type CcxtBinance = InstanceType<typeof ccxt.binance>;

interface Endpoint {
  /** path for messages, e.g. /fapi/v1/klines */
  path: string;
  kind: 'kline' | 'funding';
  /** rows per request: 1000 is Binance's cheapest weight per row for klines and the maximum for fundingRate */
  limit: number;
  call: (ex: CcxtBinance, params: Record<string, unknown>) => Promise<unknown>;
}

const ENDPOINTS: Record<FetchTable, Endpoint> = {
  candles_1h: { path: '/api/v3/klines', kind: 'kline', limit: 1000, call: (ex, p) => ex.publicGetKlines(p) },
  perp_1h: { path: '/fapi/v1/klines', kind: 'kline', limit: 1000, call: (ex, p) => ex.fapiPublicGetKlines(p) },
  mark_1h: { path: '/fapi/v1/markPriceKlines', kind: 'kline', limit: 1000, call: (ex, p) => ex.fapiPublicGetMarkPriceKlines(p) },
  funding: { path: '/fapi/v1/fundingRate', kind: 'funding', limit: 1000, call: (ex, p) => ex.fapiPublicGetFundingRate(p) },
};

const PROVENANCE: Record<FetchTable, string> = {
  candles_1h: 'REST /api/v3/klines 1h',
  perp_1h: 'REST /fapi/v1/klines 1h',
  mark_1h: 'REST /fapi/v1/markPriceKlines 1h',
  funding: 'REST /fapi/v1/fundingRate',
};

export type FetchLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

export interface FetchProgress {
  table: FetchTable;
  symbol: string;
  /** rows fetched so far for this table and symbol in this run */
  fetchedBars: number;
  /** where this series started in this run (resume point), epoch ms */
  startMs: number;
  /** exclusive end of the series in this run, epoch ms */
  untilMs: number;
  /** everything before this is fetched, epoch ms */
  currentMs: number;
}

export interface FetchHistoryOptions {
  exchange: FetchExchangeId;
  /** Binance ids such as BTCUSDT */
  symbols: string[];
  /** epoch ms, ISO date/time (UTC when no zone), or Date */
  since: number | string | Date;
  /** exclusive; defaults to now. Only closed bars are stored either way. */
  until?: number | string | Date;
  /** default: the exchange's EXCHANGE_PROFILES defaultTables */
  tables?: FetchTable[];
  datasetsDir?: string;
  /** talk to another server (a test fake): scheme and host of every API URL are replaced, paths kept */
  apiBaseUrl?: string;
  now?: () => number;
  /** used for retry waits only (ccxt's own rate limiter keeps real time) */
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (p: FetchProgress) => void;
  logger?: FetchLogger;
  /** commit to the dataset every this many pages (and at the end of each series); default 20 */
  commitEveryPages?: number;
  /** attempts per request before giving up on 429/418/5xx/network errors; default 6 */
  maxAttempts?: number;
  /** first backoff wait; doubles per attempt; default 1000 ms */
  backoffMs?: number;
  /** a Retry-After longer than this fails at once instead of waiting (an IP ban can last days); default 10 min */
  maxRetryAfterMs?: number;
  /** ccxt request timeout, default 10 000 ms */
  timeoutMs?: number;
  /** extra ccxt constructor options (e.g. rateLimit); enableRateLimit is always on */
  exchangeOptions?: Record<string, unknown>;
}

export interface FetchSeriesReport {
  venue: string;
  table: FetchTable;
  symbol: string;
  ccxtSymbol: string;
  /** first requested time in this run (resume point) */
  startMs: number;
  /** exclusive end */
  untilMs: number;
  /** newest stored row before the run, or null */
  storedLastMs: number | null;
  fetched: number;
  added: number;
  replaced: number;
  filesWritten: number;
  requests: number;
}

export interface FetchReport {
  exchange: FetchExchangeId;
  venue: string;
  datasetsDir: string;
  series: FetchSeriesReport[];
  fetched: number;
  added: number;
  replaced: number;
  filesWritten: number;
  requests: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const iso = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', 'Z');

export { parseTimeArg };

/**
 * Points every URL in a ccxt `urls.api` tree at `baseUrl`, keeping each path: https://fapi.binance.com/fapi/v1 →
 * http://127.0.0.1:PORT/fapi/v1. Websocket entries keep a websocket scheme. Mutates and returns the tree.
 */
export function rewriteApiUrls<T>(api: T, baseUrl: string): T {
  const base = new URL(baseUrl);
  const host = base.host;
  const secure = base.protocol === 'https:';
  const rewrite = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const m = /^(https?|wss?):\/\/[^/?#]+(.*)$/i.exec(value);
      if (!m) return value;
      const ws = m[1].toLowerCase().startsWith('ws');
      const scheme = ws ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http';
      return `${scheme}://${host}${m[2]}`;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = rewrite(value[i]);
      return value;
    }
    if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) obj[k] = rewrite(obj[k]);
      return obj;
    }
    return value;
  };
  return rewrite(api) as T;
}

interface Session {
  ex: CcxtBinance;
  id: FetchExchangeId;
  /** status and headers of the last HTTP answer, captured because ccxt's errors carry neither */
  lastStatus: number | null;
  lastHeaders: Record<string, string> | null;
  requests: number;
  sleep: (ms: number) => Promise<void>;
  log: FetchLogger;
  maxAttempts: number;
  backoffMs: number;
  maxRetryAfterMs: number;
}

export function createExchange(id: FetchExchangeId, opts: Pick<FetchHistoryOptions, 'apiBaseUrl' | 'timeoutMs' | 'exchangeOptions'> = {}): CcxtBinance {
  const Ctor = ccxt[id];
  if (typeof Ctor !== 'function') throw new UserError(`unknown exchange '${id}' (known: ${FETCH_EXCHANGES.join(', ')})`);
  const ex = new Ctor({
    ...opts.exchangeOptions,
    enableRateLimit: true,
    timeout: opts.timeoutMs ?? 10_000,
    // spot history needs spot markets only; binance would otherwise also load USDⓈ-M and COIN-M market lists
    ...(id === 'binance' ? { options: { fetchMarkets: { types: ['spot'] } } } : {}),
  }) as CcxtBinance;
  if (opts.apiBaseUrl) rewriteApiUrls(ex.urls.api, opts.apiBaseUrl);
  return ex;
}

function parseRetryAfter(raw: string | undefined, now: number): number | null {
  if (raw === undefined || raw === null) return null;
  const s = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

async function request<T>(s: Session, what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    s.lastStatus = null;
    s.lastHeaders = null;
    s.requests++;
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ccxt.BaseError)) throw err;
      const status = s.lastStatus;
      const rateLimited = err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded || status === 429 || status === 418;
      const transient = rateLimited || err instanceof ccxt.NetworkError || (status !== null && status >= 500)
        || (err instanceof ccxt.OperationFailed && !(err instanceof ccxt.BadResponse));
      const reason = `${status !== null ? `HTTP ${status}: ` : ''}${err.message}`;
      if (!transient) throw new UserError(`${s.id} ${what} failed: ${reason}`);
      let wait = s.backoffMs * 2 ** (attempt - 1);
      if (rateLimited) {
        const retryAfter = parseRetryAfter(s.lastHeaders?.['Retry-After'] ?? s.lastHeaders?.['retry-after'], Date.now());
        if (retryAfter !== null) wait = retryAfter;
        if (wait > s.maxRetryAfterMs) {
          throw new UserError(
            `${s.id} ${what}: the exchange asks to wait ${Math.round(wait / 1000)} s before the next request` +
              `${status === 418 ? ' (HTTP 418: this IP is banned for a while after too many requests)' : ''}; try again later. ${reason}`,
          );
        }
      }
      if (attempt >= s.maxAttempts) {
        throw new UserError(`${s.id} ${what}: still failing after ${attempt} attempts (${rateLimited ? 'rate limited' : 'server or network error'}): ${reason}`);
      }
      s.log.warn({ exchange: s.id, what, attempt, waitMs: wait, status }, rateLimited ? 'rate limited, waiting' : 'request failed, retrying');
      await s.sleep(wait);
    }
  }
}

/** Newest stored ts of one series, read from its Parquet files; null when there are none. */
export async function lastStoredTs(datasetsDir: string, venue: string, table: TableName, symbol: string): Promise<number | null> {
  const files = snapshotFiles(datasetsDir, readSnapshot(datasetsDir), table, venue, symbol);
  if (files.length === 0) return null;
  const { instance, conn } = await openDuckDB();
  try {
    const list = files.map(sqlPath).join(', ');
    const [row] = await queryRows(conn, `SELECT epoch_ms(max(ts))::DOUBLE AS m FROM read_parquet([${list}], hive_partitioning = false)`);
    const m = row?.m;
    return m === null || m === undefined ? null : Number(m);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Rethrows a BatchBuilder complaint about one row as a complaint about that row of that response. */
function rowError(err: unknown, source: string, row: number): never {
  if (!(err instanceof InputError)) throw err;
  const where = [err.file, err.line === null ? null : `line ${err.line}`, err.field === null ? null : `field '${err.field}'`]
    .filter((p) => p !== null)
    .join(', ');
  const problem = err.message.startsWith(`${where}: `) ? err.message.slice(where.length + 2) : err.message;
  throw new InputError(source, row, err.field, problem);
}

function fieldNumber(raw: unknown, source: string, row: number, field: string, integer = false): number {
  if (raw === undefined || raw === null || raw === '') throw new InputError(source, row, field, 'missing value');
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new InputError(source, row, field, `${JSON.stringify(raw)} is not a number`);
  if (integer && !Number.isSafeInteger(n)) throw new InputError(source, row, field, `${JSON.stringify(raw)} is not an integer`);
  return n;
}

interface ParsedRow {
  /** the time paging advances from: bar open, or the raw settlement time */
  rawTime: number;
  ts: number;
  values: RowValues;
}

function parseKline(raw: unknown, table: FetchTable, source: string, row: number): ParsedRow {
  if (!Array.isArray(raw)) throw new InputError(source, row, null, `expected a kline array, got ${JSON.stringify(raw)?.slice(0, 80)}`);
  const openTime = fieldNumber(raw[0], source, row, 'open_time', true);
  const closeTime = fieldNumber(raw[6], source, row, 'close_time', true);
  if (closeTime - openTime !== HOUR - 1) {
    throw new InputError(source, row, 'close_time', `bar spans ${closeTime - openTime + 1} ms, not one hour`);
  }
  const ohlc = {
    open: fieldNumber(raw[1], source, row, 'open'),
    high: fieldNumber(raw[2], source, row, 'high'),
    low: fieldNumber(raw[3], source, row, 'low'),
    close: fieldNumber(raw[4], source, row, 'close'),
  };
  if (table === 'mark_1h') return { rawTime: openTime, ts: openTime, values: ohlc };
  const volume = fieldNumber(raw[5], source, row, 'volume');
  if (table === 'perp_1h') return { rawTime: openTime, ts: openTime, values: { ...ohlc, volume } };
  return {
    rawTime: openTime,
    ts: openTime,
    values: {
      ...ohlc,
      volume,
      quote_volume: fieldNumber(raw[7], source, row, 'quote_volume'),
      trades: fieldNumber(raw[8], source, row, 'trades', true),
    },
  };
}

interface FundingState {
  /** nominal time of the previous settlement (stored or just parsed) */
  prevTs: number | null;
  prevInterval: number;
}

/** Binance's nominal schedules; a spacing outside them means a hole in the history, not a new schedule. */
const NOMINAL_INTERVALS = new Set([1, 2, 4, 8]);

function parseFunding(raw: unknown, symbolId: string, source: string, row: number, state: FundingState, log: FetchLogger, sourceTag: string): ParsedRow {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(source, row, null, `expected a funding object, got ${JSON.stringify(raw)?.slice(0, 80)}`);
  }
  const r = raw as Record<string, unknown>;
  if (r.symbol !== undefined && r.symbol !== symbolId) throw new InputError(source, row, 'symbol', `row is for ${String(r.symbol)}, not ${symbolId}`);
  const fundingTime = fieldNumber(r.fundingTime, source, row, 'fundingTime', true);
  const rate = fieldNumber(r.fundingRate, source, row, 'fundingRate');
  const ts = Math.round(fundingTime / HOUR) * HOUR;
  // Binance's history does not carry the interval; the spacing to the previous settlement is the period it paid for.
  let interval = state.prevInterval;
  if (state.prevTs !== null) {
    const spacing = (ts - state.prevTs) / HOUR;
    if (NOMINAL_INTERVALS.has(spacing)) interval = spacing;
    else log.warn({ symbol: symbolId, at: iso(ts), spacingHours: spacing, assumed: interval }, 'irregular funding spacing; keeping the previous interval');
  }
  state.prevTs = ts;
  state.prevInterval = interval;
  return { rawTime: fundingTime, ts, values: { funding_rate: rate, funding_interval_hours: interval, calc_time_ms: fundingTime, source: sourceTag } };
}

function noteProvenance(datasetsDir: string, venue: string, table: FetchTable, text: string): void {
  const provenance = readProvenance(datasetsDir);
  const key = `${venue}/${table}`;
  const current = provenance[key];
  if (current?.includes(text)) return;
  provenance[key] = current ? `${current}; extended by ${text}` : text;
  writeFileAtomic(provenancePath(datasetsDir), JSON.stringify(provenance, null, 1) + '\n');
}

export async function fetchHistory(opts: FetchHistoryOptions): Promise<FetchReport> {
  const profile = EXCHANGE_PROFILES[opts.exchange];
  if (!profile) throw new UserError(`unknown exchange '${opts.exchange}' (known: ${FETCH_EXCHANGES.join(', ')})`);
  const tables = opts.tables ?? profile.defaultTables;
  for (const t of tables) {
    if (!profile.tables.includes(t)) throw new UserError(`${opts.exchange} has no table '${t}' to fetch (available: ${profile.tables.join(', ')})`);
  }
  const symbols = [...new Set(opts.symbols.map((s) => assertSymbol(s.trim().toUpperCase())))];
  if (symbols.length === 0) throw new UserError('fetch: name at least one symbol, e.g. BTCUSDT');
  const now = opts.now ?? Date.now;
  const sinceMs = parseTimeArg(opts.since, 'since');
  const untilArg = opts.until === undefined ? Infinity : parseTimeArg(opts.until, 'until');
  if (untilArg <= sinceMs) throw new UserError(`until ${iso(untilArg)} is not after since ${iso(sinceMs)}`);
  const datasetsDir = path.resolve(opts.datasetsDir ?? DEFAULT_DATASETS_DIR);
  fs.mkdirSync(datasetsDir, { recursive: true });
  await recoverDataset(datasetsDir);
  const log = opts.logger ?? silentLogger;
  const commitEvery = Math.max(1, opts.commitEveryPages ?? 20);
  const sourceTag = `${opts.exchange}_api_ccxt`;

  const ex = createExchange(opts.exchange, opts);
  const session: Session = {
    ex,
    id: opts.exchange,
    lastStatus: null,
    lastHeaders: null,
    requests: 0,
    sleep: opts.sleep ?? realSleep,
    log,
    maxAttempts: Math.max(1, opts.maxAttempts ?? 6),
    backoffMs: opts.backoffMs ?? 1000,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? 600_000,
  };
  const onRestResponse = ex.onRestResponse.bind(ex);
  ex.onRestResponse = (status: number, statusText: unknown, url: unknown, method: unknown, headers: Record<string, string>, ...rest: unknown[]) => {
    session.lastStatus = status;
    session.lastHeaders = headers;
    return onRestResponse(status, statusText, url, method, headers, ...(rest as [unknown, unknown, unknown]));
  };

  const report: FetchReport = {
    exchange: opts.exchange,
    venue: profile.venue,
    datasetsDir,
    series: [],
    fetched: 0,
    added: 0,
    replaced: 0,
    filesWritten: 0,
    requests: 0,
  };
  try {
    // reload=true: ccxt caches a failed loadMarkets promise, so a retry without it would just rethrow
    await request(session, 'loadMarkets', () => ex.loadMarkets(true));
    const wantSpot = profile.market === 'spot';
    const marketFor = new Map<string, string>();
    for (const id of symbols) {
      const m = Object.values(ex.markets ?? {}).find((mk) => mk?.id === id && (wantSpot ? mk.spot : mk.swap && mk.linear));
      if (!m) {
        const known = Object.values(ex.markets ?? {})
          .filter((mk) => mk && (wantSpot ? mk.spot : mk.swap && mk.linear))
          .map((mk) => mk.id)
          .slice(0, 8);
        throw new UserError(`${opts.exchange} has no ${wantSpot ? 'spot market' : 'USDⓈ-M perpetual'} '${id}'${known.length ? ` (e.g. ${known.join(', ')})` : ''}`);
      }
      marketFor.set(id, m.symbol);
    }

    for (const symbol of symbols) {
      for (const table of tables) {
        const series = await fetchSeries({
          session, datasetsDir, venue: profile.venue, table, symbol, ccxtSymbol: marketFor.get(symbol)!, sinceMs, untilArg,
          nowMs: now(), commitEvery, onProgress: opts.onProgress, sourceTag,
          provenance: `${profile.describe} public ${PROVENANCE[table]} via ccxt ${ccxt.version} (regime fetch)`,
        });
        report.series.push(series);
        report.fetched += series.fetched;
        report.added += series.added;
        report.replaced += series.replaced;
        report.filesWritten += series.filesWritten;
      }
    }
  } finally {
    report.requests = session.requests;
    await ex.close().catch(() => undefined);
    // ccxt keeps a keep-alive pool per instance; close it so a finished fetch leaves no sockets behind
    const dispatcher = (ex as unknown as { fetchDispatcher?: { close?: () => Promise<void> } }).fetchDispatcher;
    await dispatcher?.close?.().catch(() => undefined);
  }
  return report;
}

interface SeriesJob {
  session: Session;
  datasetsDir: string;
  venue: string;
  table: FetchTable;
  symbol: string;
  ccxtSymbol: string;
  sinceMs: number;
  untilArg: number;
  nowMs: number;
  commitEvery: number;
  onProgress?: (p: FetchProgress) => void;
  sourceTag: string;
  provenance: string;
}

async function fetchSeries(job: SeriesJob): Promise<FetchSeriesReport> {
  const { session, datasetsDir, venue, table, symbol } = job;
  const endpoint = ENDPOINTS[table];
  const stored = await lastStoredTs(datasetsDir, venue, table, symbol);
  const ceilHour = (t: number) => Math.ceil(t / HOUR) * HOUR;
  // A bar is closed once its hour is over, so bars opening before the current hour are final; a settlement is
  // final once it has happened.
  const end = endpoint.kind === 'kline' ? Math.min(job.untilArg, Math.floor(job.nowMs / HOUR) * HOUR) : Math.min(job.untilArg, job.nowMs + 1);
  let cursor = Math.max(job.sinceMs, stored === null ? -Infinity : stored + HOUR);
  if (endpoint.kind === 'kline') cursor = ceilHour(cursor);
  const startMs = cursor;
  const requestsBefore = session.requests;
  const out: FetchSeriesReport = {
    venue, table, symbol, ccxtSymbol: job.ccxtSymbol, startMs, untilMs: end, storedLastMs: stored,
    fetched: 0, added: 0, replaced: 0, filesWritten: 0, requests: 0,
  };
  const label = `${session.id} ${endpoint.path} ${symbol}`;
  const funding: FundingState = { prevTs: stored, prevInterval: 8 };
  const newBuilder = () => new BatchBuilder(label, table, venue, symbol);
  let builder = newBuilder();
  let pages = 0;

  const commit = async () => {
    if (builder.size === 0) return;
    const batch: ColumnBatch = builder.finish();
    builder = newBuilder();
    noteProvenance(datasetsDir, venue, table, job.provenance);
    const summary = await commitBatches(datasetsDir, [batch]);
    out.added += summary.added;
    out.replaced += summary.replaced;
    out.filesWritten += summary.filesWritten;
    session.log.info({ venue, table, symbol, rows: batch.ts.length, added: summary.added, files: summary.filesWritten }, 'committed');
  };

  session.log.info({ venue, table, symbol, from: iso(cursor), until: Number.isFinite(end) ? iso(end) : null, storedLast: stored === null ? null : iso(stored) }, 'fetching');
  while (cursor < end) {
    const params = { symbol, ...(endpoint.kind === 'kline' ? { interval: '1h' } : {}), startTime: cursor, endTime: end - 1, limit: endpoint.limit };
    const pageStart = cursor;
    const source = `${label} (page from ${iso(pageStart)})`;
    const body = await request(session, `${endpoint.path} ${symbol} from ${iso(pageStart)}`, () => endpoint.call(session.ex, params));
    if (!Array.isArray(body)) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      throw new UserError(`${session.id} returned a malformed ${endpoint.path} response for ${symbol} (page from ${iso(pageStart)}): expected a JSON array, got ${JSON.stringify((text ?? '').slice(0, 120))}`);
    }
    if (body.length === 0) break;
    let lastRaw = -Infinity;
    for (const [i, raw] of body.entries()) {
      const row = i + 1;
      const parsed = endpoint.kind === 'kline'
        ? parseKline(raw, table, source, row)
        : parseFunding(raw, symbol, source, row, funding, session.log, job.sourceTag);
      if (parsed.rawTime < pageStart) {
        throw new InputError(source, row, endpoint.kind === 'kline' ? 'open_time' : 'fundingTime', `${iso(parsed.rawTime)} is before the requested startTime`);
      }
      lastRaw = Math.max(lastRaw, parsed.rawTime);
      // the still-open bar (or anything past --until) is never stored, however the server pages
      if (endpoint.kind === 'kline' ? parsed.ts >= end : parsed.rawTime >= end || parsed.ts >= job.untilArg) continue;
      try {
        builder.add(row, parsed.ts, parsed.values);
      } catch (err) {
        rowError(err, source, row);
      }
      out.fetched++;
    }
    cursor = endpoint.kind === 'kline' ? lastRaw + HOUR : lastRaw + 1;
    pages++;
    job.onProgress?.({ table, symbol, fetchedBars: out.fetched, startMs, untilMs: end, currentMs: Math.min(cursor, end) });
    if (pages % job.commitEvery === 0) await commit();
  }
  await commit();
  out.requests = session.requests - requestsBefore;
  session.log.info({ venue, table, symbol, fetched: out.fetched, added: out.added, requests: out.requests }, 'done');
  return out;
}
