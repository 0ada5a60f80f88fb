/**
 * The HTTP server of the dashboard: the same server shows a saved backtest run (`regime serve`) or the live
 * loop (`regime live`), because both are a DashboardSource.
 *
 * Security: 127.0.0.1 unless told otherwise; any other address needs an API token (refused at startup without
 * one), checked on every route but /healthz and the login step (web/auth.ts); without a token only loopback
 * Host names are answered; no CORS headers, so other origins cannot read the API from a browser.
 */
import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createLogger } from '../engine/log.ts';
import { api } from './api.ts';
import { CandleCache } from './candles.ts';
import { loginRoutes, requireToken } from './auth.ts';
import { registerOpenApi } from './openapi.ts';
import { errorBody, installErrorHandlers } from './http-errors.ts';
import { authConfig, hostName, isLoopbackHost } from './security.ts';
import { SourceRegistry } from './sources.ts';
import { staticFiles } from './static.ts';
import type { DashboardSource } from './source.ts';

export interface ServerOptions {
  source: DashboardSource;
  /** default 3000; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** bearer token for /api (default REGIME_API_TOKEN); required for a non-loopback host */
  token?: string;
  /** results folder: enables the run picker (`?run=`), /api/runs and the reports (results/reports) */
  resultsDir?: string | null;
  /** a pino logger; default: pino on stderr at LOG_LEVEL or warn (request lines at info). false: silent */
  logger?: FastifyBaseLogger | false;
  /** dataset folder the price panel's candles come from (default the bundled datasets/; null: close only) */
  datasetsDir?: string | null;
  /** environment read for REGIME_API_TOKEN (tests pass their own) */
  env?: NodeJS.ProcessEnv;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const routeLists = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/** every route the app registered (method, url): the OpenAPI test holds the document to it */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  return routeLists.get(app) ?? [];
}

/** The configured app, not listening: tests drive it with inject(). Throws when the security rules refuse. */
export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const host = opts.host ?? '127.0.0.1';
  const auth = authConfig(host, opts.token, opts.env);
  const resultsDir = opts.resultsDir ? path.resolve(opts.resultsDir) : null;
  const reportsDir = resultsDir ? path.join(resultsDir, 'reports') : null;
  const logger = opts.logger === false ? createLogger('silent') : (opts.logger ?? createLogger(process.env.LOG_LEVEL ?? 'warn'));

  // forceCloseConnections: an open event stream must not keep close() waiting
  const app = Fastify({ loggerInstance: logger, trustProxy: false, bodyLimit: 16 * 1024, return503OnClosing: true, forceCloseConnections: true });
  installErrorHandlers(app);
  const routes: { method: string; url: string }[] = [];
  routeLists.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    // without a token the loopback address is the only protection, so a page on another (rebound) name is refused
    if (auth.token === null && !isLoopbackHost(hostName(req.headers.host))) {
      return reply.code(403).send(errorBody(403, 'this server answers loopback host names only (start it with a token to serve other names)'));
    }
    if (auth.token !== null) return requireToken(req, reply, auth.token);
  });

  // the one route a load balancer may call without the token: it says nothing but "up"
  app.get('/healthz', async (_req, reply) => reply.header('cache-control', 'no-store').send({ ok: true }));
  if (auth.token !== null) await app.register(loginRoutes, { token: auth.token });

  const registry = new SourceRegistry(opts.source, resultsDir);
  await registerOpenApi(app);
  await app.register(api, { prefix: '/api', registry, token: auth.token, reportsDir, candles: new CandleCache(opts.datasetsDir) });
  await app.register(staticFiles, { reportsDir });
  return app;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = await buildServer(opts);
  await app.listen({ port: opts.port ?? 3000, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 3000);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shown}:${port}`, host, port, close: () => app.close() };
}
