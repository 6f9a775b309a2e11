/**
 * Prisma 6.19 configuration for authoring migrations offline: the JS schema engine talks to
 * Postgres through @prisma/adapter-pg instead of the native engine binary we cannot download.
 * Only `migrate diff` is used (see ../diff.ts); the URL may point at any reachable database —
 * the diff reads nothing from it.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  async adapter() {
    const connectionString = process.env.PRISMA6_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    // allowExitOnIdle: the CLI would otherwise wait for the idle pool before exiting.
    return new PrismaPg({ connectionString, allowExitOnIdle: true });
  },
});
