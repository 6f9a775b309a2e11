import { fields } from '@vetpacs/config';
import { z } from 'zod';
import type { S3StoreConfig } from './s3-store';

/** What {@link createObjectStore} needs: an S3 bucket, or a directory on a local volume. */
export type StorageConfig = ({ backend: 's3' } & S3StoreConfig) | { backend: 'fs'; root: string; directIo?: boolean };

/**
 * The storage keys of an app's environment, as a raw zod shape, for apps that build one object
 * schema from several fragments: `z.object({ ...appShape, ...storageEnvShape }).superRefine(refineStorageEnv)`.
 */
export const storageEnvShape = {
  STORAGE_BACKEND: z.enum(['s3', 'fs']).default('s3'),
  S3_ENDPOINT: fields.httpUrl.optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name (3-63 lowercase letters, digits, "." or "-")')
    .optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: fields.bool.optional(),
  STORAGE_FS_ROOT: z.string().min(1).optional(),
  /** fs backend: write objects with O_DIRECT (bypassing the page cache); see direct-io.ts. */
  STORAGE_FS_DIRECT_IO: fields.bool.default(true),
};

/** Parsed form of {@link storageEnvShape}. */
export type StorageEnv = z.infer<z.ZodObject<typeof storageEnvShape>>;

/**
 * Cross-field rules: the keys the chosen backend needs must be present. Kept separate from the shape
 * so apps can apply it to their combined schema (zod refinements do not survive `.extend`).
 */
export function refineStorageEnv(env: StorageEnv, ctx: z.RefinementCtx): void {
  if (env.STORAGE_BACKEND === 's3') {
    if (!env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'required when STORAGE_BACKEND=s3 (the bucket that holds the images)' });
    }
    if ((env.S3_ACCESS_KEY_ID === undefined) !== (env.S3_SECRET_ACCESS_KEY === undefined)) {
      const missing = env.S3_ACCESS_KEY_ID === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together (or neither, for an instance role)' });
    }
  } else if (!env.STORAGE_FS_ROOT) {
    ctx.addIssue({ code: 'custom', path: ['STORAGE_FS_ROOT'], message: 'required when STORAGE_BACKEND=fs (an existing directory)' });
  } else if (!env.STORAGE_FS_ROOT.startsWith('/')) {
    ctx.addIssue({ code: 'custom', path: ['STORAGE_FS_ROOT'], message: 'must be an absolute path' });
  }
}

/** The storage keys as a ready schema, for apps that parse storage settings on their own. */
export const storageEnvSchema = z.object(storageEnvShape).superRefine(refineStorageEnv);

/**
 * Turns parsed env keys into a {@link StorageConfig}. `S3_FORCE_PATH_STYLE` defaults to true when
 * `S3_ENDPOINT` is set (MinIO, s3rver and most S3-compatible servers need it) and false for AWS.
 * Throws if the input skipped {@link refineStorageEnv} and lacks a required key.
 */
export function storageConfigFromParsedEnv(env: StorageEnv): StorageConfig {
  if (env.STORAGE_BACKEND === 'fs') {
    if (!env.STORAGE_FS_ROOT) throw new TypeError('STORAGE_FS_ROOT is required when STORAGE_BACKEND=fs');
    return { backend: 'fs', root: env.STORAGE_FS_ROOT, directIo: env.STORAGE_FS_DIRECT_IO };
  }
  if (!env.S3_BUCKET) throw new TypeError('S3_BUCKET is required when STORAGE_BACKEND=s3');
  return {
    backend: 's3',
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE ?? env.S3_ENDPOINT !== undefined,
  };
}
