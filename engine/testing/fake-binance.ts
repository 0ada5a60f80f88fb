/**
 * A loopback fake of the Binance public REST API, for tests only: spot `/api/v3/...` (binance, binanceus) and
 * USDⓈ-M `/fapi/v1/...` (binanceusdm), enough for ccxt's loadMarkets and for history paging — plus the USDⓈ-M
 * websocket market streams' forceOrder (liquidation) stream, on the same port: ccxt pro subscribes with
 * SUBSCRIBE, the test pushes orders with `pushForceOrder`, and can drop connections, refuse upgrades or send
 * malformed frames. Everything it
 * serves comes from in-memory series handed to it — build them with the `synthetic*` helpers below, which make
 * SYNTHETIC data, never market data. It binds 127.0.0.1 on a random port, records every request and can inject
 * faults (delays, 5xx, 429/418 with Retry-After, malformed or truncated bodies, short pages, broken rows).
 *
 * Routes live in a table (`route()`) and the raw `http.Server` is exposed so later tests can add endpoints or an
 * `upgrade` handler (e.g. a websocket forceOrder stream) without changing this file's callers.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Mulberry32 } from '../score/prng.ts';

const HOUR = 3_600_000;

export interface FakeKline {
  /** bar open time, epoch ms */
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quoteVolume?: number;
  trades?: number;
}

export interface FakeFunding {
  /** settlement time as the exchange reports it, epoch ms (may sit a few ms after the hour) */
  fundingTime: number;
  /** decimal rate per interval */
  fundingRate: number;
  markPrice?: number;
}

export interface FakeSymbol {
  id: string;
  base: string;
  quote: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** which fault, if any, answered this request */
  fault: Fault['kind'] | null;
}

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** 429 (rate limit) or 418 (IP ban) with an optional Retry-After in seconds, as Binance sends */
  | { kind: 'rate-limit'; status?: 429 | 418; retryAfterSec?: number }
  /** answers normally after `ms`; with a client timeout shorter than that it is a timeout */
  | { kind: 'delay'; ms: number }
  /** a 200 whose body is not JSON */
  | { kind: 'malformed'; body?: string }
  /** a 200 whose JSON is cut off part-way */
  | { kind: 'truncate'; fraction?: number }
  /** a well-formed page holding only the first `rows` entries of the real answer */
  | { kind: 'short-page'; rows: number }
  /** rewrites the rows of an array answer (e.g. drop a field, put garbage in one) */
  | { kind: 'mangle-rows'; mangle: (row: unknown, index: number) => unknown }
  /** destroys the connection without an answer */
  | { kind: 'reset' };

export interface FaultRule {
  /** exact path or pattern; every path when absent */
  path?: string | RegExp;
  /** further condition on the request (e.g. a startTime) */
  when?: (req: RecordedRequest) => boolean;
  /** how many matching requests it answers before it expires; unlimited when absent */
  times?: number;
  fault: Fault;
}

export interface RouteRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  raw: http.IncomingMessage;
}

export interface RouteResponse {
  status?: number;
  headers?: Record<string, string>;
  /** serialised as JSON unless it is already a string */
  body: unknown;
}

export type RouteHandler = (req: RouteRequest) => RouteResponse | Promise<RouteResponse>;

/** one liquidation order as the forceOrder stream reports it */
export interface FakeForceOrder {
  symbol: string;
  /** SELL liquidates a long position, BUY a short */
  side: 'BUY' | 'SELL';
  price: number;
  qty: number;
  /** order trade time, epoch ms */
  time: number;
}

export interface FakeWsClient {
  socket: WebSocket;
  path: string;
  /** stream names subscribed to, e.g. btcusdt@forceOrder */
  subscriptions: Set<string>;
}

