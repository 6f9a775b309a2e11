import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Readiness } from './service';

const check = z.object({ ok: z.boolean(), error: z.string().optional(), ms: z.number() });

/** `/healthz`: the process is up. `/readyz`: every dependency answers (and which one failed). */
export const healthRoutes: FastifyPluginAsyncZod<{ readiness: Readiness }> = async (app, { readiness }) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    {
      schema: {
        hide: true,
        response: {
          200: z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), check) }),
          503: z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), check) }),
        },
      },
    },
    async (_req, reply) => {
      const checks = await readiness.check();
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks });
    },
  );
};
