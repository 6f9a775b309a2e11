import { type Db, listGateways, recordGatewayHeartbeat } from '@vetpacs/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../auth/plugin';
import { forbidden, notFound } from '../lib/errors';
import { gatewayStatus, heartbeatSchema } from './service';

const modalitySchema = z.object({ callingAeTitle: z.string(), lastCStoreAt: z.string(), stores: z.number(), silent: z.boolean() });
const gatewayListSchema = z.object({
  id: z.string(),
  siteId: z.string(),
  name: z.string(),
  version: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  revoked: z.boolean(),
  silent: z.boolean(),
  queue: z.record(z.string(), z.number()).nullable(),
  oldestPendingAt: z.string().nullable(),
  diskFreeBytes: z.number().nullable(),
  lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
  modalities: z.array(modalitySchema),
  alerts: z.array(z.object({ kind: z.enum(['GATEWAY_SILENT', 'MODALITY_SILENT', 'REJECTED_INSTANCES']), message: z.string() })),
});

/**
 * Cloud side of the edge gateways: the heartbeat a gateway posts with its own credentials, and the
 * practice's gateway list for the portal with "silent" flags (no heartbeat, or a modality that
 * stopped sending) computed at read time.
 */
export const gatewayRoutes: FastifyPluginAsyncZod<{ db: Db; silentAfterMs?: number; modalitySilentAfterMs?: number }> = async (app, opts) => {
  const { db } = opts;
  const silentAfterMs = opts.silentAfterMs ?? 10 * 60_000;
  const modalitySilentAfterMs = opts.modalitySilentAfterMs ?? 7 * 86_400_000;

  app.post(
    '/api/gateway/heartbeat',
    { schema: { summary: 'Gateway status report (gateway credentials only)', body: heartbeatSchema, response: { 200: z.object({ ok: z.literal(true), serverTime: z.string() }) } } },
    async (req) => {
      const auth = requireAuth(req);
      if (auth.actor.type !== 'GATEWAY') throw forbidden('only a gateway may send heartbeats');
      const { version, ...heartbeat } = req.body;
      if (!(await recordGatewayHeartbeat(db, auth.practiceId, auth.actor.id, { heartbeat: heartbeat as never, version: version ?? null }))) throw notFound('active gateway');
      return { ok: true as const, serverTime: new Date().toISOString() };
    },
  );

  app.get(
    '/api/gateways',
    {
      schema: {
        summary: "The practice's gateways with last heartbeat, queue, per-modality last C-STORE and silence alerts",
        querystring: z.object({ includeRevoked: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ gateways: z.array(gatewayListSchema) }) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      if (auth.actor.type === 'GATEWAY') throw forbidden('gateways cannot list gateways');
      const now = Date.now();
      const rows = await listGateways(db, auth.practiceId);
      return {
        gateways: rows
          .filter((g) => req.query.includeRevoked === 'true' || !g.revokedAt)
          .map((g) => gatewayStatus(g, { now, silentAfterMs, modalitySilentAfterMs })),
      };
    },
  );
};