export function forceOrderMessage(o: FakeForceOrder): Record<string, unknown> {
  const q = String(o.qty);
  const p = String(o.price);
  return { e: 'forceOrder', E: o.time + 1, o: { s: o.symbol, S: o.side, o: 'LIMIT', f: 'IOC', q, p, ap: p, X: 'FILLED', l: q, z: q, T: o.time } };
}

export interface FakeBinanceOptions {
  spotSymbols?: FakeSymbol[];
  perpSymbols?: FakeSymbol[];
  /** spot klines per symbol id, any order (served sorted) */
  spotKlines?: Record<string, FakeKline[]>;
  perpKlines?: Record<string, FakeKline[]>;
  markKlines?: Record<string, FakeKline[]>;
  funding?: Record<string, FakeFunding[]>;
  /** serverTime in exchangeInfo and /time */
  now?: () => number;
}

const DEFAULT_SYMBOLS: FakeSymbol[] = [
  { id: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
  { id: 'ETHUSDT', base: 'ETH', quote: 'USDT' },
];

/** Binance rejects a limit above the endpoint's maximum with -1130 rather than clamping it. */
const KLINE_LIMITS = { spot: { def: 500, max: 1000 }, futures: { def: 500, max: 1500 } };
const FUNDING_LIMITS = { def: 100, max: 1000 };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function binanceError(status: number, code: number, msg: string): RouteResponse {
  return { status, body: { code, msg } };
}

function intParam(query: Record<string, string>, name: string): number | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw new HttpError(400, -1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);
  return Number(raw);
}

/**
 * Binance's time-window rule shared by klines and fundingRate: with startTime the first `limit` rows at or after
 * it (and at or before endTime); with only endTime the last `limit` rows at or before it; with neither the latest.
 */
function window<T>(rows: T[], time: (r: T) => number, query: Record<string, string>, limits: { def: number; max: number }): T[] {
  const start = intParam(query, 'startTime');
  const end = intParam(query, 'endTime');
  const limit = intParam(query, 'limit') ?? limits.def;
  if (limit < 1 || limit > limits.max) throw new HttpError(400, -1130, `Data sent for parameter 'limit' is not valid.`);
  const inRange = rows.filter((r) => (start === undefined || time(r) >= start) && (end === undefined || time(r) <= end));
  return start !== undefined ? inRange.slice(0, limit) : inRange.slice(Math.max(0, inRange.length - limit));
}

function klineRow(k: FakeKline, mark: boolean): unknown[] {
  const volume = mark ? '0' : String(k.volume);
  return [
    k.openTime,
    String(k.open),
    String(k.high),
    String(k.low),
    String(k.close),
    volume,
    k.openTime + HOUR - 1,
    mark ? '0' : String(k.quoteVolume ?? k.volume * k.close),
    mark ? 0 : (k.trades ?? 0),
    '0',
    '0',
    '0',
  ];
}

function spotSymbolInfo(s: FakeSymbol): Record<string, unknown> {
  return {
    symbol: s.id,
    status: 'TRADING',
    baseAsset: s.base,
    baseAssetPrecision: 8,
    quoteAsset: s.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET'],
    icebergAllowed: true,
    ocoAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
      { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
    ],
    permissions: ['SPOT'],
  };
}

function perpSymbolInfo(s: FakeSymbol): Record<string, unknown> {
  return {
    symbol: s.id,
    pair: s.id,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: Date.UTC(2019, 8, 25),
    status: 'TRADING',
    baseAsset: s.base,
    quoteAsset: s.quote,
    marginAsset: s.quote,
    pricePrecision: 2,
    quantityPrecision: 3,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.10', maxPrice: '4529764', tickSize: '0.10' },
      { filterType: 'LOT_SIZE', minQty: '0.001', maxQty: '1000', stepSize: '0.001' },
    ],
    orderTypes: ['LIMIT', 'MARKET'],
    timeInForce: ['GTC'],
  };
}

