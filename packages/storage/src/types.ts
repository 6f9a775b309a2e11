import type { Readable } from 'node:stream';

/** Options for {@link ObjectStore.put}. */
export interface PutOptions {
  /** Stored as Content-Type on S3; ignored by the filesystem backend. */
  contentType?: string;
  /** Reject (and store nothing) unless exactly this many bytes arrive. Also sizes S3 parts. */
  expectedSize?: number;
  /** Reject (and store nothing) unless the bytes hash to this SHA-256 (hex, any case). */
  expectedSha256?: string;
  /**
   * For a body given in memory (a Buffer or chunks): its SHA-256 (hex), already computed by the
   * caller from these very buffers. The filesystem store takes it instead of hashing the bytes a
   * second time (ingest hashes a small instance before its put, to record it while the put runs);
   * a streamed body ignores it, and S3 uploads hash every body as they send it.
   */
  knownSha256?: string;
  /** Refuse to overwrite: throw ObjectExistsError when the key already holds an object. */
  ifNoneMatch?: boolean;
  /**
   * The caller guarantees the key is new (never used before, never written concurrently): the key
   * embeds a random suffix and nothing references it until `put` has resolved. The filesystem
   * backend then writes the file in place, exclusively created, instead of into a temp file that
   * is renamed: one journal commit per object instead of two (the rename is a second metadata
   * change that the directory fsync must commit). The difference from the default: a crash in the
   * middle can leave a partial file under this unreferenced key (an error never does: it is
   * removed), and an existing key is refused with ObjectExistsError. S3 puts are atomic either
   * way and ignore the hint.
   */
  unique?: boolean;
  /** Aborting stops the upload, removes partial data and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Result of a successful put: what was stored, measured while streaming. */
export interface PutResult {
  key: string;
  size: number;
  /** Lowercase hex SHA-256 of the stored bytes. */
  sha256: string;
}

/** An inclusive byte range like HTTP `Range: bytes=start-end`; `end` omitted means "to the end". */
export interface ByteRange {
  start: number;
  end?: number;
}

/** Result of {@link ObjectStore.get}. */
export interface GetResult {
  body: Readable;
  /** Total size of the object. */
  size: number;
  /** Bytes `body` will deliver (equals `size` without a range). */
  contentLength: number;
}

/** Metadata returned by {@link ObjectStore.head}. */
export interface ObjectInfo {
  size: number;
  lastModified?: Date;
}

/** One entry of {@link ObjectStore.list}. */
export interface ListEntry {
  key: string;
  size: number;
}

/**
 * The bytes of a put: a stream, or an object already in memory — one Buffer, or its chunks in
 * order (written as they are, without joining them into one copy first).
 */
export type PutBody = Readable | Buffer | readonly Buffer[];

/**
 * Where DICOM instances, renditions and exports live. One interface over S3 (cloud) and a local
 * directory (single-practice installs), so services never know which backend they run on.
 *
 * Keys are validated identically by every backend (see `assertValidKey`); a bad key throws
 * InvalidObjectKeyError before any I/O.
 */
export interface ObjectStore {
  readonly kind: 's3' | 'fs';
  /**
   * Streams `body` to `key` and returns its size and SHA-256 computed while streaming, with bounded
   * memory. Atomic: readers see the old object or the complete new one, never a partial one; a
   * failed, aborted or integrity-rejected put leaves no object, no temp file and (where the backend
   * supports aborting) no multipart upload behind.
   */
  put(key: string, body: PutBody, opts?: PutOptions): Promise<PutResult>;
  /**
   * Streams the object, or the inclusive byte range `[start, end]` (`end` is clamped to the last
   * byte, as HTTP does). Throws ObjectNotFoundError, or InvalidRangeError when `start` is past the end.
   * The caller must consume or destroy `body`: it holds a file descriptor or an HTTP connection.
   */
  get(key: string, opts?: { range?: ByteRange }): Promise<GetResult>;
  /** Size and modification time, or null when the key does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Deletes the object; deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Every object whose key starts with `prefix` (a plain string prefix, as in S3; `''` lists all).
   * Pages through the backend lazily; order is unspecified.
   */
  list(prefix: string): AsyncIterable<ListEntry>;
  /**
   * Reads up to `length` bytes starting at `start` into a Buffer (for small header/frame reads).
   * Returns fewer bytes when the object ends first; throws like {@link ObjectStore.get}.
   */
  getRange(key: string, start: number, length: number): Promise<Buffer>;
  /**
   * Reads the object's bytes from `position` into `target` until `target` is full or the object
   * ends, and returns how many were read. For callers that keep their own (pooled) buffers: no
   * allocation and, on the filesystem, one read instead of a stream of 64 KiB chunks. Throws
   * ObjectNotFoundError, or InvalidRangeError when `position` is past the end.
   */
  readInto(key: string, target: Buffer, position?: number): Promise<number>;
  /** Readiness check: resolves when the bucket/directory is usable, else throws StorageUnavailableError. */
  ping(): Promise<void>;
  /** Releases connections (S3 sockets). Safe to call more than once. */
  close?(): Promise<void>;
}
