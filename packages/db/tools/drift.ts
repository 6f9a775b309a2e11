/**
 * Drift check: do prisma/migrations and prisma/schema.prisma describe the same database?
 * Builds two throwaway databases — one by applying the migrations with our runner, one by running
 * the SQL Prisma generates for the schema from empty — and compares their catalogs. Hand-written
 * extras (manual_* objects, functions, triggers, extensions) are ignored.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/migrate';
import { describeSchema, diffDescriptions } from './catalog';
import { prismaMigrateDiff, schemaPath as defaultSchemaPath } from './diff';

/** Options for {@link checkMigrationDrift}. */
export interface DriftOptions {
  /** A URL of the server with rights to create databases (any existing database on it). */
  adminUrl: string;
  /** Schema to compare against (default prisma/schema.prisma). */
  schemaPath?: string;
  /** Migration folders (default prisma/migrations). */
  migrationsDir?: string;
}

/** Outcome: `differences` lists every catalog line found on one side only. */
export interface DriftResult {
  ok: boolean;
  differences: string[];
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs the drift check; always drops the databases it created. */
export async function checkMigrationDrift(opts: DriftOptions): Promise<DriftResult> {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const fromMigrations = `vetpacs_drift_${id}_m`;
  const fromSchema = `vetpacs_drift_${id}_s`;
  await admin(opts.adminUrl, async (c) => {
    await c.query(`CREATE DATABASE "${fromMigrations}"`);
    await c.query(`CREATE DATABASE "${fromSchema}"`);
  });
  try {
    const schemaUrl = withDatabase(opts.adminUrl, fromSchema);
    const migrationsUrl = withDatabase(opts.adminUrl, fromMigrations);
    const [sql] = await Promise.all([
      prismaMigrateDiff(null, opts.schemaPath ?? defaultSchemaPath, opts.adminUrl),
      migrate(migrationsUrl, { migrationsDir: opts.migrationsDir }),
    ]);
    const client = new pg.Client({ connectionString: schemaUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    const [a, b] = await Promise.all([describeSchema(migrationsUrl), describeSchema(schemaUrl)]);
    const differences = diffDescriptions(a, b, 'migrations', 'schema.prisma');
    return { ok: differences.length === 0, differences };
  } finally {
    await admin(opts.adminUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${fromMigrations}" WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS "${fromSchema}" WITH (FORCE)`);
    });
  }
}
