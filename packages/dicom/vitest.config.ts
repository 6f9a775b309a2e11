import { defineConfig } from 'vitest/config';

// Package-local config without the root's database global setup: this package is pure.
// Run from the repo root: pnpm exec vitest run --config packages/dicom/vitest.config.ts
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
  },
});
