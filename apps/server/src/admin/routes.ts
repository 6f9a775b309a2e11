import type { Db } from '@vetpacs/db';
import type { FastifyPluginAsync } from 'fastify';
import { adminAuditRoutes } from './audit';
import { adminCredentialRoutes } from './credentials';
import { adminSiteRoutes } from './sites';
import { adminUserRoutes } from './users';

/**
 * Practice administration under /api/admin (OWNER_ADMIN only, checked in every handler): sites,
 * users and roles, gateways, API tokens, audit log. Every change is audited by @vetpacs/db's
 * repositories in the same transaction as the change.
 */
export const adminRoutes: FastifyPluginAsync<{ db: Db }> = async (app, { db }) => {
  await app.register(adminSiteRoutes, { db });
  await app.register(adminUserRoutes, { db });
  await app.register(adminCredentialRoutes, { db });
  await app.register(adminAuditRoutes, { db });
};
