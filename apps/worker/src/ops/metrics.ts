import { createServer, type Server } from 'node:http';
import type { JobProducer, QueueName } from '@vetpacs/jobs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The worker's Prometheus metrics, in a registry of its own (tests build several workers). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vetpacs_worker_' });
  return {
    registry,
    jobDuration: new Histogram({
      name: 'vetpacs_job_duration_seconds',
      help: 'Time spent running a job, by queue, job name and outcome',
      labelNames: ['queue', 'job', 'outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: 'vetpacs_job_failures_total',
      help: 'Failed job attempts; permanent="true" means no retry (bad input, lossless check failed)',
      labelNames: ['queue', 'job', 'permanent'] as const,
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'vetpacs_queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed, ...) at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
    integrityMismatches: new Counter({
      name: 'vetpacs_integrity_mismatches_total',
      help: 'Stored originals found missing, resized, altered or unindexed',
      labelNames: ['kind', 'repaired'] as const,
      registers: [registry],
    }),
    integrityRepairs: new Counter({
      name: 'vetpacs_integrity_repairs_total',
      help: 'Repair attempts from the second copy, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    scrubRuns: new Counter({ name: 'vetpacs_integrity_scrubs_total', help: 'Completed scrubs', labelNames: ['full'] as const, registers: [registry] }),
    replicatedBytes: new Counter({ name: 'vetpacs_replicated_bytes_total', help: 'Bytes copied to the second store', registers: [registry] }),
  };
}

export type WorkerMetrics = ReturnType<typeof createMetrics>;

/**
 * Serves `GET /metrics` (Prometheus text format). Queue depths are read from Redis at scrape time,
 * so they are right even when no job has run since the worker started.
 */
export async function startMetricsServer(metrics: WorkerMetrics, jobs: JobProducer, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      try {
        const counts = await jobs.counts();
        for (const [queue, states] of Object.entries(counts) as [QueueName, Record<string, number>][]) {
          for (const [state, n] of Object.entries(states)) metrics.queueJobs.set({ queue, state }, n);
        }
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
      } catch (err) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(err as Error).message}\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
