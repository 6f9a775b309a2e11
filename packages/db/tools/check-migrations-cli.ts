/**
 * Entry point behind scripts/check-migrations.ts (kept here so it resolves this package's
 * dependencies). Exits 1 and lists the differences when schema.prisma and the migrations disagree.
 */
import { fields, loadConfigOrExit } from '@vetpacs/config';
import { z } from 'zod';
import { checkMigrationDrift } from './drift';

/** Runs the drift check against TEST_DATABASE_ADMIN_URL (default: local trust-auth Postgres). */
export async function checkMigrationsCli(env: Record<string, string | undefined> = process.env): Promise<number> {
  const config = loadConfigOrExit(
    z.object({ TEST_DATABASE_ADMIN_URL: fields.postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres') }),
    env,
    'check-migrations',
  );
  const result = await checkMigrationDrift({ adminUrl: config.TEST_DATABASE_ADMIN_URL });
  if (result.ok) {
    process.stdout.write('migrations match prisma/schema.prisma\n');
    return 0;
  }
  process.stderr.write('prisma/schema.prisma and prisma/migrations disagree:\n');
  for (const d of result.differences) process.stderr.write(`  ${d}\n`);
  process.stderr.write('run `pnpm db:new-migration <name>` and commit the new migration folder\n');
  return 1;
}
