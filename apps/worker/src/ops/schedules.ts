import { randomUUID } from 'node:crypto';
import { JOBS, type JobProducer } from '@vetpacs/jobs';
import type { Logger } from 'pino';

export interface ScheduleSettings {
  scrubIntervalHours: number;
  reconcileIntervalMinutes: number;
}

const SCRUB = 'integrity-scrub-full';
const RECONCILE = 'reconcile';

/**
 * Keeps the repeatable jobs in Redis (BullMQ job schedulers) and notices when Redis lost them.
 * Schedulers live in Redis like everything else: after a flush they are gone, so this runs at start
 * and every minute; finding one missing means Redis was wiped, and a reconcile is enqueued at once
 * instead of waiting for the next period.
 */
export function createScheduleKeeper(jobs: JobProducer, s: ScheduleSettings, log: Logger) {
  const integrity = () => jobs.queue(JOBS.reconcile.queue);
  async function ensure(): Promise<{ recreated: boolean }> {
    const q = integrity();
    let recreated = false;
    if (s.reconcileIntervalMinutes > 0 && !(await q.getJobScheduler(RECONCILE))) {
      await q.upsertJobScheduler(RECONCILE, { every: s.reconcileIntervalMinutes * 60_000 }, { name: 'reconcile', data: { traceId: 'schedule' }, opts: { attempts: 3 } });
      recreated = true;
    }
    if (s.scrubIntervalHours > 0 && !(await q.getJobScheduler(SCRUB))) {
      await q.upsertJobScheduler(SCRUB, { every: s.scrubIntervalHours * 3_600_000 }, { name: 'integrity.scrub', data: { traceId: 'schedule', full: true }, opts: { attempts: 1 } });
      recreated = true;
    }
    if (recreated) {
      log.warn('job schedules were missing (first start, or Redis was flushed): recreated; reconciling now');
      await jobs.enqueue('reconcile', { traceId: `startup-${randomUUID()}` });
    }
    return { recreated };
  }
  let timer: NodeJS.Timeout | undefined;
  return {
    ensure,
    start(everyMs = 60_000) {
      timer = setInterval(() => void ensure().catch((err) => log.warn({ err: (err as Error).message }, 'schedule check failed')), everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
