/** Saved runs for the run picker, and one run's scorecard. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { loadRun, type RunManifest } from '../../engine/results/run-store.ts';
import { ErrorBody, notFound } from '../http-errors.ts';
import { runIdParams, runOnlyQuery } from '../params.ts';
import { RunResponse, RunsResponse } from '../schemas.ts';
import type { RouteOptions } from './context.ts';

function summary(m: RunManifest) {
  return {
    id: m.id,
    kind: m.kind,
    label: m.label ?? null,
    created_at: m.created_at,
    config_hash: m.config_hash,
    dataset_manifest_sha256: m.dataset_manifest_sha256 ?? null,
    git_commit: m.git_commit ?? null,
    seed: m.seed ?? null,
    symbols: m.symbols,
    from: m.from,
    to: m.to,
    has_features: m.has_features,
  };
}

export const runRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { registry }) => {
  app.get('/runs', { schema: { querystring: runOnlyQuery, response: { 200: RunsResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } }, async (req) => {
    const current = await registry.get(req.query.run);
    // newest first, as a picker lists them
    return { current: { kind: current.kind, id: current.id }, runs: registry.runs().map(summary).reverse() };
  });

  app.get('/runs/:id', { schema: { params: runIdParams, response: { 200: RunResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } }, async (req) => {
    if (!registry.resultsDir) throw notFound('this server has no saved runs');
    const record = loadRun(registry.resultsDir, registry.resolveId(req.params.id));
    const r = record.report;
    return {
      manifest: summary(record.manifest),
      report: {
        hours: r.hours,
        symbol_hours: r.symbol_hours,
        alerts_total: r.alerts_total,
        alert_counts: r.alert_counts,
        suppressed_total: r.suppressed_total,
        gaps: r.gaps.length,
        liquidation_coverage: r.liquidation_coverage,
      },
      scorecard: (r.scorecard as unknown as Record<string, unknown> | null) ?? null,
    };
  });
};
