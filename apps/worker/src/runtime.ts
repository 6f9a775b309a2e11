import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import { JOBS, type JobHandlers, type JobName, PermanentJobError, QUEUES, type QueueName } from '@vetpacs/jobs';
import type { Logger } from 'pino';
import type { WorkerMetrics } from './ops/metrics';

export interface WorkerRuntimeOptions {
  connection: ConnectionOptions;
  prefix: string;
  handlers: JobHandlers;
  concurrency: Record<QueueName, number>;
  logger: Logger;
  metrics?: WorkerMetrics;
  /** Lock lifetime; a dead worker's jobs return to the queue after about this long (default 30 s). */
  lockDurationMs?: number;
}

/**
 * One BullMQ Worker per queue, dispatching by job name to the typed handler map. Payloads are
 * validated with the registry's schema; a PermanentJobError (or invalid payload) fails the job
 * without retries, anything else retries with the job's backoff.
 */
export function startWorkers(opts: WorkerRuntimeOptions): { close(): Promise<void> } {
  assertExhaustive(opts.handlers);
  const workers = Object.values(QUEUES).map(
    (queue) =>
      new Worker(
        queue,
        async (job: Job) => {
          const name = job.name as JobName;
          const def = JOBS[name];
          if (!def) throw new UnrecoverableError(`unknown job ${job.name}`);
          const parsed = def.payload.safeParse(job.data);
          if (!parsed.success) throw new UnrecoverableError(`invalid payload: ${parsed.error.message}`);
          const handler = opts.handlers[name] as (p: unknown, ctx: { jobId: string | undefined; attempt: number }) => Promise<unknown>;
          const t0 = performance.now();
          const observe = (outcome: string) => opts.metrics?.jobDuration.observe({ queue, job: name, outcome }, (performance.now() - t0) / 1000);
          try {
            const result = await handler(parsed.data, { jobId: job.id, attempt: job.attemptsMade + 1 });
            observe('completed');
            opts.logger.debug({ job: name, jobId: job.id, ms: Math.round(performance.now() - t0) }, 'job done');
            return result;
          } catch (err) {
            const permanent = err instanceof PermanentJobError;
            observe('failed');
            opts.metrics?.jobFailures.inc({ queue, job: name, permanent: String(permanent) });
            if (permanent) throw new UnrecoverableError(err.message);
            throw err;
          }
        },
        {
          connection: opts.connection,
          prefix: opts.prefix,
          concurrency: opts.concurrency[queue],
          lockDuration: opts.lockDurationMs ?? 30_000,
          // Check for stalled jobs (their worker died) as often as a lock can expire.
          stalledInterval: opts.lockDurationMs ?? 30_000,
        },
      ),
  );
  for (const w of workers) {
    w.on('failed', (job, err) =>
      opts.logger.warn({ queue: w.name, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, traceId: job?.data?.traceId, err: err.message }, 'job failed'),
    );
    w.on('error', (err) => opts.logger.error({ queue: w.name, err: err.message }, 'worker error'));
  }
  return {
    // Graceful: close() waits for in-flight jobs; unfinished ones return to the queue as stalled.
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}

/** Start-up guard on top of the compile-time `Record<JobName, …>`: a missing handler fails boot. */
function assertExhaustive(handlers: JobHandlers): void {
  const missing = (Object.keys(JOBS) as JobName[]).filter((n) => typeof handlers[n] !== 'function');
  if (missing.length) throw new Error(`worker has no handler for: ${missing.join(', ')}`);
}
