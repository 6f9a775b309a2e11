import { ingestFollowUps, type JobPayload } from '@vetpacs/jobs';
import type { WorkerDeps } from '../deps';

/**
 * `ingest.followups`: queues the derived work of an upload request's new instances — the same
 * jobs, ids and deduplication as ingest of a single instance queues itself (`ingestFollowUps`).
 * Adding them again on a retry is harmless: the job ids and deduplication ids make it a no-op.
 */
export function ingestFollowUpsHandler(deps: Pick<WorkerDeps, 'jobs'>) {
  return async (p: JobPayload<'ingest.followups'>) => {
    await deps.jobs.enqueueMany(ingestFollowUps({ practiceId: p.practiceId, traceId: p.traceId }, p.instances));
    return { instances: p.instances.length };
  };
}
