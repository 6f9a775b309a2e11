import { ConfigError } from '@vetpacs/config';
import { describe, expect, it } from 'vitest';
import { parseWorkerConfig } from './config';

describe('worker config', () => {
  it('reports every problem at once, storage rules included', () => {
    try {
      parseWorkerConfig({ DATABASE_URL: 'nonsense', STORAGE_BACKEND: 's3', METRICS_PORT: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      for (const key of ['DATABASE_URL', 'METRICS_PORT', 'S3_BUCKET']) expect(text).toContain(key);
    }
  });

  it('refuses a "second copy" in the same bucket as the first', () => {
    expect(() => parseWorkerConfig({ DATABASE_URL: 'postgres://u@h:5432/d', S3_BUCKET: 'images', REPLICA_S3_BUCKET: 'images' })).toThrow(/must differ/);
  });
});
