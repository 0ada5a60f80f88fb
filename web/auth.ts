/**
 * "Token means token": with a token configured, every route but /healthz and the login step needs it — the
 * dashboard page, /api, reports and their data files, static assets, vendored scripts and the API docs.
 *
 * A browser logs in once: /login posts the token (typed, or taken by login.js from a `#token=…` fragment, which
 * never reaches the server or its logs) and gets an HttpOnly SameSite=Strict cookie holding an HMAC of the
 * token, never the token itself. Scripts keep sending `Authorization: Bearer <token>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './http-errors.ts';
import { bearerMatches } from './security.ts';

export const SESSION_COOKIE = 'regime_session';
const SESSION_DAYS = 7;

/** reachable without the token: they carry no data */
export const PUBLIC_PATHS = new Set(['/healthz', '/login', '/login.js', '/login.css']);

export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('regime-session-v1').digest('base64url');
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isAuthorized(req: FastifyRequest, token: string): boolean {
  if (bearerMatches(req.headers.authorization, token)) return true;
  const c = cookieValue(req.headers.cookie, SESSION_COOKIE);
  return c !== null && sameSecret(c, sessionValue(token));
}

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** where a login may send the browser back to: a local path only, never another origin */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || /[\r\n]/.test(next)) return '/';
  return next;
}

const wantsPage = (req: FastifyRequest) => req.method === 'GET' && !pathOf(req.url).startsWith('/api/') && /text\/html/.test(String(req.headers.accept ?? ''));

/** onRequest check; answers 401 (API, assets) or sends a browser to the login page */
export async function requireToken(req: FastifyRequest, reply: FastifyReply, token: string): Promise<FastifyReply | undefined> {
  if (PUBLIC_PATHS.has(pathOf(req.url)) || isAuthorized(req, token)) return undefined;
  if (wantsPage(req)) return reply.code(303).header('location', `/login?next=${encodeURIComponent(req.url)}`).send();
  reply.header('www-authenticate', 'Bearer realm="regime"');
  return reply.code(401).send(errorBody(401, 'missing or wrong API token: send Authorization: Bearer <token> or log in at /login'));
}

const LOGIN_DIR = path.join(import.meta.dirname, 'public', 'login');

const LOGIN_CSP = ["default-src 'none'", "script-src 'self'", "style-src 'self'", 'img-src data:', "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"].join('; ');

function cookie(value: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** GET/POST /login, /logout and the login page's own script and style; registered only with a token */
export const loginRoutes: FastifyPluginAsync<{ token: string }> = async (app, { token }) => {
  const files = new Map(['login.html', 'login.js', 'login.css'].map((f) => [f, fs.readFileSync(path.join(LOGIN_DIR, f))]));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.get('/login', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', LOGIN_CSP).send(files.get('login.html')));
  app.get('/login.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(files.get('login.js')));
  app.get('/login.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(files.get('login.css')));

  app.post<{ Body: Record<string, string> | undefined; Querystring: { next?: string } }>('/login', async (req, reply) => {
    const given = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const next = safeNext(req.body?.next ?? req.query.next);
    const secure = req.protocol === 'https';
    reply.header('cache-control', 'no-store');
    if (given === '' || !bearerMatches(`Bearer ${given}`, token)) {
      // the form and the script both read this: a wrong token is said so, not silently looped
      if (/application\/json/.test(String(req.headers.accept ?? ''))) return reply.code(401).send(errorBody(401, 'wrong token'));
      return reply.code(303).header('location', `/login?failed=1&next=${encodeURIComponent(next)}`).send();
    }
    reply.header('set-cookie', cookie(sessionValue(token), SESSION_DAYS * 86_400, secure));
    if (/application\/json/.test(String(req.headers.accept ?? ''))) return reply.send({ ok: true, next });
    return reply.code(303).header('location', next).send();
  });

  app.post('/logout', async (req, reply) => reply.header('set-cookie', cookie('', 0, req.protocol === 'https')).code(303).header('location', '/login').send());
};
