/**
 * Server-sent events: `update` whenever the source reports a new hour or event (the live loop's onUpdate), so
 * the page refreshes at once instead of at its next 10 s poll. A saved run never changes and only gets the
 * greeting and keep-alive comments. The page reads the stream with fetch so the bearer header still applies.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../http-errors.ts';
import { runOnlyQuery } from '../params.ts';
import type { RouteOptions } from './context.ts';

const KEEPALIVE_MS = 25_000;

export const streamRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { registry }) => {
  app.get('/stream', { schema: { querystring: runOnlyQuery, response: { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } }, async (req, reply) => {
    const source = await registry.get(req.query.run);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: 10000\nevent: hello\ndata: ${JSON.stringify({ kind: source.kind, id: source.id, range: source.range() })}\n\n`);
    let pending = false;
    // a burst of updates (three symbols closing the same hour) becomes one event
    const off = source.onUpdate?.(() => {
      if (pending) return;
      pending = true;
      setImmediate(() => {
        pending = false;
        res.write(`event: update\ndata: ${JSON.stringify({ range: source.range() })}\n\n`);
      });
    });
    const ping = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    res.on('close', () => {
      clearInterval(ping);
      off?.();
    });
  });
};
