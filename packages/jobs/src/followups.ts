import type { PendingJob } from './producer';
import { FOLLOW_UPS_PER_JOB, type JobPayload } from './registry';

/** A newly stored instance whose derived work is still to be queued. */
export type NewInstance = JobPayload<'ingest.followups'>['instances'][number];

/**
 * The derived work of new instances: a thumbnail per instance, and the series' metadata blob and
 * thumbnail (coalesced per series by their deduplication ids). Shared by ingest (one instance) and
 * the worker's `ingest.followups` handler (a request's instances), so both queue the same jobs.
 */
export function ingestFollowUps(base: { practiceId: string; traceId: string }, instances: readonly NewInstance[]): PendingJob[] {
  const jobs: PendingJob[] = [];
  for (const i of instances) {
    // An instance of another request than the batch's first keeps its own trace id.
    const own = { practiceId: base.practiceId, traceId: i.traceId ?? base.traceId };
    jobs.push(
      { name: 'instance.thumbnail', payload: { ...own, instanceId: i.instanceId, version: i.version } },
      { name: 'series.metadata', payload: { ...own, seriesId: i.seriesId } },
      { name: 'series.thumbnail', payload: { ...own, seriesId: i.seriesId } },
    );
  }
  return jobs;
}

/**
 * The jobs that queue new instances' derived work from an upload: one instance's own jobs, or for
 * several one `ingest.followups` job per {@link FOLLOW_UPS_PER_JOB}, which the worker turns into the
 * same jobs — one Redis call per request instead of three adds per instance.
 */
export function followUpJobs(base: { practiceId: string; traceId: string }, instances: readonly NewInstance[]): PendingJob[] {
  if (instances.length === 1) return ingestFollowUps(base, instances);
  const jobs: PendingJob[] = [];
  for (let i = 0; i < instances.length; i += FOLLOW_UPS_PER_JOB) {
    jobs.push({ name: 'ingest.followups', payload: { ...base, instances: instances.slice(i, i + FOLLOW_UPS_PER_JOB) } });
  }
  return jobs;
}
