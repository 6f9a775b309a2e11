/** What every CLI command handler gets: a lazily opened database, output, and the acting operator. */
import { userInfo } from 'node:os';
import { type Actor, createDb, type Db, getPracticeBySlug, RepoError } from '@vetpacs/db';
import type { CliConfig } from './config';
import type { Output } from './output';

/** Shared state of one CLI invocation. */
export interface CliContext {
  config(): CliConfig;
  db(): Db;
  out(): Output;
  /** Audit actor for every change made through the CLI: the OS user running it. */
  actor: Actor;
  /** The practice id for a slug; throws NOT_FOUND when there is none. */
  practiceId(slug: string): Promise<string>;
  /** Releases the database connection pool (if one was opened). */
  close(): Promise<void>;
}

function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Builds the context; nothing connects until a command needs the database. */
export function createContext(opts: {
  loadConfig: () => CliConfig;
  json: () => boolean;
  write: (text: string) => void;
}): CliContext {
  let config: CliConfig | undefined;
  let db: Db | undefined;
  const ctx: CliContext = {
    config: () => {
      config ??= opts.loadConfig();
      return config;
    },
    db: () => {
      db ??= createDb(ctx.config().DATABASE_URL, { maxConnections: 2 });
      return db;
    },
    out: () => ({ json: opts.json(), write: opts.write }),
    actor: { type: 'CLI', id: operatorName() },
    async practiceId(slug) {
      const practice = await getPracticeBySlug(ctx.db(), slug);
      if (!practice) throw new RepoError('NOT_FOUND', `no practice with slug "${slug}"`);
      return practice.id;
    },
    async close() {
      await db?.close();
    },
  };
  return ctx;
}
