import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseAdminUrl: string;
    redisUrl: string;
    redisPrefix: string;
    s3: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string; bucket: string; replicaBucket: string };
  }
}
