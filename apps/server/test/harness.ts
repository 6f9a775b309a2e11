import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiToken, createGateway, createPractice, createSite, createUser, type Db } from '@vetpacs/db';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { buildServer } from '../src/app';
import { parseServerConfig, type ServerConfig } from '../src/config';
import { closeServerDeps, createServerDeps, type ServerDeps } from '../src/deps';

/** Environment for a server against the test run's real Postgres, Redis and S3 server. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const s3 = inject('s3');
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: inject('redisPrefix'),
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ...extra,
  };
}

export interface TestPractice {
  id: string;
  slug: string;
  siteId: string;
  /** `Authorization` header value of an API token (VET role). */
  bearer: string;
  /** `Authorization` header value of the site's gateway. */
  gatewayAuth: string;
  gatewayId: string;
  readOnlyBearer: string;
}

/** A fresh practice with a site, a gateway, a VET token and a READ_ONLY token. */
export async function createTestPractice(db: Db, name = 'Test Vets'): Promise<TestPractice> {
  const slug = `t-${randomBytes(5).toString('hex')}`;
  const actor = { type: 'SYSTEM' as const, id: 'test' };
  const practice = await createPractice(db, { name, slug }, actor);
  const site = await createSite(db, practice.id, { name: 'Main', code: 'MAIN' }, actor);
  const vet = await createApiToken(db, practice.id, { name: 'test vet', role: 'VET' }, actor);
  const ro = await createApiToken(db, practice.id, { name: 'test ro', role: 'READ_ONLY' }, actor);
  const gw = await createGateway(db, practice.id, { siteId: site.id, name: 'gw' }, actor);
  await createUser(db, practice.id, { email: `vet-${slug}@example.test`, name: 'Vet', role: 'VET', password: 'correct horse battery' }, actor);
  return {
    id: practice.id,
    slug,
    siteId: site.id,
    bearer: `Bearer ${vet.token}`,
    readOnlyBearer: `Bearer ${ro.token}`,
    gatewayAuth: `Basic ${Buffer.from(`${gw.keyId}:${gw.secret}`).toString('base64')}`,
    gatewayId: gw.gateway.id,
  };
}

export interface TestServer {
  app: FastifyInstance;
  url: string;
  config: ServerConfig;
  deps: ServerDeps;
  stagingDir: string;
  close(): Promise<void>;
}

/** Builds and starts a server on a free loopback port. */
export async function startTestServer(extra: Record<string, string> = {}): Promise<TestServer> {
  const stagingDir = extra.UPLOAD_STAGING_DIR ?? (await mkdtemp(path.join(tmpdir(), 'vetpacs-staging-')));
  const config = parseServerConfig(testEnv({ UPLOAD_STAGING_DIR: stagingDir, PORT: '0', ...extra }));
  const deps = createServerDeps(config);
  const app = await buildServer({ config, deps, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    app,
    url,
    config,
    deps,
    stagingDir,
    async close() {
      await app.close();
      await closeServerDeps(deps);
      if (!extra.UPLOAD_STAGING_DIR) await rm(stagingDir, { recursive: true, force: true });
    },
  };
}

/** A multipart/related body of Part-10 parts, as STOW-RS takes it (PS3.18 §10.5). */
export function multipartBody(parts: { type?: string; body: Uint8Array }[], boundary = `b-${randomBytes(8).toString('hex')}`) {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${p.type ?? 'application/dicom'}\r\n\r\n`), Buffer.from(p.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

/** STOW-RS through the real ingest (the same path as production uploads). */
export async function stowParts(server: { url: string }, auth: string, parts: { type?: string; body: Uint8Array }[], study?: string) {
  const { body, contentType } = multipartBody(parts);
  const res = await fetch(`${server.url}/dicomweb/studies${study ? `/${study}` : ''}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': contentType, accept: 'application/dicom+json' },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: (text ? JSON.parse(text) : {}) as Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }> };
}
