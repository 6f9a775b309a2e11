import { createUser, type Db, listUsers, type Member, removeMember, setMemberRole, setUserPassword } from '@vetpacs/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conflict } from '../lib/errors';
import { actorOf, idParams, mapRepoErrors, notFound, requireAdmin, roleSchema } from './common';

const memberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
});
const toDto = (m: Member) => ({ ...m, createdAt: m.createdAt.toISOString() });

/**
 * Users and roles: list, invite (a generated password is shown once), change role, reset password
 * (ends the user's sessions), remove from the practice. The last owner/admin cannot be demoted or
 * removed, so a practice can never lock itself out of its own administration.
 */
export const adminUserRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  async function guardLastAdmin(practiceId: string, userId: string) {
    const admins = await db.membership.findMany({ where: { practiceId, role: 'OWNER_ADMIN' }, select: { userId: true } });
    if (admins.length === 1 && admins[0]!.userId === userId) throw conflict('LAST_ADMIN', 'the practice must keep at least one owner/admin');
  }

  app.get('/api/admin/users', { schema: { summary: 'Members of the practice', response: { 200: z.object({ users: z.array(memberSchema) }) } } }, async (req) => {
    const auth = requireAdmin(req);
    return { users: (await listUsers(db, auth.practiceId)).map(toDto) };
  });

  app.post(
    '/api/admin/users',
    {
      schema: {
        summary: 'Add a member (creates the account when the e-mail is new)',
        body: z.object({ email: z.string().min(3).max(320), name: z.string().min(1).max(200), role: roleSchema, password: z.string().max(1024).optional() }),
        response: { 201: z.object({ user: memberSchema, existingUser: z.boolean(), generatedPassword: z.string().nullable() }) },
      },
    },
    async (req, reply) => {
      const auth = requireAdmin(req);
      const r = await mapRepoErrors(() => createUser(db, auth.practiceId, req.body, actorOf(req, auth)));
      return reply.status(201).send({ user: toDto(r.member), existingUser: r.existingUser, generatedPassword: r.generatedPassword });
    },
  );

  app.patch(
    '/api/admin/users/:id',
    { schema: { summary: "Change a member's role", params: idParams, body: z.object({ role: roleSchema }), response: { 200: memberSchema } } },
    async (req) => {
      const auth = requireAdmin(req);
      if (req.body.role !== 'OWNER_ADMIN') await guardLastAdmin(auth.practiceId, req.params.id);
      const m = await setMemberRole(db, auth.practiceId, req.params.id, req.body.role, actorOf(req, auth));
      if (!m) throw notFound('user');
      return toDto(m);
    },
  );

  app.post(
    '/api/admin/users/:id/password',
    {
      schema: {
        summary: "Reset a member's password (a generated one is returned once when none is given)",
        params: idParams,
        body: z.object({ password: z.string().max(1024).optional() }),
        response: { 200: z.object({ generatedPassword: z.string().nullable() }) },
      },
    },
    async (req) => {
      const auth = requireAdmin(req);
      const r = await mapRepoErrors(() => setUserPassword(db, auth.practiceId, req.params.id, req.body.password, actorOf(req, auth)));
      if (!r.ok) throw notFound('user');
      return { generatedPassword: r.generatedPassword };
    },
  );

  app.delete('/api/admin/users/:id', { schema: { summary: 'Remove a member from the practice', params: idParams } }, async (req, reply) => {
    const auth = requireAdmin(req);
    await guardLastAdmin(auth.practiceId, req.params.id);
    if (!(await removeMember(db, auth.practiceId, req.params.id, actorOf(req, auth)))) throw notFound('user');
    return reply.status(204).send();
  });
};
