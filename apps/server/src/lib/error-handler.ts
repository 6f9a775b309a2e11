import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from './errors';
import { unavailableReason } from './unavailable';

/** Seconds a client is asked to wait after a 503 (a database restart or failover takes a few). */
const RETRY_AFTER_S = 5;

/**
 * Maps every error to `{ error: { code, message } }` with the right status; 5xx details stay in the
 * log. An unavailable dependency (unavailable.ts) is a 503 with Retry-After, not a 500.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) req.log.error({ err }, err.message);
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const message = err.validation.map((v) => `${v.instancePath || 'input'}: ${v.message}`).join('; ');
      return reply.status(400).send({ error: { code: 'VALIDATION', message } });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    const unavailable = status >= 500 ? unavailableReason(err) : undefined;
    if (unavailable) {
      // Transient: worth sending again later (ingest is idempotent, so a re-sent upload is safe).
      req.log.error({ err }, unavailable);
      return reply.status(503).header('Retry-After', String(RETRY_AFTER_S)).send({ error: { code: 'UNAVAILABLE', message: unavailable } });
    }
    if (status >= 500) {
      req.log.error({ err }, 'unhandled error');
      return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error (logged)' } });
    }
    return reply.status(status).send({ error: { code: (err as FastifyError).code ?? 'BAD_REQUEST', message: err.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}
