/**
 * The dashboard page and its modules, the Vega browser builds from node_modules (the page must work offline:
 * no CDN), the palette module, and the rendered notebook reports. Every file goes through web/files.ts (no
 * dotfile, no symlink out of its folder); every HTML page gets its CSP from web/csp.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { pageCsp, servedReportCsp } from './csp.ts';
import { openResolved, readResolved, resolveInside } from './files.ts';
import { notFound } from './http-errors.ts';
import { paletteModule } from './palette.ts';
import { listReports, type RenderedReport } from './reports.ts';
import { vendorFile } from './vendor.ts';

const PUBLIC_DIR = path.join(import.meta.dirname, 'public');

const VENDOR: Record<string, () => string> = {
  'vega.min.js': () => vendorFile('vega', 'vega.min.js'),
  'vega-lite.min.js': () => vendorFile('vega-lite', 'vega-lite.min.js'),
  'vega-embed.min.js': () => vendorFile('vega-embed', 'vega-embed.min.js'),
};

const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function sendPublic(reply: FastifyReply, rel: string, csp: string) {
  const f = resolveInside(PUBLIC_DIR, rel);
  if (!f) throw notFound(`no file /${rel}`);
  reply.type(f.type).header('cache-control', 'no-cache');
  if (f.type.startsWith('text/html')) reply.header('content-security-policy', csp);
  return reply.send(openResolved(f));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** /reports/: every rendered report by its label (renders of one notebook with other parameters differ there) */
export function reportIndexPage(reports: readonly RenderedReport[]): string {
  const rows = reports.map(
    (r) =>
      `<tr><td><a href="/reports/${encodeURIComponent(r.name)}/">${esc(r.label)}</a></td><td>${esc(r.notebook ?? '')}</td><td>${esc((r.modified ?? '').slice(0, 16).replace('T', ' '))}</td><td>${r.ok === false ? 'cell errors' : r.ok ? 'ok' : ''}</td><td><code>${esc(r.name)}</code></td></tr>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Reports · Regime Workbench</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/reports.css"></head>
<body><main><h1>Rendered reports</h1><p><a href="/">← dashboard</a> · render more with <code>npx regime report NOTEBOOK</code></p>
${reports.length ? `<table><thead><tr><th>report</th><th>notebook</th><th>rendered (UTC)</th><th>state</th><th>folder</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>No rendered reports yet.</p>'}
</main></body></html>
`;
}

export const staticFiles: FastifyPluginAsync<{ reportsDir: string | null }> = async (app, { reportsDir }) => {
  const vendor = new Map(Object.entries(VENDOR).map(([name, f]) => [name, fs.readFileSync(f())]));
  const csp = pageCsp();
  const paletteJs = paletteModule();

  app.get('/', async (_req, reply) => sendPublic(reply, 'index.html', csp));
  app.get<{ Params: { '*': string } }>('/*', async (req, reply) => sendPublic(reply, req.params['*'], csp));

  app.get('/palette.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(paletteJs));

  app.get<{ Params: { file: string } }>('/vendor/:file', async (req, reply) => {
    const body = vendor.get(req.params.file);
    if (!body) throw notFound(`no vendor file ${req.params.file}`);
    return reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body);
  });

  app.get('/reports/', async (_req, reply) => {
    const reports = reportsDir ? await listReports(reportsDir) : [];
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', csp).send(reportIndexPage(reports));
  });

  // relative links inside a report resolve against its folder only with the trailing slash
  app.get<{ Params: { name: string } }>('/reports/:name', async (req, reply) => reply.redirect(`/reports/${encodeURIComponent(req.params.name)}/`));

  app.get<{ Params: { name: string; '*': string } }>('/reports/:name/*', async (req, reply) => {
    const { name } = req.params;
    const rest = req.params['*'] || 'index.html';
    if (!reportsDir || !REPORT_NAME.test(name)) throw notFound('no such report file');
    // the report's folder itself must not be a link out of the reports folder either
    const f = resolveInside(reportsDir, `${name}/${rest}`);
    if (!f) throw notFound('no such report file');
    reply.type(f.type).header('cache-control', 'no-cache');
    if (!f.type.startsWith('text/html')) return reply.send(openResolved(f));
    const html = readResolved(f).toString('utf8');
    return reply.header('content-security-policy', servedReportCsp(html)).send(html);
  });
};
