import rateLimit from '@fastify/rate-limit';
import { authenticateUser, type Db, recordAudit, RepoError, setUserPassword } from '@vetpacs/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AppError, badRequest, unauthorized } from '../lib/errors';
import { requireAuth } from './plugin';
import { clearSessionCookie, createSession, deleteSession, passesCsrfCheck, sessionCookie, sessionToken } from './sessions';

export interface AuthRoutesOptions {
  db: Db;
  /** Shared rate-limit counters, so the limit holds across server instances. */
  redis: Redis;
  /** Key prefix in Redis (QUEUE_PREFIX), so several installs or test runs can share one Redis. */
  keyPrefix: string;
  publicUrl?: string;
  allowedOrigins: readonly string[];
  /** Sign-in attempts per e-mail address and client IP per window (default 10 per 15 min). */
  loginMax?: number;
}

const practiceSchema = z.object({ id: z.string(), name: z.string(), slug: z.string(), role: z.string() });
const meSchema = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
  practice: practiceSchema,
  role: z.enum(['OWNER_ADMIN', 'VET', 'NURSE', 'READ_ONLY']),
  practices: z.array(practiceSchema),
});

/**
 * Portal sign-in: `POST /api/auth/login` (rate-limited per address and IP), `POST /api/auth/logout`,
 * `GET /api/auth/me`, `POST /api/auth/practice` (switch between one's practices) and
 * `POST /api/auth/password` (change one's own password). Admin password resets live in admin/.
 */
export const authRoutes: FastifyPluginAsyncZod<AuthRoutesOptions> = async (app, opts) => {
  const { db } = opts;
  await app.register(rateLimit, {
    global: false,
    redis: opts.redis,
    nameSpace: `${opts.keyPrefix}:rl:`,
    // A Redis outage must not lock every vet out; the failure is logged.
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) => new AppError(429, 'RATE_LIMITED', `too many sign-in attempts; try again in ${ctx.after}`),
  });
  const secure = (req: FastifyRequest) => req.protocol === 'https' || Boolean(opts.publicUrl?.startsWith('https:'));

  async function startSession(req: FastifyRequest, reply: FastifyReply, userId: string, practiceId: string) {
    const { token, expiresAt } = await createSession(db, { userId, practiceId });
    reply.header('set-cookie', sessionCookie(token, expiresAt, secure(req)));
    return describe(userId, practiceId);
  }

  async function describe(userId: string, practiceId: string) {
    const user = await db.user.findUniqueOrThrow({
      where: { id: userId },
      select: { id: true, email: true, name: true, memberships: { select: { role: true, practice: { select: { id: true, name: true, slug: true } } } } },
    });
    const practices = user.memberships
      .map((m) => ({ ...m.practice, role: m.role }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const current = practices.find((p) => p.id === practiceId);
    if (!current) throw unauthorized('no longer a member of this practice');
    return { user: { id: user.id, email: user.email, name: user.name }, practice: current, role: current.role, practices };
  }

  app.post(
    '/api/auth/login',
    {
      config: {
        rateLimit: {
          hook: 'preHandler',
          max: opts.loginMax ?? 10,
          timeWindow: 15 * 60_000,
          // Per address and IP: one attacker cannot lock out a whole clinic sharing a NAT address.
          keyGenerator: (req) => `login:${req.ip}:${String((req.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}`,
        },
      },
      schema: {
        summary: 'Sign in with e-mail and password; sets the HTTP-only session cookie',
        body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024), practiceId: z.string().uuid().optional() }),
        response: { 200: meSchema },
      },
    },
    async (req, reply) => {
      // Login CSRF: a foreign page must not sign a victim into the attacker's account.
      if (!passesCsrfCheck(req, opts.allowedOrigins)) throw new AppError(403, 'CSRF', 'sign-in must come from the portal');
      const user = await authenticateUser(db, req.body.email, req.body.password);
      if (!user) {
        req.log.info({ email: req.body.email, ip: req.ip }, 'sign-in failed');
        throw unauthorized('wrong e-mail or password');
      }
      const membership = req.body.practiceId
        ? user.memberships.find((m) => m.practiceId === req.body.practiceId)
        : user.memberships[0];
      if (!membership) throw new AppError(403, 'NO_PRACTICE', 'this account is not a member of that practice');
      await recordAudit(db, {
        practiceId: membership.practiceId,
        actor: { type: 'USER', id: user.userId, sourceIp: req.ip },
        action: 'session.login',
        entityType: 'user',
        entityId: user.userId,
      });
      return startSession(req, reply, user.userId, membership.practiceId);
    },
  );

  app.post('/api/auth/logout', { schema: { summary: 'Sign out: ends the session and clears the cookie' } }, async (req, reply) => {
    const token = sessionToken(req);
    if (token) await deleteSession(db, token);
    if (req.auth?.actor.type === 'USER') {
      await recordAudit(db, {
        practiceId: req.auth.practiceId,
        actor: { type: 'USER', id: req.auth.actor.id, sourceIp: req.ip },
        action: 'session.logout',
        entityType: 'user',
        entityId: req.auth.actor.id,
      });
    }
    reply.header('set-cookie', clearSessionCookie(secure(req)));
    return reply.status(204).send();
  });

  // The portal's start-up check: 200 either way, so a signed-out page load logs no failed request.
  app.get('/api/auth/session', { schema: { summary: 'The current portal session, or null', response: { 200: z.object({ me: meSchema.nullable() }) } } }, async (req) => {
    if (req.auth?.actor.type !== 'USER') return { me: null };
    return { me: await describe(req.auth.actor.id, req.auth.practiceId) };
  });

  app.get('/api/auth/me', { schema: { summary: 'The signed-in user, current practice and role', response: { 200: meSchema } } }, async (req) => {
    const auth = requireAuth(req);
    if (auth.actor.type !== 'USER') throw unauthorized('no portal session');
    return describe(auth.actor.id, auth.practiceId);
  });

  app.post(
    '/api/auth/practice',
    {
      schema: {
        summary: "Switch to another of the user's practices (new session)",
        body: z.object({ practiceId: z.string().uuid() }),
        response: { 200: meSchema },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      if (auth.actor.type !== 'USER') throw unauthorized('no portal session');
      const member = await db.membership.findUnique({ where: { userId_practiceId: { userId: auth.actor.id, practiceId: req.body.practiceId } } });
      if (!member) throw new AppError(403, 'NO_PRACTICE', 'not a member of that practice');
      const token = sessionToken(req);
      if (token) await deleteSession(db, token);
      return startSession(req, reply, auth.actor.id, req.body.practiceId);
    },
  );

  app.post(
    '/api/auth/password',
    {
      config: { rateLimit: { max: opts.loginMax ?? 10, timeWindow: 15 * 60_000, keyGenerator: (req) => `password:${req.ip}` } },
      schema: {
        summary: 'Change your own password (ends your other sessions)',
        body: z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) }),
        response: { 200: meSchema },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      if (auth.actor.type !== 'USER') throw unauthorized('no portal session');
      const { email } = await db.user.findUniqueOrThrow({ where: { id: auth.actor.id }, select: { email: true } });
      if (!(await authenticateUser(db, email, req.body.currentPassword))) throw unauthorized('current password is wrong');
      try {
        await setUserPassword(db, auth.practiceId, auth.actor.id, req.body.newPassword, { type: 'USER', id: auth.actor.id, sourceIp: req.ip });
      } catch (err) {
        if (err instanceof RepoError && err.code === 'INVALID') throw badRequest('INVALID', err.message);
        throw err;
      }
      return startSession(req, reply, auth.actor.id, auth.practiceId);
    },
  );
};
