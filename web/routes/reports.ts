/** The list of rendered notebook reports (the files themselves are served under /reports/ by web/static.ts). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../http-errors.ts';
import { noQuery } from '../params.ts';
import { listReports } from '../reports.ts';
import { ReportsResponse } from '../schemas.ts';

export const reportRoutes: FastifyPluginAsyncZod<{ reportsDir: string | null }> = async (app, { reportsDir }) => {
  app.get('/reports', { schema: { querystring: noQuery, response: { 200: ReportsResponse, 400: ErrorBody, 401: ErrorBody } } }, async () => {
    const reports = reportsDir ? await listReports(reportsDir) : [];
    return { reports: reports.map((r) => ({ ...r, url: `/reports/${encodeURIComponent(r.name)}/` })) };
  });
};
