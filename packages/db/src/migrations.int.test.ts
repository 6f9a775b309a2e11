import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { schemaPath } from '../tools/diff';
import { checkMigrationDrift } from '../tools/drift';
import { defaultMigrationsDir, migrate } from './migrate';

const adminUrl = inject('databaseAdminUrl');

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migration drift check', () => {
  it('passes for the committed schema and migrations', async () => {
    const result = await checkMigrationDrift({ adminUrl });
    expect(result.differences).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('fails when schema.prisma is edited without a migration', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vetpacs-schema-'));
    try {
      const edited = (await readFile(schemaPath, 'utf8')).replace(
        /(model Practice \{\n)/,
        '$1  timezone String @default("UTC")\n',
      );
      const editedPath = path.join(dir, 'schema.prisma');
      await writeFile(editedPath, edited);
      const result = await checkMigrationDrift({ adminUrl, schemaPath: editedPath });
      expect(result.ok).toBe(false);
      expect(result.differences).toContainEqual(expect.stringContaining('practice.timezone'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('migration runner', () => {
  const dbName = `vetpacs_migr_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(adminUrl, dbName);
  let tmp: string;

  beforeAll(async () => {
    await query(adminUrl, `CREATE DATABASE "${dbName}"`);
    tmp = await mkdtemp(path.join(tmpdir(), 'vetpacs-migrations-'));
  });
  afterAll(async () => {
    await query(adminUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await rm(tmp, { recursive: true, force: true });
  });

  it('applies from empty, records Prisma-compatible rows, and is idempotent', async () => {
    const first = await migrate(url);
    expect(first.applied.length).toBeGreaterThan(0);
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(first.applied);
    for (const r of rows) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at).not.toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
    expect((await migrate(url)).applied).toEqual([]);
  });

  it('runs concurrent callers one at a time (advisory lock)', async () => {
    const name = `vetpacs_migr_${randomBytes(4).toString('hex')}`;
    await query(adminUrl, `CREATE DATABASE "${name}"`);
    try {
      const target = withDatabase(adminUrl, name);
      const results = await Promise.all([migrate(target), migrate(target), migrate(target)]);
      const total = results.reduce((n, r) => n + r.applied.length, 0);
      const local = (await migrate(target)).applied.length;
      expect(local).toBe(0);
      const rows = await query<{ n: string }>(target, 'SELECT count(*) AS n FROM _prisma_migrations');
      expect(Number(rows[0]!.n)).toBe(total);
    } finally {
      await query(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it('refuses to run when an applied migration file was edited', async () => {
    await cp(defaultMigrationsDir, tmp, { recursive: true });
    const first = (await migrate(url, { migrationsDir: tmp })).applied;
    expect(first).toEqual([]);
    const [name] = (await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations LIMIT 1')).map(
      (r) => r.migration_name,
    );
    const file = path.join(tmp, name!, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited\n`);
    await expect(migrate(url, { migrationsDir: tmp })).rejects.toThrow(/edited after it was applied/);
  });

  it('rolls back a failing migration completely', async () => {
    const bad = path.join(tmp, '99990101000000_bad');
    await rm(tmp, { recursive: true, force: true });
    await cp(defaultMigrationsDir, tmp, { recursive: true });
    await mkdir(bad);
    await writeFile(path.join(bad, 'migration.sql'), 'CREATE TABLE "half_done" (id int);\nSELECT no_such_function();\n');
    await expect(migrate(url, { migrationsDir: tmp })).rejects.toThrow(/99990101000000_bad failed/);
    const leftovers = await query(url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'");
    expect(leftovers).toEqual([]);
    const recorded = await query(url, "SELECT 1 FROM _prisma_migrations WHERE migration_name = '99990101000000_bad'");
    expect(recorded).toEqual([]);
  });

  it('makes audit_event append-only', async () => {
    await query(
      url,
      `INSERT INTO audit_event (id, actor_type, action, entity_type, entity_id) VALUES (gen_random_uuid(), 'SYSTEM', 'test', 'test', '1')`,
    );
    await expect(query(url, `UPDATE audit_event SET action = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(query(url, 'DELETE FROM audit_event')).rejects.toThrow(/append-only/);
    await expect(query(url, 'TRUNCATE audit_event')).rejects.toThrow(/append-only/);
  });
});
