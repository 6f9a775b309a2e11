import { createDb, type Db } from '@vetpacs/db';
import { JobProducer, redisConnectionOptions } from '@vetpacs/jobs';
import { createObjectStore, type ObjectStore } from '@vetpacs/storage';
import { Redis } from 'ioredis';
import type { ServerConfig } from './config';

/** Everything the server talks to. Built once in main.ts (or per test) and closed in reverse order. */
export interface ServerDeps {
  db: Db;
  store: ObjectStore;
  redis: Redis;
  jobs: JobProducer;
}

export function createServerDeps(config: ServerConfig): ServerDeps {
  const db = createDb(config.DATABASE_URL);
  const store = createObjectStore(config.storage);
  // lazyConnect + limited retries: readiness reports a missing Redis instead of the process hanging.
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  // Without a listener ioredis prints every reconnect failure; readiness reports the outage instead.
  redis.on('error', () => {});
  const jobs = new JobProducer(redisConnectionOptions(config.REDIS_URL), config.QUEUE_PREFIX);
  return { db, store, redis, jobs };
}


export async function closeServerDeps(deps: ServerDeps): Promise<void> {
  await deps.jobs.close();
  await deps.db.close();
  deps.redis.disconnect();
  await deps.store.close?.();
}
