/** The panels: latest features, cascades, volatility, funding, prices, regimes and correlation at the cursor. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../http-errors.ts';
import { featuresQuery, marketQuery } from '../params.ts';
import { CascadesResponse, CorrelationResponse, FeaturesResponse, FundingResponse, PricesResponse, RegimesResponse, VolatilityResponse } from '../schemas.ts';
import { cascadeView, correlationView, fundingView, priceView, regimeView, volatilityView } from '../views.ts';
import { HOUR_MS } from '../../engine/pipeline/input.ts';
import { sendFeatures } from './fast-json.ts';
import { histories, latestBySymbol, resolve, type RouteOptions } from './context.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

export const marketRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { registry, candles }) => {
  app.get('/features', { schema: { querystring: featuresQuery, response: { 200: FeaturesResponse, ...errors } } }, async (req, reply) => {
    const r = await resolve(registry, req.query);
    const rows = (await r.source.latestFeatures(r.at)).filter((row) => r.symbols.includes(String(row.symbol)));
    return sendFeatures(reply, r.ref, r.cursor, r.symbols, rows);
  });

  app.get('/cascades', { schema: { querystring: marketQuery(24), response: { 200: CascadesResponse, ...errors } } }, async (req) => {
    const r = await resolve(registry, req.query);
    const [latest, hist, coverage] = await Promise.all([latestBySymbol(r.source, r.at), histories(r.source, r.symbols, req.query.hours, r.at), r.source.liquidationCoverage()]);
    const symbols = r.symbols.map((s) => cascadeView(s, latest.get(s), hist.get(s)!, coverage.find((c) => c.symbol === s), r.source.kind));
    return { source: r.ref, at: r.cursor, hours: req.query.hours, symbols };
  });

  app.get('/volatility', { schema: { querystring: marketQuery(168), response: { 200: VolatilityResponse, ...errors } } }, async (req) => {
    const r = await resolve(registry, req.query);
    const [latest, hist] = await Promise.all([latestBySymbol(r.source, r.at), histories(r.source, r.symbols, req.query.hours, r.at)]);
    return { source: r.ref, at: r.cursor, hours: req.query.hours, symbols: r.symbols.map((s) => volatilityView(s, latest.get(s), hist.get(s)!)) };
  });

  app.get('/funding', { schema: { querystring: marketQuery(168), response: { 200: FundingResponse, ...errors } } }, async (req) => {
    const r = await resolve(registry, req.query);
    const [latest, hist] = await Promise.all([latestBySymbol(r.source, r.at), histories(r.source, r.symbols, req.query.hours, r.at)]);
    return { source: r.ref, at: r.cursor, hours: req.query.hours, symbols: r.symbols.map((s) => fundingView(s, latest.get(s), hist.get(s)!)) };
  });

  app.get('/prices', { schema: { querystring: marketQuery(168), response: { 200: PricesResponse, ...errors } } }, async (req) => {
    const r = await resolve(registry, req.query);
    const end = r.cursor ?? 0;
    const [latest, hist, ohlc] = await Promise.all([
      latestBySymbol(r.source, r.at),
      histories(r.source, r.symbols, req.query.hours, r.at),
      Promise.all(r.symbols.map((s) => (candles && r.cursor !== null ? candles.window(s, end - req.query.hours * HOUR_MS, end) : []))),
    ]);
    return { source: r.ref, at: r.cursor, hours: req.query.hours, symbols: r.symbols.map((s, i) => priceView(s, latest.get(s), hist.get(s)!, ohlc[i])) };
  });

  app.get('/regimes', { schema: { querystring: marketQuery(168), response: { 200: RegimesResponse, ...errors } } }, async (req) => {
    const r = await resolve(registry, req.query);
    const [latest, hist] = await Promise.all([latestBySymbol(r.source, r.at), histories(r.source, r.symbols, req.query.hours, r.at)]);
    return { source: r.ref, at: r.cursor, hours: req.query.hours, symbols: r.symbols.map((s) => regimeView(s, latest.get(s), hist.get(s)!)) };
  });

  app.get('/correlation', { schema: { querystring: marketQuery(168), response: { 200: CorrelationResponse, ...errors } } }, async (req) => {
    // pairs always span every symbol of the source; `symbol` narrows them to the pairs it is part of
    const r = await resolve(registry, req.query);
    const all = r.source.symbols;
    const [latest, hist] = await Promise.all([r.source.latestFeatures(r.at), histories(r.source, all, req.query.hours, r.at)]);
    const view = correlationView(all, latest, hist);
    if (req.query.symbol !== undefined) {
      const s = req.query.symbol;
      view.pairs = view.pairs.filter((p) => p.a === s || p.b === s);
      const keys = new Set(view.pairs.map((p) => p.key));
      view.history = view.history.filter((h) => keys.has(h.key));
    }
    return { source: r.ref, at: r.cursor, hours: req.query.hours, ...view };
  });
};
