import { parseConfig } from '@vetpacs/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { refineStorageEnv, storageConfigFromParsedEnv, storageEnvSchema, storageEnvShape } from './config';

describe('storageEnvSchema', () => {
  it('parses an S3 setup against a local S3 server (path style implied by the endpoint)', () => {
    const env = storageEnvSchema.parse({
      S3_ENDPOINT: 'http://127.0.0.1:4569',
      S3_BUCKET: 'vetpacs-images',
      S3_ACCESS_KEY_ID: 'k',
      S3_SECRET_ACCESS_KEY: 's',
    });
    expect(storageConfigFromParsedEnv(env)).toEqual({
      backend: 's3',
      endpoint: 'http://127.0.0.1:4569',
      region: 'us-east-1',
      bucket: 'vetpacs-images',
      accessKeyId: 'k',
      secretAccessKey: 's',
      forcePathStyle: true,
    });
  });

  it('uses virtual-hosted style on AWS unless told otherwise', () => {
    const aws = storageConfigFromParsedEnv(storageEnvSchema.parse({ S3_BUCKET: 'vetpacs-prod', S3_REGION: 'eu-central-1' }));
    expect(aws).toMatchObject({ backend: 's3', forcePathStyle: false, region: 'eu-central-1' });
    const forced = storageEnvSchema.parse({ S3_BUCKET: 'vetpacs-prod', S3_FORCE_PATH_STYLE: 'true' });
    expect(storageConfigFromParsedEnv(forced)).toMatchObject({ forcePathStyle: true });
  });

  it('reports a missing bucket clearly', () => {
    const res = storageEnvSchema.safeParse({ STORAGE_BACKEND: 's3' });
    expect(res.success).toBe(false);
    expect(res.error?.issues).toEqual([
      expect.objectContaining({ path: ['S3_BUCKET'], message: expect.stringMatching(/required when STORAGE_BACKEND=s3/) }),
    ]);
  });

  it('requires both access keys or neither', () => {
    const res = storageEnvSchema.safeParse({ S3_BUCKET: 'abc', S3_ACCESS_KEY_ID: 'k' });
    expect(res.error?.issues.map((i) => i.path.join('.'))).toEqual(['S3_SECRET_ACCESS_KEY']);
  });

  it('parses the filesystem backend and requires an absolute root', () => {
    expect(storageConfigFromParsedEnv(storageEnvSchema.parse({ STORAGE_BACKEND: 'fs', STORAGE_FS_ROOT: '/srv/pacs' }))).toEqual({
      backend: 'fs',
      root: '/srv/pacs',
      directIo: true,
    });
    const buffered = storageEnvSchema.parse({ STORAGE_BACKEND: 'fs', STORAGE_FS_ROOT: '/srv/pacs', STORAGE_FS_DIRECT_IO: 'false' });
    expect(storageConfigFromParsedEnv(buffered)).toMatchObject({ directIo: false });
    expect(storageEnvSchema.safeParse({ STORAGE_BACKEND: 'fs' }).error?.issues[0]?.path).toEqual(['STORAGE_FS_ROOT']);
    expect(storageEnvSchema.safeParse({ STORAGE_BACKEND: 'fs', STORAGE_FS_ROOT: 'rel/dir' }).success).toBe(false);
  });

  it('composes into an app schema, where every problem is reported together', () => {
    const appSchema = z.object({ PORT: z.coerce.number().int(), ...storageEnvShape }).strict().superRefine(refineStorageEnv);
    expect(() => parseConfig(appSchema, { PORT: 'x', S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(
      expect.objectContaining({
        problems: [expect.stringMatching(/^PORT/), expect.stringMatching(/^S3_FORCE_PATH_STYLE/)],
      }),
    );
    const ok = parseConfig(appSchema, { PORT: '8080', STORAGE_BACKEND: 'fs', STORAGE_FS_ROOT: '/srv/pacs' });
    expect(storageConfigFromParsedEnv(ok)).toEqual({ backend: 'fs', root: '/srv/pacs', directIo: true });
  });
});
