/**
 * `@vetpacs/storage`: one {@link ObjectStore} interface over S3 (cloud) and a local directory
 * (single-practice installs). Apps build a store with {@link createObjectStore} from the config
 * parsed by their own `config.ts` and pass it to the services that need it.
 */
import type { StorageConfig } from './config';
import { FsObjectStore } from './fs-store';
import { S3ObjectStore } from './s3-store';
import type { ObjectStore } from './types';

export {
  refineStorageEnv,
  type StorageConfig,
  type StorageEnv,
  storageConfigFromParsedEnv,
  storageEnvSchema,
  storageEnvShape,
} from './config';
export {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectExistsError,
  ObjectIntegrityError,
  ObjectNotFoundError,
  StorageError,
  StorageUnavailableError,
} from './errors';
export { FsObjectStore, type FsStoreOptions } from './fs-store';
export { sha256Hex } from './hashing';
export { assertValidKey, assertValidPrefix, MAX_KEY_BYTES } from './keys';
export { S3ObjectStore, type S3StoreConfig } from './s3-store';
export { type SmallFile, SmallFileWriter } from './small-file-writer';
export type { ByteRange, GetResult, ListEntry, ObjectInfo, ObjectStore, PutBody, PutOptions, PutResult } from './types';

/**
 * Builds the backend named by `cfg.backend`. Does no I/O: call `ping()` in the readiness check to
 * find out whether the bucket or directory is actually usable.
 */
export function createObjectStore(cfg: StorageConfig): ObjectStore {
  if (cfg.backend === 'fs') return new FsObjectStore(cfg.root, { directIo: cfg.directIo });
  const { backend: _backend, ...s3 } = cfg;
  return new S3ObjectStore(s3);
}
