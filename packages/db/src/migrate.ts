/**
 * Applies prisma/migrations offline with nothing but `pg` (Prisma's CLI cannot run migrations on
 * machines without its native engine; see packages/db/README.md). Bookkeeping is identical to
 * Prisma's `_prisma_migrations`, and the advisory lock key is Prisma's own, so `prisma migrate
 * deploy` (where available) and this runner see the same state and never run concurrently.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/** Default location of the migration folders (repo root/prisma/migrations). */
export const defaultMigrationsDir = path.resolve(import.meta.dirname, '../../../prisma/migrations');

/** Prisma's migrate advisory lock key, shared so both tools exclude each other. */
const PRISMA_ADVISORY_LOCK = 72707369;

// Same DDL Prisma uses, so a database migrated here is one Prisma recognises.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Folder holding `<timestamp>_<name>/migration.sql` folders. */
  migrationsDir?: string;
  /** Progress lines (one per applied migration). */
  log?: (line: string) => void;
}

/** One local migration: folder name, SQL and its checksum (SHA-256 hex of the file's bytes). */
export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

/** Reads the migration folders in order (folder names start with a sortable timestamp). */
export async function readMigrations(migrationsDir = defaultMigrationsDir): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(migrationsDir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort();
  const out: LocalMigration[] = [];
  for (const name of names) {
    const bytes = await readFile(path.join(migrationsDir, name, 'migration.sql'));
    out.push({ name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') });
  }
  return out;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Brings the database at `databaseUrl` up to date. Each pending migration runs in its own
 * transaction together with its `_prisma_migrations` row, so a failure leaves no trace and can be
 * retried. Idempotent. Throws (applying nothing) when an applied migration's file was edited or a
 * migration is recorded as failed.
 */
export async function migrate(databaseUrl: string, opts: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const local = await readMigrations(opts.migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    // Session-level lock: held across the per-migration transactions below.
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const done = new Map<string, AppliedRow>();
    for (const row of rows) {
      if (row.rolled_back_at) continue;
      if (!row.finished_at) {
        throw new Error(
          `migration ${row.migration_name} is recorded as failed in _prisma_migrations; resolve it by hand before migrating`,
        );
      }
      done.set(row.migration_name, row);
    }
    for (const m of local) {
      const row = done.get(m.name);
      if (row && row.checksum !== m.checksum) {
        throw new Error(
          `migration ${m.name} was edited after it was applied (checksum ${row.checksum} in the database, ${m.checksum} on disk); write a new migration instead`,
        );
      }
    }
    for (const m of local) {
      if (done.has(m.name)) continue;
      await applyOne(client, m);
      applied.push(m.name);
      opts.log?.(`applied ${m.name}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
    await client.end();
  }
  return { applied };
}

async function applyOne(client: pg.Client, m: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, m.checksum, m.name],
    );
    // No parameters: pg uses the simple query protocol, which runs the whole file (several
    // statements, $$-quoted function bodies) as one batch.
    await client.query(m.sql);
    await client.query(
      'UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1',
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
  }
}
