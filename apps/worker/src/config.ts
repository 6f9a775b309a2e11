import { exitOnConfigError, fields, parseConfigParts } from '@vetpacs/config';
import { THUMBNAIL_SIZE } from '@vetpacs/imaging';
import { type StorageConfig, storageConfigFromParsedEnv, storageEnvSchema, storageEnvShape } from '@vetpacs/storage';
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
    METRICS_HOST: z.string().default('127.0.0.1'),
    /**
     * How long a job's lock lives without renewal. A worker that dies (SIGKILL, OOM, power loss)
     * holds its jobs until then; the next stalled check puts them back in the queue.
     */
    JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
    /** Longest side of stored thumbnails in pixels. */
    THUMBNAIL_SIZE: z.coerce.number().int().min(32).max(1024).default(THUMBNAIL_SIZE),
    /** Uncompressed originals at least this large get a JPEG-LS lossless copy. */
    TRANSCODE_MIN_BYTES: fields.bytes.default(1024 * 1024),
    /** Originals above this size are not transcoded (transcoding holds the file in memory). */
    TRANSCODE_MAX_BYTES: fields.bytes.default(512 * 1024 * 1024),
    /** Full integrity scrub (re-hash every original) every N hours; 0 = not scheduled. */
    SCRUB_INTERVAL_HOURS: z.coerce.number().min(0).default(24),
    /** Reconcile (re-enqueue missing derived work) every N minutes; 0 = not scheduled. */
    RECONCILE_INTERVAL_MINUTES: z.coerce.number().min(0).default(15),
    /** Objects younger than this are not reported as unindexed (an upload may be mid-flight). */
    UNINDEXED_GRACE_MINUTES: z.coerce.number().min(0).default(60),
    // Second copy of originals (optional). Unset REPLICA_* keys default to the primary store's.
    REPLICA_STORAGE_BACKEND: z.enum(['s3', 'fs']).optional(),
    // Same bucket-name rule as S3_BUCKET.
    REPLICA_S3_BUCKET: storageEnvShape.S3_BUCKET,
    REPLICA_S3_ENDPOINT: fields.httpUrl.optional(),
    REPLICA_S3_REGION: z.string().min(1).optional(),
    REPLICA_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    REPLICA_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    REPLICA_STORAGE_FS_ROOT: z.string().min(1).optional(),
    ...storageEnvShape,
  })
  .superRefine((env, ctx) => {
    const backend = env.REPLICA_STORAGE_BACKEND ?? (env.REPLICA_STORAGE_FS_ROOT ? 'fs' : env.REPLICA_S3_BUCKET ? 's3' : undefined);
    if (backend === 's3' && !env.REPLICA_S3_BUCKET) ctx.addIssue({ code: 'custom', path: ['REPLICA_S3_BUCKET'], message: 'required when REPLICA_STORAGE_BACKEND=s3' });
    if (backend === 'fs' && !env.REPLICA_STORAGE_FS_ROOT?.startsWith('/')) {
      ctx.addIssue({ code: 'custom', path: ['REPLICA_STORAGE_FS_ROOT'], message: 'required (an absolute path) when REPLICA_STORAGE_BACKEND=fs' });
    }
    if (backend === 's3' && env.REPLICA_S3_BUCKET === env.S3_BUCKET && (env.REPLICA_S3_ENDPOINT ?? env.S3_ENDPOINT) === env.S3_ENDPOINT) {
      ctx.addIssue({ code: 'custom', path: ['REPLICA_S3_BUCKET'], message: 'must differ from S3_BUCKET: a second copy in the same bucket is no second copy' });
    }
  });

type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** The worker's configuration: parsed env plus the primary and (optional) replica store configs. */
export type WorkerConfig = ReturnType<typeof toWorkerConfig>;

function toWorkerConfig(env: WorkerEnv) {
  return Object.freeze({ ...env, storage: storageConfigFromParsedEnv(env), replica: replicaConfig(env) });
}

/** The second object store for originals, or undefined when replication is off. */
function replicaConfig(env: WorkerEnv): StorageConfig | undefined {
  const backend = env.REPLICA_STORAGE_BACKEND ?? (env.REPLICA_STORAGE_FS_ROOT ? 'fs' : env.REPLICA_S3_BUCKET ? 's3' : undefined);
  if (backend === 'fs') return { backend: 'fs', root: env.REPLICA_STORAGE_FS_ROOT! };
  if (backend !== 's3' || !env.REPLICA_S3_BUCKET) return undefined;
  const endpoint = env.REPLICA_S3_ENDPOINT ?? env.S3_ENDPOINT;
  return {
    backend: 's3',
    endpoint,
    region: env.REPLICA_S3_REGION ?? env.S3_REGION,
    bucket: env.REPLICA_S3_BUCKET,
    accessKeyId: env.REPLICA_S3_ACCESS_KEY_ID ?? env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.REPLICA_S3_SECRET_ACCESS_KEY ?? env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE ?? endpoint !== undefined,
  };
}

/** Parses and validates; throws ConfigError listing every problem (tests). */
export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  // Parsed in two parts so the storage rules (e.g. S3_BUCKET required) are reported even when an
  // unrelated key is also wrong (a failing object skips its refinements).
  return toWorkerConfig(parseConfigParts([workerEnvSchema, storageEnvSchema], env));
}

/** For the process entry point: prints every problem on its own line and exits 1. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  return exitOnConfigError('worker', () => parseWorkerConfig(env));
}
