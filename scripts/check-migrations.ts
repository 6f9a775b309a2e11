/**
 * CI drift check: fails when prisma/schema.prisma and prisma/migrations disagree (typically a
 * schema edit without `pnpm db:new-migration`). Needs a Postgres server that lets us create
 * databases: TEST_DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres.
 * Usage: node --import tsx scripts/check-migrations.ts
 */
import { checkMigrationsCli } from '../packages/db/tools/check-migrations-cli';

process.exitCode = await checkMigrationsCli();
