import { createDb, type Db } from '@vetpacs/db';
import { JobProducer, redisConnectionOptions } from '@vetpacs/jobs';
import { createObjectStore, type ObjectStore } from '@vetpacs/storage';
import type { ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { WorkerConfig } from './config';
import { createMetrics, type WorkerMetrics } from './ops/metrics';

/** Everything the worker's handlers talk to. Built once in main.ts (or per test), closed in reverse. */
export interface WorkerDeps {
  db: Db;
  store: ObjectStore;
  /** The second copy of originals, when configured. */
  replica: ObjectStore | undefined;
  jobs: JobProducer;
  connection: ConnectionOptions;
  metrics: WorkerMetrics;
  log: Logger;
}


export function createWorkerDeps(config: WorkerConfig, log: Logger): WorkerDeps {
  const connection = redisConnectionOptions(config.REDIS_URL);
  return {
    db: createDb(config.DATABASE_URL, { maxConnections: 8 }),
    store: createObjectStore(config.storage),
    replica: config.replica ? createObjectStore(config.replica) : undefined,
    jobs: new JobProducer(connection, config.QUEUE_PREFIX),
    connection,
    metrics: createMetrics(),
    log,
  };
}

export async function closeWorkerDeps(deps: WorkerDeps): Promise<void> {
  await deps.jobs.close();
  await deps.db.close();
  await deps.store.close?.();
  await deps.replica?.close?.();
}
