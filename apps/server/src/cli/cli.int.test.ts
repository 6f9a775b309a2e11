/** Drives the real CLI process (as an operator would) against the test database. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDb, verifyApiToken, verifyGatewayCredentials } from '@vetpacs/db';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const main = path.join(import.meta.dirname, 'main.ts');
const databaseUrl = inject('databaseUrl');

async function pacs(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', main, ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function pacsJson<T>(...args: string[]): Promise<T> {
  const r = await pacs('--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('pacs admin CLI', () => {
  const slug = `cli-${randomBytes(4).toString('hex')}`;

  it('creates a practice, site, user, token and gateway, and lists them', async () => {
    const practice = await pacsJson<{ id: string; slug: string }>('practice', 'create', '--name', 'CLI Vets', '--slug', slug);
    expect(practice.slug).toBe(slug);
    expect((await pacsJson<{ slug: string }[]>('practice', 'list')).map((p) => p.slug)).toContain(slug);

    const site = await pacsJson<{ id: string; code: string; patientNameStyle: string }>(
      'site', 'create', '--practice', slug, '--name', 'Downtown', '--code', 'DT', '--name-style', 'PET_OWNER',
    );
    expect(site).toMatchObject({ code: 'DT', patientNameStyle: 'PET_OWNER' });
    expect(await pacsJson('site', 'list', '--practice', slug)).toEqual([expect.objectContaining({ id: site.id })]);

    const user = await pacsJson<{ userId: string; email: string; password: string | null }>(
      'user', 'create', '--practice', slug, '--email', `Nurse-${slug}@Example.com`, '--name', 'Nurse', '--role', 'NURSE',
    );
    expect(user.email).toBe(`nurse-${slug}@example.com`);
    expect(user.password).toMatch(/^.{10,}$/);
    expect(await pacsJson('user', 'list', '--practice', slug)).toEqual([
      expect.objectContaining({ userId: user.userId, role: 'NURSE', hasPassword: true }),
    ]);
    const reset = await pacsJson<{ password: string | null }>(
      'user', 'set-password', '--practice', slug, '--email', user.email, '--password', 'a-new-password-123',
    );
    expect(reset.password).toBeNull();

    const token = await pacsJson<{ id: string; token: string; role: string }>(
      'token', 'create', '--practice', slug, '--name', 'bridge', '--role', 'READ_ONLY',
    );
    const tokens = await pacsJson<Record<string, unknown>[]>('token', 'list', '--practice', slug);
    expect(tokens).toEqual([expect.objectContaining({ id: token.id, revokedAt: null })]);
    expect(JSON.stringify(tokens)).not.toContain(token.token);

    const gateway = await pacsJson<{ id: string; keyId: string; secret: string; siteCode: string }>(
      'gateway', 'create', '--practice', slug, '--site', 'DT', '--name', 'Edge',
    );
    expect(gateway.siteCode).toBe('DT');
    expect(await pacsJson('gateway', 'list', '--practice', slug)).toEqual([
      expect.objectContaining({ id: gateway.id, keyId: gateway.keyId, siteCode: 'DT' }),
    ]);

    // The printed credentials really work, until revoked through the CLI.
    const db = createDb(databaseUrl);
    try {
      expect(await verifyApiToken(db, token.token)).toMatchObject({ practiceId: practice.id, role: 'READ_ONLY' });
      expect(await verifyGatewayCredentials(db, gateway.keyId, gateway.secret)).toMatchObject({ siteId: site.id });
      expect(await pacsJson('token', 'revoke', '--practice', slug, '--id', token.id)).toEqual({ id: token.id, revoked: true });
      expect(await pacsJson('gateway', 'revoke', '--practice', slug, '--id', gateway.id)).toEqual({ id: gateway.id, revoked: true });
      expect(await verifyApiToken(db, token.token)).toBeNull();
      expect(await verifyGatewayCredentials(db, gateway.keyId, gateway.secret)).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('prints human-readable tables without --json', async () => {
    const r = await pacs('site', 'list', '--practice', slug);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CODE\s+NAME\s+NAME STYLE\s+ID\n/);
    expect(r.stdout).toContain('DT');
  });

  it('reports errors with distinct exit codes', async () => {
    const missing = await pacs('site', 'list', '--practice', `no-such-${slug}`);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no practice with slug');
    const dup = await pacs('practice', 'create', '--name', 'again', '--slug', slug);
    expect(dup.code).toBe(4);
    const badRole = await pacs('token', 'create', '--practice', slug, '--name', 'x', '--role', 'GOD');
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toContain('Allowed choices');
  });

  it('db migrate is idempotent', async () => {
    expect(await pacsJson('db', 'migrate')).toEqual({ applied: [] });
  });
});
