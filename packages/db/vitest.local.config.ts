import path from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
import rootConfig from '../../vitest.config';

// The root global setup imports @vetpacs/db/migrate and @vetpacs/devservices, which the root
// package.json does not (yet) depend on, so they do not resolve from scripts/. This config runs
// the same tests with those two imports aliased to their sources. Remove once the root package
// lists both as workspace devDependencies.
// Usage: pnpm exec vitest run --config packages/db/vitest.local.config.ts packages/db apps/server/src/cli
const root = path.resolve(import.meta.dirname, '../..');
export default mergeConfig(
  rootConfig,
  defineConfig({
    root,
    resolve: {
      alias: {
        '@vetpacs/db/migrate': path.join(root, 'packages/db/src/migrate.ts'),
        '@vetpacs/devservices': path.join(root, 'packages/devservices/src/index.ts'),
      },
    },
  }),
);
