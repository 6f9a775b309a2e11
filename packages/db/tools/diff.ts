/**
 * Offline `prisma migrate diff` via Prisma 6.19's JS schema engine (packages/db/tools/prisma6).
 * Prisma 7's CLI cannot diff without its native engine, which is not downloadable here; Prisma 6
 * with `engine: 'js'` can (see packages/db/README.md).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const toolDir = path.join(import.meta.dirname, 'prisma6');
const stub = path.join(import.meta.dirname, 'schema-engine-stub.sh');

/** Repository root (this file lives in packages/db/tools). */
export const repoRoot = path.resolve(import.meta.dirname, '../../..');
/** The schema the app is generated from. */
export const schemaPath = path.join(repoRoot, 'prisma/schema.prisma');
/** Prisma-layout migration folders. */
export const migrationsDir = path.join(repoRoot, 'prisma/migrations');

/**
 * Prisma 6 insists on a `url` in the datasource block, which Prisma 7 forbids; the diff never
 * connects through it (the adapter in prisma6/prisma.config.ts is used), so a placeholder will do.
 */
function forPrisma6(schema: string): string {
  const out = schema.replace(/(datasource\s+\w+\s*\{)/, '$1\n  url = "postgresql://unused-by-offline-diff"');
  if (out === schema) throw new Error('schema has no datasource block');
  return out;
}

/**
 * SQL that turns a database matching schema `from` (or an empty one when `from` is null) into one
 * matching schema `to`. Both are paths to schema.prisma files. Returns Prisma's script, which is
 * "-- This is an empty migration." when nothing changed. Prisma's JS engine insists on reaching a
 * Postgres server (`databaseUrl`, default: prisma6/prisma.config.ts) even though it reads nothing.
 */
export async function prismaMigrateDiff(from: string | null, to: string, databaseUrl?: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vetpacs-diff-'));
  try {
    const args = ['node_modules/prisma/build/index.js', 'migrate', 'diff'];
    if (from === null) args.push('--from-empty');
    else {
      await writeFile(path.join(dir, 'from.prisma'), forPrisma6(await readFile(from, 'utf8')));
      args.push('--from-schema-datamodel', path.join(dir, 'from.prisma'));
    }
    await writeFile(path.join(dir, 'to.prisma'), forPrisma6(await readFile(to, 'utf8')));
    args.push('--to-schema-datamodel', path.join(dir, 'to.prisma'), '--script');
    const { stdout } = await run(process.execPath, args, {
      cwd: toolDir,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        ...(databaseUrl ? { PRISMA6_DATABASE_URL: databaseUrl } : {}),
        // Both point at the stub so Prisma 6 never tries to download an engine.
        PRISMA_QUERY_ENGINE_LIBRARY: stub,
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
    });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when a diff script contains no statements (only comments and blank lines). */
export function isEmptyScript(sql: string): boolean {
  return sql
    .split('\n')
    .map((l) => l.trim())
    .every((l) => l === '' || l.startsWith('--'));
}
