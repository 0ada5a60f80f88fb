/**
 * The dashboard page, the Vega browser builds from node_modules (the page must work offline: no CDN), and the
 * rendered notebook reports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { notFound } from './http-errors.ts';

const PUBLIC_DIR = path.join(import.meta.dirname, 'public');

/** the page's own policy: vega compiles its expressions with Function(), hence 'unsafe-eval' */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const require = createRequire(import.meta.url);

/** package main → its build folder (the packages' exports hide build/*.min.js from require.resolve) */
function vendorFile(pkg: string, file: string): string {
  const main = require.resolve(pkg);
  let dir = path.dirname(main);
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const f = path.join(dir, 'build', file);
  if (!fs.existsSync(f)) throw new Error(`${pkg}: ${f} is missing (npm ci?)`);
  return f;
}

const VENDOR: Record<string, () => string> = {
  'vega.min.js': () => vendorFile('vega', 'vega.min.js'),
  'vega-lite.min.js': () => vendorFile('vega-lite', 'vega-lite.min.js'),
  'vega-embed.min.js': () => vendorFile('vega-embed', 'vega-embed.min.js'),
};

export const staticFiles: FastifyPluginAsync<{ reportsDir: string | null }> = async (app, { reportsDir }) => {
  const vendor = new Map(Object.entries(VENDOR).map(([name, f]) => [name, fs.readFileSync(f())]));

  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    index: ['index.html'],
    cacheControl: false,
    setHeaders(res, file) {
      res.setHeader('cache-control', 'no-cache');
      if (file.endsWith('.html')) res.setHeader('content-security-policy', PAGE_CSP);
    },
  });

  app.get<{ Params: { file: string } }>('/vendor/:file', async (req, reply) => {
    const body = vendor.get(req.params.file);
    if (!body) throw notFound(`no vendor file ${req.params.file}`);
    return reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body);
  });

  // relative links inside a report resolve against its folder only with the trailing slash
  app.get<{ Params: { name: string } }>('/reports/:name', async (req, reply) => reply.redirect(`/reports/${encodeURIComponent(req.params.name)}/`));

  app.get<{ Params: { name: string; '*': string } }>('/reports/:name/*', async (req, reply) => {
    const { name } = req.params;
    const rest = req.params['*'] || 'index.html';
    if (!reportsDir || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || rest.split('/').some((p) => p === '..' || p.startsWith('.'))) {
      throw notFound('no such report file');
    }
    const root = path.join(reportsDir, name);
    if (!fs.existsSync(path.join(root, rest))) throw notFound('no such report file');
    return reply.sendFile(rest, root);
  });
};
