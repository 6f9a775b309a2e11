import { defineConfig } from 'vitest/config';

// One run covers every workspace: unit tests (*.test.ts) and integration tests (*.int.test.ts)
// against the real Postgres, Redis and S3 server prepared by scripts/test/global-setup.ts.
export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'e2e/**'],
    globalSetup: ['scripts/test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
