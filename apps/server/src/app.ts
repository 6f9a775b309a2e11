import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { queueAdminRoutes } from './admin/queues';
import { adminRoutes } from './admin/routes';
import { authPlugin } from './auth/plugin';
import { authRoutes } from './auth/routes';
import { csrfGuard } from './auth/sessions';
import { createCredentialVerifier } from './auth/verifier';
import type { ServerConfig } from './config';
import type { ServerDeps } from './deps';
import { renderedRoutes } from './dicomweb/rendered';
import { dicomwebRoutes } from './dicomweb/routes';
import { stowRoutes } from './dicomweb/stow';
import { gatewayRoutes } from './gateways/routes';
import { healthRoutes } from './health/routes';
import { createReadiness } from './health/service';
import { RedisLocker } from './ingest/redis-locker';
import { IngestRepo } from './ingest/repo';
import { ingestRoutes } from './ingest/routes';
import { IngestService } from './ingest/service';
import { createTusServer } from './ingest/tus';
import { installErrorHandler } from './lib/error-handler';
import { studyRoutes } from './studies/routes';
import { webRoutes } from './web/static';

export interface BuildServerOptions {
  config: ServerConfig;
  deps: ServerDeps;
  /** pino logger options; tests pass `false`. */
  logger?: boolean | object;
}

/**
 * Builds the Fastify app from its dependencies. No module-level singletons: tests build as many
 * servers as they need (e.g. two instances sharing one upload).
 */
export async function buildServer({ config, deps, logger }: BuildServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.LOG_LEVEL },
    trustProxy: config.TRUST_PROXY,
    // Uploads and STOW bodies are streamed by their routes; this limit applies to JSON bodies only.
    bodyLimit: 1024 * 1024,
    genReqId: () => randomUUID(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  // Every route, for the cross-tenant sweep test and operator tooling.
  const registeredRoutes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) registeredRoutes.push({ method, url: r.url });
  });
  app.decorate('registeredRoutes', registeredRoutes);

  const readiness = createReadiness({
    database: () => deps.db.$queryRaw`select 1`,
    redis: () => deps.redis.ping(),
    storage: () => deps.store.ping(),
  });
  await app.register(healthRoutes, { readiness });
  await app.register(authPlugin, { verifier: createCredentialVerifier(deps.db) });
  await app.register(csrfGuard, { allowedOrigins: config.CORS_ORIGINS });
  await app.register(authRoutes, { db: deps.db, redis: deps.redis, keyPrefix: config.QUEUE_PREFIX, publicUrl: config.PUBLIC_URL, allowedOrigins: config.CORS_ORIGINS });
  await app.register(adminRoutes, { db: deps.db });
  await app.register(queueAdminRoutes, { db: deps.db, jobs: deps.jobs, operatorPracticeSlug: config.OPERATOR_PRACTICE_SLUG });
  await app.register(studyRoutes, { db: deps.db, store: deps.store });
  await app.register(gatewayRoutes, { db: deps.db });
  await app.register(webRoutes, {});

  // Ingest: one pipeline behind tus uploads (single instances and bundles) and STOW-RS.
  const ingestRepo = new IngestRepo(deps.db);
  const ingest = new IngestService(
    { repo: ingestRepo, store: deps.store, jobs: deps.jobs, log: app.log },
    { maxInstanceBytes: config.MAX_INSTANCE_SIZE },
  );
  await mkdir(config.UPLOAD_STAGING_DIR, { recursive: true });
  const lockSubscriber = deps.redis.duplicate();
  const tus = createTusServer({
    stagingDir: config.UPLOAD_STAGING_DIR,
    maxSize: config.MAX_UPLOAD_SIZE,
    expiryMs: config.UPLOAD_EXPIRY_HOURS * 3600_000,
    locker: new RedisLocker(deps.redis, lockSubscriber, { prefix: config.QUEUE_PREFIX, ttlMs: config.TUS_LOCK_TTL_MS }),
    ingestor: ingest,
    log: app.log,
    publicUrl: config.PUBLIC_URL,
    traceId: () => randomUUID(),
  });
  await app.register(ingestRoutes, { tus, repo: ingestRepo });
  await app.register(dicomwebRoutes, { db: deps.db, store: deps.store, publicUrl: config.PUBLIC_URL, corsOrigins: config.CORS_ORIGINS });
  await app.register(renderedRoutes, { db: deps.db, store: deps.store });
  await app.register(stowRoutes, { ingest, publicUrl: config.PUBLIC_URL });

  // Housekeeping: finish uploads a crash interrupted, drop abandoned ones.
  const housekeeping = setInterval(() => {
    void tus.recoverCompletedUploads().catch((err) => app.log.warn({ err }, 'upload recovery failed'));
    void tus.cleanUpExpired().catch((err) => app.log.warn({ err }, 'expired upload clean-up failed'));
  }, 5 * 60_000);
  housekeeping.unref();
  app.addHook('onReady', async () => {
    void tus.recoverCompletedUploads().catch((err) => app.log.warn({ err }, 'upload recovery failed'));
  });
  app.addHook('onClose', async () => {
    clearInterval(housekeeping);
    lockSubscriber.disconnect();
  });
  app.decorate('tusServer', tus);

  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Exposed for tests and housekeeping commands. */
    tusServer: ReturnType<typeof createTusServer>;
    registeredRoutes: { method: string; url: string }[];
  }
}
