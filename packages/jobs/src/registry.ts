import { z } from 'zod';

/**
 * The one job registry shared by producers (server) and the worker. Queue and job names are a wire
 * format stored in Redis: never rename one without a migration of pending jobs.
 * Payloads are ids plus tenant and trace id, never bytes; handlers re-read state from Postgres.
 */
export const QUEUES = {
  /** Image work: thumbnails and transcodes (CPU heavy, low concurrency). */
  media: 'media',
  /** DICOMweb metadata rebuilds (cheap, coalesced per series). */
  metadata: 'metadata',
  /** Integrity: scrub, replication, reconcile. */
  integrity: 'integrity',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const base = {
  practiceId: z.uuid(),
  traceId: z.string().min(1).max(64),
};

const backoff = { type: 'exponential', delay: 2_000 } as const;

/** Most instances one `ingest.followups` job carries. */
export const FOLLOW_UPS_PER_JOB = 1000;

/**
 * Every job: its queue, payload schema and options. `jobId` derives from the payload so a re-sent
 * instance (modalities retry) does not enqueue the same work twice (BullMQ dedups by job id).
 */
export const JOBS = {
  'instance.thumbnail': {
    queue: QUEUES.media,
    payload: z.object({ ...base, instanceId: z.uuid(), version: z.number().int().positive() }),
    jobId: (p: { instanceId: string; version: number }) => `thumb-i-${p.instanceId}-v${p.version}`,
    opts: { attempts: 5, backoff, priority: 5 },
  },
  'series.thumbnail': {
    queue: QUEUES.media,
    payload: z.object({ ...base, seriesId: z.uuid() }),
    jobId: () => undefined,
    // Coalesced like series.metadata: the middle instance changes while a series arrives.
    dedupId: (p: { seriesId: string }) => `thumb-s-${p.seriesId}`,
    opts: { attempts: 5, backoff, priority: 3, delay: 2_000 },
  },
  'instance.transcode': {
    queue: QUEUES.media,
    payload: z.object({ ...base, instanceId: z.uuid(), version: z.number().int().positive(), targetTransferSyntaxUid: z.string() }),
    jobId: (p: { instanceId: string; version: number; targetTransferSyntaxUid: string }) =>
      `transcode-${p.instanceId}-v${p.version}-${p.targetTransferSyntaxUid}`,
    opts: { attempts: 3, backoff, priority: 10 },
  },
  'series.metadata': {
    queue: QUEUES.metadata,
    payload: z.object({ ...base, seriesId: z.uuid() }),
    // Coalesced: one pending rebuild per series. A burst of 500 instances maps to one pending job
    // (BullMQ deduplication); the handler reads the series' current instances when it runs, so later
    // arrivals are included. An instance arriving while the rebuild runs schedules exactly one more
    // (`keepLastIfActive`). A static job id would not do: a completed job kept for the dashboard
    // would swallow the next burst's job.
    jobId: () => undefined,
    dedupId: (p: { seriesId: string }) => `meta-s-${p.seriesId}`,
    opts: { attempts: 5, backoff, delay: 1_000 },
  },
  'ingest.followups': {
    queue: QUEUES.metadata,
    // The derived work of new instances of upload requests, added by the worker as the jobs above
    // (ingestFollowUps): one Redis call per moment of uploads on the server (FollowUpBuffer)
    // instead of three jobs per instance, which cost the server's one JavaScript thread ~14 % of
    // its time on tiny instances (docs/benchmarks.md, "Ingest"). The instance ids are new rows, so
    // the first one names the job.
    payload: z.object({
      ...base,
      // traceId: the request that stored the instance, when it is not the job's (a job carries the
      // instances of the requests a server finished within a moment: FollowUpBuffer).
      instances: z
        .array(z.object({ instanceId: z.uuid(), version: z.number().int().positive(), seriesId: z.uuid(), traceId: base.traceId.optional() }))
        .min(1)
        .max(FOLLOW_UPS_PER_JOB),
    }),
    jobId: (p: { instances: { instanceId: string; version: number }[] }) => `followups-${p.instances[0]!.instanceId}-v${p.instances[0]!.version}-n${p.instances.length}`,
    opts: { attempts: 10, backoff },
  },
  'instance.replicate': {
    queue: QUEUES.integrity,
    payload: z.object({ ...base, instanceId: z.uuid(), version: z.number().int().positive() }),
    jobId: (p: { instanceId: string; version: number }) => `replicate-${p.instanceId}-v${p.version}`,
    opts: { attempts: 10, backoff },
  },
  'integrity.scrub': {
    queue: QUEUES.integrity,
    payload: z.object({ practiceId: z.uuid().optional(), traceId: z.string(), full: z.boolean().default(false) }),
    jobId: () => undefined,
    opts: { attempts: 1 },
  },
  reconcile: {
    queue: QUEUES.integrity,
    payload: z.object({ practiceId: z.uuid().optional(), traceId: z.string() }),
    jobId: () => undefined,
    opts: { attempts: 3, backoff },
  },
} as const;

export type JobName = keyof typeof JOBS;

/** Deduplication id of a coalesced job (see `dedupId` above), or undefined for id-keyed jobs. */
export function dedupIdOf<N extends JobName>(name: N, payload: JobPayload<N>): string | undefined {
  const def = JOBS[name] as { dedupId?: (p: unknown) => string };
  return def.dedupId?.(payload);
}
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;
/** The worker's handler map: `Record<JobName, …>` makes a missing handler a compile error. */
export type JobHandlers = { [N in JobName]: (payload: JobPayload<N>, ctx: { jobId: string | undefined; attempt: number }) => Promise<unknown> };

/** Job names served by one queue. */
export function jobsOfQueue(queue: QueueName): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((n) => JOBS[n].queue === queue);
}

/** Thrown by a handler for a failure that retrying cannot fix (bad input, unsupported codec). */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}
