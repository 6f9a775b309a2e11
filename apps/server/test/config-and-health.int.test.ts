import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vetpacs/config';
import { parseServerConfig } from '../src/config';
import { startTestServer } from './harness';

const root = path.resolve(import.meta.dirname, '../../..');

describe('configuration', () => {
  it('collects every problem, not just the first', () => {
    try {
      parseServerConfig({ DATABASE_URL: 'nonsense', PORT: 'eighty', STORAGE_BACKEND: 's3', MAX_UPLOAD_SIZE: 'lots' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      for (const key of ['DATABASE_URL', 'PORT', 'S3_BUCKET', 'MAX_UPLOAD_SIZE']) expect(text).toContain(key);
    }
  });

  it('the server process prints each problem on its own line and exits non-zero', () => {
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: 'nonsense', STORAGE_BACKEND: 's3' };
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => /^\s+\S+: /.test(l));
    expect(lines.some((l) => l.includes('DATABASE_URL'))).toBe(true);
    expect(lines.some((l) => l.includes('S3_BUCKET'))).toBe(true);
  });
});

describe('health', () => {
  it('/healthz is up and /readyz reports each dependency', async () => {
    const server = await startTestServer();
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, redis: { ok: true }, storage: { ok: true } } });
    } finally {
      await server.close();
    }
  });

  it('/readyz says which dependency failed (missing bucket, unreachable Redis)', async () => {
    const server = await startTestServer({ S3_BUCKET: 'no-such-bucket-here', REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, { ok: boolean; error?: string }> };
      expect(body.checks.database?.ok).toBe(true);
      expect(body.checks.storage?.ok).toBe(false);
      expect(body.checks.storage?.error).toMatch(/bucket/i);
      expect(body.checks.redis?.ok).toBe(false);
    } finally {
      await server.close();
    }
  });
});

