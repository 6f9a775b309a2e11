import { initCodecs } from '@vetpacs/imaging';
import type { WorkerConfig } from './config';
import type { WorkerDeps } from './deps';
import { buildHandlers } from './handlers';
import { startMetricsServer } from './ops/metrics';
import { createScheduleKeeper } from './ops/schedules';
import { startWorkers } from './runtime';

/** A running worker: call `stop()` once; it finishes in-flight jobs (or returns them) and closes. */
export interface RunningWorker {
  stop(): Promise<void>;
}

/**
 * Starts everything the worker runs from its dependencies: codecs, queue consumers, schedules and
 * the metrics endpoint. No module-level state, so tests run several workers in one process.
 */
export async function startWorker(config: WorkerConfig, deps: WorkerDeps): Promise<RunningWorker> {
  await initCodecs();
  const handlers = buildHandlers(deps, config);
  const runtime = startWorkers({
    connection: deps.connection,
    prefix: config.QUEUE_PREFIX,
    handlers,
    concurrency: { media: config.MEDIA_CONCURRENCY, metadata: config.METADATA_CONCURRENCY, integrity: config.INTEGRITY_CONCURRENCY },
    logger: deps.log,
    metrics: deps.metrics,
    lockDurationMs: config.JOB_LOCK_MS,
  });
  const schedules = createScheduleKeeper(deps.jobs, { scrubIntervalHours: config.SCRUB_INTERVAL_HOURS, reconcileIntervalMinutes: config.RECONCILE_INTERVAL_MINUTES }, deps.log);
  await schedules.ensure();
  schedules.start();
  const metricsServer = config.METRICS_PORT ? await startMetricsServer(deps.metrics, deps.jobs, config.METRICS_HOST, config.METRICS_PORT) : undefined;
  return {
    async stop() {
      schedules.stop();
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await runtime.close();
    },
  };
}
