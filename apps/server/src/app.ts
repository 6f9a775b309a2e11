import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import type { Http2SecureServer } from 'node:http2';
import Fastify, { type FastifyHttp2SecureOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
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
  const app = (await createFastify(config, logger)).withTypeProvider<ZodTypeProvider>();
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
  await app.register(dicomwebRoutes, {
    db: deps.db,
    store: deps.store,
    publicUrl: config.PUBLIC_URL,
    corsOrigins: config.CORS_ORIGINS,
    transcode: { maxBytes: config.TRANSCODE_ON_THE_FLY_MAX_BYTES, threads: config.TRANSCODE_ON_THE_FLY_THREADS },
  });
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
    await ingest.close(); // follow-up jobs of answered requests, before the queues close
    await ingestRepo.close();
  });
  app.decorate('tusServer', tus);

  return app;
}

/**
 * The Fastify instance: plain HTTP/1.1, or, with TLS_CERT_FILE/TLS_KEY_FILE, TLS with HTTP/2 and
 * HTTP/1.1 negotiated by ALPN. Browsers speak HTTP/2 only over TLS, and it lifts their ~6
 * connections per origin limit that caps a viewer's parallel frame requests
 * (docs/dicomweb-conformance.md §6.1). Routes see the same request/reply API either way; the
 * instance is typed as the HTTP/1 one because no route touches the raw server type.
 */
async function createFastify(config: ServerConfig, logger: BuildServerOptions['logger']): Promise<FastifyInstance> {
  const options: FastifyServerOptions = {
    logger: logger ?? { level: config.LOG_LEVEL },
    trustProxy: config.TRUST_PROXY,
    // Uploads and STOW bodies are streamed by their routes; this limit applies to JSON bodies only.
    bodyLimit: 1024 * 1024,
    genReqId: () => randomUUID(),
  };
  if (!config.TLS_CERT_FILE || !config.TLS_KEY_FILE) return Fastify(options);
  const [cert, key] = await Promise.all([readFile(config.TLS_CERT_FILE), readFile(config.TLS_KEY_FILE)]);
  const h2: FastifyHttp2SecureOptions<Http2SecureServer> = { ...(options as FastifyHttp2SecureOptions<Http2SecureServer>), http2: true, https: { allowHTTP1: true, cert, key } };
  return Fastify(h2) as unknown as FastifyInstance;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Exposed for tests and housekeeping commands. */
    tusServer: ReturnType<typeof createTusServer>;
    registeredRoutes: { method: string; url: string }[];
  }
}
