/** The alert stream: newest first, nothing after the cursor. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../http-errors.ts';
import { eventsQuery } from '../params.ts';
import { EventsResponse } from '../schemas.ts';
import { sendEvents } from './fast-json.ts';
import { resolve, type RouteOptions } from './context.ts';

export const eventRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { registry }) => {
  app.get('/events', { schema: { querystring: eventsQuery, response: { 200: EventsResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } }, async (req, reply) => {
    const q = req.query;
    // a pair is a valid filter for events, so the symbol is not checked against the source's symbols here
    const r = await resolve(registry, { run: q.run, at: q.at });
    const events = await r.source.events({ since: q.since, type: q.type, severity: q.severity, symbol: q.symbol, limit: q.limit, at: r.at });
    return sendEvents(reply, r.ref, r.cursor, events);
  });
};
