import { type Db, listAuditEvents } from '@vetpacs/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin } from './common';

export const auditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  sourceIp: z.string().nullable(),
  details: z.unknown(),
});

/** The practice's audit log, newest first, pageable backwards with `before`. */
export const adminAuditRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/api/admin/audit',
    {
      schema: {
        summary: 'Audit log of the practice',
        querystring: z.object({
          entityType: z.string().max(64).optional(),
          action: z.string().max(64).optional(),
          before: z.string().datetime().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ events: z.array(auditEventSchema) }) },
      },
    },
    async (req) => {
      const auth = requireAdmin(req);
      const { before, ...rest } = req.query;
      const events = await listAuditEvents(db, auth.practiceId, { ...rest, before: before ? new Date(before) : undefined });
      return { events: events.map((e) => ({ ...e, at: e.at.toISOString() })) };
    },
  );
};
