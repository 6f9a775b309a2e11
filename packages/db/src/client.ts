/**
 * Prisma 7 client over node-postgres. The pg Pool is ours (not the adapter's) so `close()` can end
 * it deterministically — tests and CLIs otherwise hang on idle connections.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { type Prisma, PrismaClient } from './generated/prisma/client';

/** Options for {@link createDb}. */
export interface CreateDbOptions {
  /** Maximum pool connections (default 10). */
  maxConnections?: number;
  /** Log Prisma queries (development aid). */
  logQueries?: boolean;
  /** End idle connections so a short-lived process can exit without calling close(). */
  allowExitOnIdle?: boolean;
  /**
   * Told when an idle pooled connection is lost (Postgres restarted, the connection terminated by an
   * administrator or a failover). The pool has already dropped it; the next query opens another.
   * Default: one line on stderr.
   */
  onIdleConnectionLost?: (err: Error) => void;
}

/** The application's database client: a Prisma client plus `close()`, which ends its pool. */
export type Db = PrismaClient & {
  /** Disconnects Prisma and ends the pg pool. Safe to call twice. */
  close(): Promise<void>;
  /**
   * The pg pool under Prisma, for the few hot paths where Prisma's per-query compile step is a
   * measurable share of the work (ingest records hundreds of instances per second). Queries
   * through it must stay parameterised and practice-scoped like every repository function.
   */
  readonly pool: pg.Pool;
};

/** Either the root client or the client inside an interactive transaction. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

/** Creates a Prisma client for `databaseUrl` backed by a pg Pool. */
export function createDb(databaseUrl: string, opts: CreateDbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.maxConnections ?? 10,
    allowExitOnIdle: opts.allowExitOnIdle ?? false,
  });
  // pg emits an idle connection's error on its pool, and an 'error' event without a listener ends
  // the process: without this, terminating the server's idle connections crashed it.
  const lost = opts.onIdleConnectionLost ?? ((err: Error) => console.warn(`database: idle connection lost (${err.message})`));
  pool.on('error', lost);
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    // Not 'error': failed queries are thrown to the caller, which decides whether they matter
    // (a caught unique violation is a normal outcome, not something to log).
    log: opts.logQueries ? ['query', 'warn'] : ['warn'],
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await prisma.$disconnect();
      await pool.end();
    })();
    return closed;
  };
  return Object.assign(prisma, { close, pool }) as Db;
}

/**
 * A small second pool on the same database whose connections pipeline their queries (pg's
 * `pipeline` option: each query is written to the socket at once instead of after the previous
 * one's answer). For a hot path that sends a transaction's statements as its input arrives
 * (ingest's record streams, IngestRepo.openStream). End it with `end()`.
 */
export function createPipelinePool(db: Db, opts: { max: number; applicationName: string }): pg.Pool {
  // application_name: pg_stat_activity tells these connections from the main pool's.
  const pool = new pg.Pool({ ...db.pool.options, pipeline: true, max: opts.max, application_name: opts.applicationName } as pg.PoolConfig);
  // A lost idle connection is reported as the main pool's are (createDb), instead of ending the process.
  pool.on('error', (err) => db.pool.emit('error', err));
  return pool;
}

export type PoolClient = pg.PoolClient;
