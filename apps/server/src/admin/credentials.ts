import { createApiToken, createGateway, type Db, type GatewayInfo, listApiTokens, listGateways, revokeApiToken, revokeGateway } from '@vetpacs/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, idParams, iso, mapRepoErrors, notFound, requireAdmin, roleSchema } from './common';

const gatewaySchema = z.object({
  id: z.string(),
  siteId: z.string(),
  name: z.string(),
  keyId: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  version: z.string().nullable(),
  heartbeat: z.unknown(),
});
const gatewayDto = (g: GatewayInfo) => ({
  id: g.id,
  siteId: g.siteId,
  name: g.name,
  keyId: g.keyId,
  createdAt: g.createdAt.toISOString(),
  lastSeenAt: iso(g.lastSeenAt),
  revokedAt: iso(g.revokedAt),
  version: g.version,
  heartbeat: g.heartbeat ?? null,
});

const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: roleSchema,
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/**
 * Machine credentials: gateways (one per site; the secret is returned once, at creation) and API
 * tokens (returned once). Revocation is immediate: the verifier checks revokedAt on every request.
 */
export const adminCredentialRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get('/api/admin/gateways', { schema: { summary: 'Gateways with last-seen and status', response: { 200: z.object({ gateways: z.array(gatewaySchema) }) } } }, async (req) => {
    const auth = requireAdmin(req);
    return { gateways: (await listGateways(db, auth.practiceId)).map(gatewayDto) };
  });

  app.post(
    '/api/admin/gateways',
    {
      schema: {
        summary: 'Register a gateway at a site; its secret is shown only in this response',
        body: z.object({ siteId: z.string().uuid(), name: z.string().min(1).max(200) }),
        response: { 201: z.object({ gateway: gatewaySchema, keyId: z.string(), secret: z.string() }) },
      },
    },
    async (req, reply) => {
      const auth = requireAdmin(req);
      const r = await mapRepoErrors(() => createGateway(db, auth.practiceId, req.body, actorOf(req, auth)));
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ gateway: gatewayDto(r.gateway), keyId: r.keyId, secret: r.secret });
    },
  );

  app.post('/api/admin/gateways/:id/revoke', { schema: { summary: 'Revoke a gateway', params: idParams } }, async (req, reply) => {
    const auth = requireAdmin(req);
    if (!(await revokeGateway(db, auth.practiceId, req.params.id, actorOf(req, auth)))) throw notFound('active gateway');
    return reply.status(204).send();
  });

  app.get('/api/admin/tokens', { schema: { summary: 'API tokens (never their secret)', response: { 200: z.object({ tokens: z.array(tokenSchema) }) } } }, async (req) => {
    const auth = requireAdmin(req);
    const tokens = await listApiTokens(db, auth.practiceId);
    return { tokens: tokens.map((t) => ({ id: t.id, name: t.name, prefix: t.prefix, role: t.role, createdAt: t.createdAt.toISOString(), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) })) };
  });

  app.post(
    '/api/admin/tokens',
    {
      schema: {
        summary: 'Create an API token; the token is shown only in this response',
        body: z.object({ name: z.string().min(1).max(200), role: roleSchema }),
        response: { 201: z.object({ id: z.string(), token: z.string() }) },
      },
    },
    async (req, reply) => {
      const auth = requireAdmin(req);
      const createdById = auth.actor.type === 'USER' ? auth.actor.id : null;
      const r = await mapRepoErrors(() => createApiToken(db, auth.practiceId, { ...req.body, createdById }, actorOf(req, auth)));
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ id: r.apiToken.id, token: r.token });
    },
  );

  app.post('/api/admin/tokens/:id/revoke', { schema: { summary: 'Revoke an API token', params: idParams } }, async (req, reply) => {
    const auth = requireAdmin(req);
    if (!(await revokeApiToken(db, auth.practiceId, req.params.id, actorOf(req, auth)))) throw notFound('active API token');
    return reply.status(204).send();
  });
};
