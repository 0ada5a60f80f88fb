/**
 * Everything under /api, in one encapsulated plugin: no caching, zod validation and serialisation, and the route plugins.
 */
import type { FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { marketRoutes } from './routes/market.ts';
import { reportRoutes } from './routes/reports.ts';
import { runRoutes } from './routes/runs.ts';
import { pnlRoutes } from './routes/pnl.ts';
import { streamRoutes } from './routes/stream.ts';
import type { CandleCache } from './candles.ts';
import type { SourceRegistry } from './sources.ts';

export interface ApiOptions {
  registry: SourceRegistry;
  candles?: CandleCache;
  token: string | null;
  reportsDir: string | null;
}

export const api: FastifyPluginAsync<ApiOptions> = async (app, { registry, token, reportsDir, candles }) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // the token itself is checked for every route by the server's hook (web/auth.ts)
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });

  await app.register(marketRoutes, { registry, candles });
  await app.register(eventRoutes, { registry });
  await app.register(runRoutes, { registry });
  await app.register(pnlRoutes, { registry });
  await app.register(reportRoutes, { reportsDir });
  await app.register(streamRoutes, { registry });
  await app.register(healthRoutes, { registry, auth: token === null ? 'loopback' : 'token' });
};
