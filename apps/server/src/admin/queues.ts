import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { type Db, getPracticeBySlug } from '@vetpacs/db';
import { forbidden } from '../lib/errors';
import { type JobProducer, QUEUES, type QueueName } from '@vetpacs/jobs';
import type { FastifyPluginAsync } from 'fastify';
import { requireAdmin } from './common';

export interface QueueAdminOptions {
  db: Db;
  jobs: JobProducer;
  /**
   * Slug of the installation operator's practice. Only its OWNER_ADMINs may open the bull-board
   * dashboard (/admin/queues), which shows every practice's jobs; unset = no dashboard.
   */
  operatorPracticeSlug?: string;
}

const FAILED_LIMIT = 200;

/**
 * Background-work visibility for practice admins (OWNER_ADMIN):
 * - `GET /api/admin/queues`: jobs per queue and state (counts only, no job data);
 * - `GET /api/admin/queues/failed`: this practice's failed jobs with their reason and attempts
 *   (permanent failures land here; transient ones first retry with exponential backoff);
 * - `GET /api/admin/integrity`: integrity alerts (scrub mismatches, repairs, unindexed objects);
 * - `/admin/queues`: the bull-board dashboard, read-only. It shows jobs of every practice (payloads
 *   are ids only, never images or names), so only the installation operator's admins may open it
 *   (OPERATOR_PRACTICE_SLUG); a practice admin of any other practice gets 403.
 */
export const queueAdminRoutes: FastifyPluginAsync<QueueAdminOptions> = async (app, { db, jobs, operatorPracticeSlug }) => {
  const names = Object.values(QUEUES) as QueueName[];

  app.get('/api/admin/queues', async (req) => {
    requireAdmin(req);
    return { queues: await jobs.counts() };
  });

  app.get('/api/admin/queues/failed', async (req) => {
    const { practiceId } = requireAdmin(req);
    const out: { queue: string; id: string | undefined; name: string; failedReason: string; attempts: number; failedAt: string | null; data: unknown }[] = [];
    for (const name of names) {
      for (const job of await jobs.queue(name).getFailed(0, FAILED_LIMIT - 1)) {
        // Scrub and reconcile runs without a practice are installation-wide: not a practice's to see.
        if ((job.data as { practiceId?: string } | undefined)?.practiceId !== practiceId) continue;
        out.push({
          queue: name,
          id: job.id,
          name: job.name,
          failedReason: job.failedReason,
          attempts: job.attemptsMade,
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
          data: job.data,
        });
      }
    }
    return { failed: out };
  });

  app.get('/api/admin/integrity', async (req) => {
    const { practiceId } = requireAdmin(req);
    const events = await db.auditEvent.findMany({
      where: { practiceId, action: { startsWith: 'integrity.' } },
      orderBy: { at: 'desc' },
      take: 200,
    });
    return { alerts: events.map((e) => ({ at: e.at.toISOString(), action: e.action, entityType: e.entityType, entityId: e.entityId, details: e.details })) };
  });

  if (operatorPracticeSlug) {
    const adapter = new FastifyAdapter();
    createBullBoard({
      queues: names.map((n) => new BullMQAdapter(jobs.queue(n), { readOnlyMode: true })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'VetPACS jobs' } },
    });
    adapter.setBasePath('/admin/queues');
    // The operator slug is fixed for the process: look its practice up until it exists, then keep
    // the id (every dashboard request, static assets included, passes this hook).
    let operatorId: string | undefined;
    await app.register(async (scope) => {
      scope.addHook('onRequest', async (req) => {
        const { practiceId } = requireAdmin(req);
        operatorId ??= (await getPracticeBySlug(db, operatorPracticeSlug))?.id;
        if (operatorId !== practiceId) throw forbidden('the job dashboard is for the installation operator');
      });
      await scope.register(adapter.registerPlugin(), { prefix: '/admin/queues' });
    });
  }
};
