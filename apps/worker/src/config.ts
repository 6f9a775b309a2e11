import { fields, loadConfigOrExit } from '@vetpacs/config';
import { refineStorageEnv, storageConfigFromParsedEnv, storageEnvShape } from '@vetpacs/storage';
import { z } from 'zod';

const workerEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: fields.postgresUrl,
    REDIS_URL: fields.redisUrl.default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z.string().min(1).default('vetpacs'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Parallel jobs per queue; image work is CPU bound, so keep media low on small machines. */
    MEDIA_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
    METADATA_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    INTEGRITY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    /** Port for Prometheus metrics (0 = off). */
    METRICS_PORT: fields.port.default(0),
    ...storageEnvShape,
  })
  .superRefine(refineStorageEnv);

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = loadConfigOrExit(workerEnvSchema, env, 'worker');
  return Object.freeze({ ...parsed, storage: storageConfigFromParsedEnv(parsed) });
}
