import type { PendingJob } from './producer';
import type { JobPayload } from './registry';

/** A newly stored instance whose derived work is still to be queued. */
export type NewInstance = JobPayload<'ingest.followups'>['instances'][number];

/** Most instances one `ingest.followups` job carries (the registry's limit). */
export const FOLLOW_UPS_PER_JOB = 1000;

/**
 * The derived work of new instances: a thumbnail per instance, and the series' metadata blob and
 * thumbnail (coalesced per series by their deduplication ids). Shared by ingest (one instance) and
 * the worker's `ingest.followups` handler (a request's instances), so both queue the same jobs.
 */
export function ingestFollowUps(base: { practiceId: string; traceId: string }, instances: readonly NewInstance[]): PendingJob[] {
  const jobs: PendingJob[] = [];
  for (const i of instances) {
    jobs.push(
      { name: 'instance.thumbnail', payload: { ...base, instanceId: i.instanceId, version: i.version } },
      { name: 'series.metadata', payload: { ...base, seriesId: i.seriesId } },
      { name: 'series.thumbnail', payload: { ...base, seriesId: i.seriesId } },
    );
  }
  return jobs;
}
