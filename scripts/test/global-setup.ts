/// <reference path="./provided-context.d.ts" />
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate } from '@vetpacs/db/migrate';
import { createDatabaseIfMissing, deleteRedisPrefix, dropDatabase, ensureRedis, startS3rver, withDatabase } from '@vetpacs/devservices';

/**
 * Prepares the real services for one test run: a throwaway Postgres database (migrated from empty),
 * Redis (with a run-unique key prefix), and an s3rver on a free loopback port. URLs reach the tests
 * through `inject()` (see scripts/test/env.ts).
 */
export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `vetpacs_test_${runId}`;
  await createDatabaseIfMissing(adminUrl, dbName);
  const databaseUrl = withDatabase(adminUrl, dbName);
  await migrate(databaseUrl);

  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const s3Dir = await mkdtemp(path.join(tmpdir(), 'vetpacs-s3-'));
  const s3 = await startS3rver({ directory: s3Dir, buckets: ['vetpacs-test', 'vetpacs-test-replica'] });

  project.provide('databaseUrl', databaseUrl);
  project.provide('databaseAdminUrl', adminUrl);
  project.provide('redisUrl', redis.url);
  const redisPrefix = `vetpacs-test-${runId}`;
  project.provide('redisPrefix', redisPrefix);
  project.provide('s3', {
    endpoint: s3.endpoint,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    region: s3.region,
    bucket: 'vetpacs-test',
    replicaBucket: 'vetpacs-test-replica',
  });

  return async () => {
    await s3.stop();
    await rm(s3Dir, { recursive: true, force: true });
    // Every suite's queues derive from the run's prefix: leave nothing behind in a shared Redis.
    if (!process.env.KEEP_TEST_DB) await deleteRedisPrefix(redis.url, redisPrefix, { nested: true }).catch(() => {});
    await redis.stop();
    if (!process.env.KEEP_TEST_DB) await dropDatabase(adminUrl, dbName);
  };
}

