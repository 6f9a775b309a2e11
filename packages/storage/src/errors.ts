/**
 * Errors raised by every {@link ObjectStore} backend. Callers (route error mappers, job handlers)
 * switch on these classes, never on backend-specific SDK or errno codes, so a practice running the
 * filesystem backend sees exactly the same failures as the cloud running S3.
 */

/** Base class: `instanceof StorageError` marks a storage failure the caller can classify. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The key does not exist (S3 404/NoSuchKey, filesystem ENOENT). Permanent for that key. */
export class ObjectNotFoundError extends StorageError {
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`object not found: ${key}`, options);
  }
}

/** The key is malformed or would escape the store (`..`, absolute path, control characters, …). */
export class InvalidObjectKeyError extends StorageError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** The requested byte range starts past the end of the object (HTTP 416 semantics). */
export class InvalidRangeError extends StorageError {
  constructor(
    readonly key: string,
    readonly range: { start: number; end?: number },
    readonly size?: number,
  ) {
    super(
      `range ${range.start}-${range.end ?? ''} not satisfiable for ${key}${size === undefined ? '' : ` (size ${size})`}`,
    );
  }
}

/**
 * The bytes received for a put did not match what the caller promised (`expectedSize` /
 * `expectedSha256`). The object was not written (an existing object under the key is untouched).
 */
export class ObjectIntegrityError extends StorageError {
  constructor(
    readonly key: string,
    readonly expected: { size?: number; sha256?: string },
    readonly actual: { size: number; sha256?: string },
  ) {
    super(`integrity check failed for ${key}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** `put(..., { ifNoneMatch: true })` found an object already stored under the key. */
export class ObjectExistsError extends StorageError {
  constructor(readonly key: string) {
    super(`object already exists: ${key}`);
  }
}

/** `ping()` could not reach the bucket or directory; the message says what to fix. */
export class StorageUnavailableError extends StorageError {}
