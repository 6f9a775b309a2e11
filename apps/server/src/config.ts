import { exitOnConfigError, fields, parseConfigParts } from '@vetpacs/config';
import { storageConfigFromParsedEnv, storageEnvSchema } from '@vetpacs/storage';
import { z } from 'zod';

/** The server's whole configuration, parsed once from the environment at start-up. */
const serverEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: fields.port.default(8080),
    /** Origin users reach us at (BulkDataURIs, share links, tus Location headers behind a proxy). */
    PUBLIC_URL: fields.httpUrl.optional(),
    DATABASE_URL: fields.postgresUrl,
    REDIS_URL: fields.redisUrl.default('redis://127.0.0.1:6379'),
    /** Key prefix for BullMQ (lets tests and several installs share one Redis). */
    QUEUE_PREFIX: z.string().min(1).default('vetpacs'),
    /** Server processes sharing the port (one JavaScript thread each); 1 = no cluster. */
    SERVER_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Directory for tus upload staging. Shared (NFS/EFS) when several server instances serve uploads. */
    UPLOAD_STAGING_DIR: z.string().min(1).default('.data/uploads'),
    /** Largest single upload (one instance or one bundle) accepted. */
    MAX_UPLOAD_SIZE: fields.bytes.default(4 * 1024 ** 3),
    /** Largest single DICOM instance accepted. */
    MAX_INSTANCE_SIZE: fields.bytes.default(2 * 1024 ** 3),
    /** Unfinished uploads older than this are deleted. */
    UPLOAD_EXPIRY_HOURS: z.coerce.number().positive().default(24),
    /** TTL of a tus upload lock in Redis; only matters when an instance dies holding one. */
    TUS_LOCK_TTL_MS: z.coerce.number().int().min(1000).default(30_000),
    /** Practice whose OWNER_ADMINs operate the installation (bull-board dashboard); unset = none. */
    OPERATOR_PRACTICE_SLUG: z.string().min(1).optional(),
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean)),
    TRUST_PROXY: fields.bool.default(false),
    /**
     * TLS certificate chain and private key (PEM files). When both are set the server terminates
     * TLS itself and speaks HTTP/2 (HTTP/1.1 still accepted through ALPN); unset = plain HTTP/1.1.
     */
    TLS_CERT_FILE: z.string().min(1).optional(),
    TLS_KEY_FILE: z.string().min(1).optional(),
    /**
     * WADO-RS transcodes on request only instances (or, for frames, the bytes one frame needs) up to
     * this size, counting both the stored bytes and the decoded pixel data: transcoding holds them
     * in memory. Larger ones are served only as stored (or from a worker-made copy).
     */
    TRANSCODE_ON_THE_FLY_MAX_BYTES: fields.bytes.default(128 * 1024 ** 2),
    /** Worker threads decoding on request (0 = on the request thread, blocking it while decoding). */
    TRANSCODE_ON_THE_FLY_THREADS: z.coerce.number().int().min(0).max(32).default(1),
  })
  .superRefine((env, ctx) => {
    if (!env.TLS_CERT_FILE !== !env.TLS_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: [env.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'], message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together' });
    }
  });

export type ServerConfig = ReturnType<typeof toServerConfig>;

function toServerConfig(env: z.infer<typeof serverEnvSchema> & z.infer<typeof storageEnvSchema>) {
  return Object.freeze({ ...env, storage: storageConfigFromParsedEnv(env) });
}

/** Parses and validates; throws ConfigError listing every problem (used by tests). */
export function parseServerConfig(env: Record<string, string | undefined>): ServerConfig {
  return toServerConfig(parseConfigParts([serverEnvSchema, storageEnvSchema], env));
}

/** For the process entry point: prints every problem on its own line and exits 1. */
export function loadServerConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  return exitOnConfigError('server', () => parseServerConfig(env));
}
