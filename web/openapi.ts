/**
 * The OpenAPI 3 document of /api, generated from the routes' zod schemas (fastify-type-provider-zod's
 * transform for @fastify/swagger), at /openapi.json, and swagger-ui at /docs with its assets from node_modules
 * (no CDN). Both sit behind the same token rules as everything else; the page's CSP has no 'unsafe-inline'.
 */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { DOCS_CSP } from './csp.ts';

/** registered on the root instance, before the routes: swagger records every route added after it */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Regime Workbench API',
        version: '1',
        description: 'Saved backtest runs and the live loop: features, detector panels, alerts, runs and reports. Times are epoch ms UTC (hour open times); `at`/`since` also take ISO times.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the API token; a browser may log in at /login instead (cookie)' } } },
      security: [{ bearer: [] }],
    },
    // only the API is documented: the page, its files and the login step are not API routes
    transform: (input) => {
      if (!input.url.startsWith('/api/')) return { schema: { ...(input.schema ?? {}), hide: true }, url: input.url };
      return jsonSchemaTransform(input);
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP, uiConfig: { docExpansion: 'list', deepLinking: false }, logLevel: 'warn' });
  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) => reply.header('cache-control', 'no-store').send(app.swagger()));
}
