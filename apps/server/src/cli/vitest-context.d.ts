// Types of the values scripts/test/global-setup.ts provides to tests via inject(); that file is
// outside this package's tsconfig, so the augmentation is repeated here (identical members merge).
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseAdminUrl: string;
  }
}
