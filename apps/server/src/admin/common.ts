import { type Actor, RepoError } from '@vetpacs/db';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireAuth } from '../auth/plugin';
import type { AuthContext } from '../auth/types';
import { AppError, badRequest, conflict, notFound } from '../lib/errors';

/** Only practice owners/admins manage the practice. */
export function requireAdmin(req: FastifyRequest): AuthContext {
  return requireAuth(req, ['OWNER_ADMIN']);
}

/** The audit actor for a request (repositories record it with every change). */
export function actorOf(req: FastifyRequest, auth: AuthContext): Actor {
  return { type: auth.actor.type, id: auth.actor.id, sourceIp: req.ip };
}

/** Maps repository outcomes to HTTP (400 invalid input, 404 not this practice's, 409 conflict). */
export async function mapRepoErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RepoError) {
      if (err.code === 'INVALID') throw badRequest('INVALID', err.message);
      if (err.code === 'NOT_FOUND') throw new AppError(404, 'NOT_FOUND', err.message);
      throw conflict('CONFLICT', err.message);
    }
    throw err;
  }
}

export { notFound };

export const roleSchema = z.enum(['OWNER_ADMIN', 'VET', 'NURSE', 'READ_ONLY']);
export const idParams = z.object({ id: z.string().uuid() });
export const iso = (d: Date | null) => (d ? d.toISOString() : null);