export class FakeBinance {
  /** every request in arrival order, including those a fault answered */
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, RouteHandler>();
  private readonly faults: (FaultRule & { used: number })[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private server: http.Server | null = null;
  private base: string | null = null;
  readonly spotSymbols: FakeSymbol[];
  readonly perpSymbols: FakeSymbol[];
  readonly spotKlines = new Map<string, FakeKline[]>();
  readonly perpKlines = new Map<string, FakeKline[]>();
  readonly markKlines = new Map<string, FakeKline[]>();
  readonly funding = new Map<string, FakeFunding[]>();
  private readonly now: () => number;
  private wss: WebSocketServer | null = null;
  /** open websocket connections */
  readonly wsClients = new Set<FakeWsClient>();
  /** every websocket upgrade path and every message a client sent, in order */
  readonly wsLog: { path: string; message: string | null; refused?: boolean }[] = [];
  /** forceOrder frames delivered (one per order and subscribed connection) */
  forceOrdersSent = 0;
  private refuseUpgrades = 0;

  constructor(opts: FakeBinanceOptions = {}) {
    this.spotSymbols = opts.spotSymbols ?? DEFAULT_SYMBOLS;
    this.perpSymbols = opts.perpSymbols ?? DEFAULT_SYMBOLS;
    this.now = opts.now ?? Date.now;
    for (const [sym, rows] of Object.entries(opts.spotKlines ?? {})) this.setKlines('spot', sym, rows);
    for (const [sym, rows] of Object.entries(opts.perpKlines ?? {})) this.setKlines('perp', sym, rows);
    for (const [sym, rows] of Object.entries(opts.markKlines ?? {})) this.setKlines('mark', sym, rows);
    for (const [sym, rows] of Object.entries(opts.funding ?? {})) this.setFunding(sym, rows);
    this.installDefaultRoutes();
  }

  setKlines(kind: 'spot' | 'perp' | 'mark', symbol: string, rows: FakeKline[]): void {
    const map = kind === 'spot' ? this.spotKlines : kind === 'perp' ? this.perpKlines : this.markKlines;
    map.set(symbol, [...rows].sort((a, b) => a.openTime - b.openTime));
  }

  setFunding(symbol: string, rows: FakeFunding[]): void {
    this.funding.set(symbol, [...rows].sort((a, b) => a.fundingTime - b.fundingTime));
  }

  /** Adds or replaces the handler for `METHOD /path`. */
  route(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  /** The current handler for `METHOD /path`, e.g. to wrap it in a test. */
  handlerFor(method: string, path: string): RouteHandler | undefined {
    return this.routes.get(`${method.toUpperCase()} ${path}`);
  }

  addFault(rule: FaultRule): void {
    this.faults.push({ ...rule, used: 0 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** requests to one path, e.g. '/fapi/v1/klines' */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  get baseUrl(): string {
    if (!this.base) throw new Error('FakeBinance is not started');
    return this.base;
  }

  /** The underlying server, for extensions such as an `upgrade` (websocket) handler. */
  get httpServer(): http.Server {
    if (!this.server) throw new Error('FakeBinance is not started');
    return this.server;
  }

  async start(): Promise<string> {
    if (this.base) return this.base;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
    return this.base;
  }

  async close(): Promise<void> {
    for (const t of this.pendingTimers) clearTimeout(t);
    this.pendingTimers.clear();
    for (const c of this.wsClients) c.socket.terminate();
    this.wsClients.clear();
    this.wss?.close();
    this.wss = null;
    const server = this.server;
    this.server = null;
    this.base = null;
    if (!server) return;
    // keep-alive sockets from the client would otherwise hold close() open until they idle out
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- websocket ------------------------------------------------------------------------------------------------

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (this.refuseUpgrades > 0 || !/\/ws(\/|$)/.test(path) || !this.wss) {
      if (this.refuseUpgrades > 0) this.refuseUpgrades--;
      this.wsLog.push({ path, message: null, refused: true });
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: FakeWsClient = { socket: ws, path, subscriptions: new Set() };
      this.wsClients.add(client);
      this.wsLog.push({ path, message: null });
      ws.on('close', () => this.wsClients.delete(client));
      ws.on('message', (data) => {
        const text = data.toString();
        this.wsLog.push({ path, message: text });
        let msg: { method?: string; params?: unknown[]; id?: unknown };
        try {
          msg = JSON.parse(text) as typeof msg;
        } catch {
          ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON (fake)' }, id: null }));
          return;
        }
        const params = (msg.params ?? []).map(String);
        if (msg.method === 'SUBSCRIBE') params.forEach((p) => client.subscriptions.add(p));
        if (msg.method === 'UNSUBSCRIBE') params.forEach((p) => client.subscriptions.delete(p));
        const result = msg.method === 'LIST_SUBSCRIPTIONS' ? [...client.subscriptions] : null;
        ws.send(JSON.stringify({ result, id: msg.id ?? null }));
      });
    });
  }

  private subscribersOf(symbol: string): FakeWsClient[] {
    const stream = `${symbol.toLowerCase()}@forceOrder`;
    return [...this.wsClients].filter((c) => c.subscriptions.has(stream) || c.subscriptions.has('!forceOrder@arr'));
  }

  /** sends one liquidation order to every connection subscribed to its symbol; returns how many got it */
  pushForceOrder(order: FakeForceOrder): number {
    const text = JSON.stringify(forceOrderMessage(order));
    const to = this.subscribersOf(order.symbol);
    for (const c of to) c.socket.send(text);
    this.forceOrdersSent += to.length;
    return to.length;
  }

  /** sends any text (a malformed frame, a partial order) to every open connection */
  pushRaw(text: string): number {
    for (const c of this.wsClients) c.socket.send(text);
    return this.wsClients.size;
  }

  /** cuts every websocket connection without a close handshake, as a network failure would */
  dropWebsockets(): number {
    const n = this.wsClients.size;
    for (const c of this.wsClients) c.socket.terminate();
    this.wsClients.clear();
    return n;
  }

  /** answers the next `n` websocket upgrades with 503 */
  refuseWebsocketUpgrades(n: number): void {
    this.refuseUpgrades = n;
  }

  /** resolves once `count` connections subscribe to the symbol's forceOrder stream */
  async waitForSubscribers(symbol: string, count = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.subscribersOf(symbol).length < count) {
      if (Date.now() > deadline) throw new Error(`no ${count} subscriber(s) to ${symbol}@forceOrder after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pendingTimers.delete(t);
        resolve();
      }, ms);
      this.pendingTimers.add(t);
    });
  }

  private takeFault(req: RecordedRequest): Fault | null {
    for (const rule of this.faults) {
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (rule.path !== undefined && (typeof rule.path === 'string' ? rule.path !== req.path : !rule.path.test(req.path))) continue;
      if (rule.when && !rule.when(req)) continue;
      rule.used++;
      return rule.fault;
    }
    return null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      fault: null,
    };
    this.requests.push(recorded);
    const fault = this.takeFault(recorded);
    recorded.fault = fault?.kind ?? null;
    try {
      if (fault?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'delay') await this.sleep(fault.ms);
      if (fault?.kind === 'status') {
        send(res, fault.status, fault.body ?? JSON.stringify({ code: -1000, msg: 'An unknown error occurred while processing the request. (fake)' }), fault.headers);
        return;
      }
      if (fault?.kind === 'rate-limit') {
        const status = fault.status ?? 429;
        const headers: Record<string, string> = fault.retryAfterSec !== undefined ? { 'Retry-After': String(fault.retryAfterSec) } : {};
        const msg = status === 418 ? 'Way too many requests; IP banned (fake).' : 'Too many requests; current limit is 6000 request weight per 1 MINUTE (fake).';
        send(res, status, JSON.stringify({ code: -1003, msg }), headers);
        return;
      }
      if (fault?.kind === 'malformed') {
        send(res, 200, fault.body ?? '<html><body>not json (fake)</body></html>');
        return;
      }
      const handler = this.routes.get(`${recorded.method} ${recorded.path}`);
      let answer: RouteResponse;
      if (!handler) {
        answer = binanceError(404, -1, `no such endpoint in the fake: ${recorded.method} ${recorded.path}`);
      } else {
        try {
          answer = await handler({ method: recorded.method, path: recorded.path, query: recorded.query, raw: req });
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          answer = binanceError(err.status, err.code, err.message);
        }
      }
      let body = answer.body;
      if (fault?.kind === 'short-page' && Array.isArray(body)) body = body.slice(0, fault.rows);
      if (fault?.kind === 'mangle-rows' && Array.isArray(body)) body = body.map(fault.mangle);
      let text = typeof body === 'string' ? body : JSON.stringify(body);
      if (fault?.kind === 'truncate') text = text.slice(0, Math.max(1, Math.floor(text.length * (fault.fraction ?? 0.5))));
      send(res, answer.status ?? 200, text, answer.headers);
    } catch (err) {
      send(res, 500, JSON.stringify({ code: -1000, msg: `fake server bug: ${(err as Error).message}` }));
    }
  }

  private installDefaultRoutes(): void {
    const spotInfo = () => ({
      timezone: 'UTC',
      serverTime: this.now(),
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
      exchangeFilters: [],
      symbols: this.spotSymbols.map(spotSymbolInfo),
    });
    const perpInfo = () => ({
      timezone: 'UTC',
      serverTime: this.now(),
      futuresType: 'U_MARGINED',
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 }],
      exchangeFilters: [],
      assets: [],
      symbols: this.perpSymbols.map(perpSymbolInfo),
    });
    const klines = (series: Map<string, FakeKline[]>, known: FakeSymbol[], limits: { def: number; max: number }, mark: boolean): RouteHandler =>
      ({ query }) => {
        if (!query.symbol || !known.some((s) => s.id === query.symbol)) return binanceError(400, -1121, 'Invalid symbol.');
        if (query.interval !== '1h') return binanceError(400, -1120, 'Invalid interval (the fake serves 1h only).');
        return { body: window(series.get(query.symbol) ?? [], (k) => k.openTime, query, limits).map((k) => klineRow(k, mark)) };
      };

    this.route('GET', '/api/v3/ping', () => ({ body: {} }));
    this.route('GET', '/api/v3/time', () => ({ body: { serverTime: this.now() } }));
    this.route('GET', '/api/v3/exchangeInfo', () => ({ body: spotInfo() }));
    this.route('GET', '/api/v3/klines', klines(this.spotKlines, this.spotSymbols, KLINE_LIMITS.spot, false));

    this.route('GET', '/fapi/v1/ping', () => ({ body: {} }));
    this.route('GET', '/fapi/v1/time', () => ({ body: { serverTime: this.now() } }));
    this.route('GET', '/fapi/v1/exchangeInfo', () => ({ body: perpInfo() }));
    this.route('GET', '/fapi/v1/klines', klines(this.perpKlines, this.perpSymbols, KLINE_LIMITS.futures, false));
    this.route('GET', '/fapi/v1/markPriceKlines', klines(this.markKlines, this.perpSymbols, KLINE_LIMITS.futures, true));
    this.route('GET', '/fapi/v1/fundingRate', ({ query }) => {
      const all = query.symbol ? (this.funding.get(query.symbol) ?? []) : [...this.funding.values()].flat();
      const rows = window(all, (f) => f.fundingTime, query, FUNDING_LIMITS);
      const symbol = query.symbol;
      return {
        body: rows.map((f) => ({
          symbol: symbol ?? '',
          fundingTime: f.fundingTime,
          fundingRate: f.fundingRate.toFixed(8),
          markPrice: f.markPrice === undefined ? '' : String(f.markPrice),
        })),
      };
    });
    // binance (not binanceus/usdm) also loads coin-margined markets unless told otherwise; serve an empty list
    this.route('GET', '/dapi/v1/exchangeInfo', () => ({ body: { timezone: 'UTC', serverTime: this.now(), rateLimits: [], exchangeFilters: [], symbols: [] } }));
  }
}

function send(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

// ---------------------------------------------------------------------------------------------------------------
// SYNTHETIC series for tests. Deterministic pseudo-random walks; they look like prices only to the extent that
// OHLC is consistent — they are not, and must never be presented as, market data.
// ---------------------------------------------------------------------------------------------------------------

/** seeded draws in [0, 1) for test fixtures: the project's one PRNG */
function rng(seed: number): () => number {
  const prng = new Mulberry32(seed);
  return () => prng.next();
}

/** Rounds to 2 decimals so the served strings round-trip exactly through parseFloat. */
const r2 = (x: number) => Math.round(x * 100) / 100;

export interface SyntheticKlineOptions {
  /** first bar open time, epoch ms on the hour */
  start: number;
  count: number;
  startPrice?: number;
  seed?: number;
}

/** SYNTHETIC hourly bars: a seeded random walk with consistent OHLC. */
export function syntheticKlines(opts: SyntheticKlineOptions): FakeKline[] {
  if (opts.start % HOUR !== 0) throw new Error('syntheticKlines: start must be on the hour');
  const next = rng(opts.seed ?? 1);
  const out: FakeKline[] = [];
  let price = opts.startPrice ?? 100;
  for (let i = 0; i < opts.count; i++) {
    const open = r2(price);
    const close = r2(Math.max(1, open * (1 + (next() - 0.5) * 0.02)));
    const high = r2(Math.max(open, close) * (1 + next() * 0.005));
    const low = r2(Math.min(open, close) * (1 - next() * 0.005));
    const volume = r2(10 + next() * 90);
    out.push({ openTime: opts.start + i * HOUR, open, high, low, close, volume, quoteVolume: r2(volume * close), trades: 100 + Math.floor(next() * 900) });
    price = close;
  }
  return out;
}

/** SYNTHETIC mark-price bars derived from other synthetic bars (a small, consistent offset). */
export function syntheticMarkKlines(from: FakeKline[]): FakeKline[] {
  return from.map((k) => {
    const f = 1.0001;
    return { openTime: k.openTime, open: r2(k.open * f), high: r2(k.high * f) + 0.01, low: r2(k.low * f) - 0.01, close: r2(k.close * f), volume: 0 };
  });
}

export interface SyntheticFundingOptions {
  /** first settlement, epoch ms on the hour */
  start: number;
  /** consecutive runs of settlements: e.g. [{ hours: 8, count: 10 }, { hours: 4, count: 6 }] */
  schedule: { hours: number; count: number }[];
  seed?: number;
  /** ms the reported fundingTime lags the nominal hour, as Binance's sometimes does; 0 by default */
  jitterMs?: number;
}

/** SYNTHETIC funding settlements following a schedule of intervals; rates are small seeded decimals. */
export function syntheticFunding(opts: SyntheticFundingOptions): FakeFunding[] {
  const next = rng(opts.seed ?? 7);
  const out: FakeFunding[] = [];
  let t = opts.start;
  let first = true;
  for (const run of opts.schedule) {
    for (let i = 0; i < run.count; i++) {
      if (!first) t += run.hours * HOUR;
      first = false;
      const jitter = opts.jitterMs ? Math.floor(next() * (opts.jitterMs + 1)) : 0;
      out.push({ fundingTime: t + jitter, fundingRate: Number(((next() - 0.4) * 0.0004).toFixed(8)), markPrice: r2(100 + next() * 10) });
    }
  }
  return out;
}
