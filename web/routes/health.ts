/** Liveness and the source's own status (hours fetched, faults, or the run manifest), secrets removed. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../http-errors.ts';
import { runOnlyQuery } from '../params.ts';
import { HealthResponse } from '../schemas.ts';
import { redactSecrets } from '../security.ts';
import type { RouteOptions } from './context.ts';

export const healthRoutes: FastifyPluginAsyncZod<RouteOptions & { auth: 'token' | 'loopback' }> = async (app, { registry, auth }) => {
  const started = Date.now();
  app.get('/health', { schema: { querystring: runOnlyQuery, response: { 200: HealthResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } }, async (req) => {
    const source = await registry.get(req.query.run);
    let status: Record<string, unknown>;
    let ok = true;
    try {
      status = redactSecrets(await source.status()) as Record<string, unknown>;
    } catch (err) {
      ok = false;
      req.log.warn({ err }, 'source status failed');
      status = { error: 'the source could not report its status' };
    }
    return {
      ok,
      source: { kind: source.kind, id: source.id },
      symbols: [...source.symbols],
      range: source.range(),
      auth,
      uptime_s: Math.round((Date.now() - started) / 1000),
      status,
    };
  });
};
