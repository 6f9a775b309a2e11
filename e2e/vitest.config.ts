import { defineConfig } from 'vitest/config';

// Browser tests: one server + worker against a fresh database for the whole run (global-setup.ts),
// Debian's Chromium driven by playwright-core. Files run one after another: the machine has 2 cores.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
  },
});
