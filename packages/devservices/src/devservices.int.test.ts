import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { deleteRedisPrefix, ensureRedis, pingRedis, startEmbeddedPostgres, startS3rver } from './index';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('dev service fallbacks used by npm start', () => {
  it('starts a redis-server from PATH when none answers, and stops it', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    expect(await pingRedis(url)).toBe(false);
    const redis = await ensureRedis(url);
    expect(await pingRedis(url)).toBe(true);
    await redis.stop();
    expect(await pingRedis(url)).toBe(false);
  });

  it('deletes a throwaway run\'s keys under its prefix only', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const prefix = `devservices-test-${process.pid}-${Date.now()}`;
    const redis = new Redis(url);
    try {
      for (let i = 0; i < 2500; i++) await redis.set(`${prefix}:job:${i}`, 'x');
      await redis.set(`${prefix}x:other`, 'kept'); // a longer prefix is another run
      await redis.set(`${prefix}-wk-1:job`, 'nested');
      expect(await deleteRedisPrefix(url, prefix)).toBe(2500);
      expect(await redis.exists(`${prefix}:job:7`)).toBe(0);
      expect(await redis.get(`${prefix}x:other`)).toBe('kept');
      // nested: also the prefixes derived from it (a test run's suites)
      expect(await deleteRedisPrefix(url, `${prefix}-`, { nested: true })).toBe(1);
      expect(await redis.get(`${prefix}x:other`)).toBe('kept');
      await expect(deleteRedisPrefix(url, '*')).rejects.toThrow(/refusing/);
    } finally {
      await redis.del(`${prefix}x:other`);
      redis.disconnect();
    }
  });

  it('explains in one line what to do when Redis is remote and unreachable', async () => {
    // No traffic leaves the machine: the probe is replaced by one that finds nothing.
    await expect(ensureRedis('redis://redis.example.internal:6379', { ping: async () => false })).rejects.toThrow(/not reachable.*REDIS_URL/);
  });

  it('runs an embedded Postgres when no DATABASE_URL is configured', async () => {
    // Not under /root: the postgres user must be able to traverse the data directory.
    const dir = await mkdtemp('/tmp/vetpacs-embedded-pg-');
    const handle = await startEmbeddedPostgres(path.join(dir, 'data'), await freePort());
    try {
      const client = new pg.Client({ connectionString: handle.url });
      await client.connect();
      const { rows } = await client.query('select current_database() as db');
      await client.end();
      expect(rows[0].db).toBe('vetpacs');
    } finally {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves a local S3 bucket', async () => {
    const dir = await mkdtemp('/tmp/vetpacs-s3rver-');
    const s3 = await startS3rver({ directory: dir, buckets: ['probe-bucket'] });
    try {
      const res = await fetch(`${s3.endpoint}/probe-bucket?list-type=2`);
      expect(res.status).toBe(200);
    } finally {
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
