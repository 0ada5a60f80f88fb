// The OpenAPI document (#11.7): generated from the zod route schemas, valid OpenAPI 3 per swagger-parser,
// holding every /api route the server registers; swagger-ui at /docs with its assets from this server.
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, registeredRoutes } from './server.ts';
import { syntheticSource } from './testing-fakes.ts';

let app: FastifyInstance;
let doc: { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>> };

beforeAll(async () => {
  app = await buildServer({ source: syntheticSource(), logger: false, env: {} });
  await app.ready();
  const r = await app.inject({ url: '/openapi.json' });
  expect(r.statusCode).toBe(200);
  doc = r.json();
});

afterAll(async () => {
  await app?.close();
});

/** fastify's `/api/runs/:id` is OpenAPI's `/api/runs/{id}` */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI', () => {
  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    // validate() dereferences a copy and throws with the offending path on any schema error
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('documents every /api route the server registered, and nothing that is not one', async () => {
    const api = registeredRoutes(app).filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
    expect(api.length).toBeGreaterThanOrEqual(12);
    for (const r of api) {
      const p = doc.paths[openApiPath(r.url)];
      expect(p, r.url).toBeDefined();
      expect(p[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/api/'))).toBe(true);
  });

  it('carries the zod parameters and responses', () => {
    const events = doc.paths['/api/events'].get;
    expect(events.parameters!.map((p) => p.name).sort()).toEqual(['at', 'limit', 'run', 'severity', 'since', 'symbol', 'type']);
    expect(Object.keys(events.responses)).toEqual(expect.arrayContaining(['200', '400']));
    expect(doc.paths['/api/runs/{id}'].get.parameters!.find((p) => p.in === 'path')?.name).toBe('id');
  });

  it('serves swagger-ui at /docs from this server, under a CSP without unsafe-inline', async () => {
    const index = await app.inject({ url: '/docs/' });
    const page = index.statusCode === 302 ? await app.inject({ url: index.headers.location as string }) : index;
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui');
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect((await app.inject({ url: '/docs/static/swagger-ui-bundle.js' })).statusCode).toBe(200);
  });
});
