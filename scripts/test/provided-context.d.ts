// The values scripts/test/global-setup.ts provides to tests through vitest's inject(). One
// declaration for every package: their tsconfigs include this file.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseAdminUrl: string;
    redisUrl: string;
    redisPrefix: string;
    s3: {
      endpoint: string;
      accessKeyId: string;
      secretAccessKey: string;
      region: string;
      bucket: string;
      replicaBucket: string;
    };
  }
}
