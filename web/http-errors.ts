/**
 * One JSON error shape for the whole API: { statusCode, error, message }. Validation failures name the
 * parameter; anything unexpected is logged and answered with a generic 500 (no stack, no paths).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import * as z from 'zod';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message: string) => new HttpError(404, message);

export const ErrorBody = z.object({ statusCode: z.number(), error: z.string(), message: z.string() });

const REASON: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' };

export function errorBody(statusCode: number, message: string) {
  return { statusCode, error: REASON[statusCode] ?? 'Error', message };
}

const PART: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', body: 'body field', headers: 'header' };

/** "query parameter 'hours': expected …" for each issue, joined */
function validationMessage(err: FastifyError & { validation: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[] }): string {
  const part = PART[err.validationContext ?? 'querystring'] ?? 'parameter';
  return err.validation
    .map((v) => {
      if (v.keyword === 'unrecognized_keys') {
        const keys = (v.params.keys as string[] | undefined) ?? [];
        return keys.map((k) => `unknown ${part} '${k}'`).join('; ');
      }
      const name = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return `${part} '${name}': ${v.message ?? 'invalid'}`;
    })
    .join('; ');
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.code(400).send(errorBody(400, validationMessage(err)));
    }
    if (err instanceof HttpError) return reply.code(err.statusCode).send(errorBody(err.statusCode, err.message));
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(status, err.message));
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody(500, 'internal error (see the server log)'));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(404, `no route ${req.method} ${req.url.split('?')[0]}`)));
}
