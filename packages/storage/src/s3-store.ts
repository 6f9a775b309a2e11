import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectExistsError,
  ObjectNotFoundError,
  StorageUnavailableError,
} from './errors';
import { assertValidKey, assertValidPrefix } from './keys';
import { streamUpload } from './s3-upload';
import { PartBuffers } from './part-buffers';
import { assertPutOptions, assertWellFormedRange, readAll, translatePutError } from './shared';
import type { ByteRange, GetResult, ListEntry, ObjectInfo, ObjectStore, PutBody, PutOptions, PutResult } from './types';

/** Connection settings for {@link S3ObjectStore}. */
export interface S3StoreConfig {
  /** Custom endpoint (MinIO, s3rver, other S3-compatible services); omit for AWS. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Omit both keys to use the SDK's default credential chain (instance role, env, profile). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `bucket` in the path instead of the host name: needed by MinIO and s3rver. */
  forcePathStyle?: boolean;
  /** Namespace inside the bucket (`tenant-a` → objects live under `tenant-a/`). */
  prefix?: string;
  /** Multipart part size in bytes (default 8 MiB, minimum 5 MiB as S3 requires). */
  partSize?: number;
  /** Parts uploaded concurrently per put (default 2). */
  queueSize?: number;
  /**
   * Bytes that all puts together may hold while streamed bodies are read into parts (default 24
   * MiB: one put's part being read and its two being uploaded): a put waits for room before it
   * reads its next part.
   */
  maxBufferedBytes?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 2;
/**
 * Why part buffers shared across puts (PartBuffers): each put holds a part while it reads and its
 * parts while they upload, and an upload request keeps several instances in flight
 * (IngestPipeline: 16). When S3 takes bytes slower than the client sends them, each 8 MB instance
 * in flight held its own part, and the chunks of each part outlived young-generation collections:
 * a 2 GB study of 8 MB instances in one STOW request peaked at 331–346 MB RSS against the local
 * S3 emulator (fs store: 236–243). With 24 MB of reused part buffers: 258–271 MB, one 2 GB instance
 * 258–283 MB, and 88 instead of 73–78 MB/s (docs/benchmarks.md, 2026-12-05 22:10).
 */
const DEFAULT_MAX_BUFFERED_BYTES = 24 * 1024 * 1024;
/**
 * How long a put waits for a part buffer before it takes one beyond the budget: parts leave at S3's
 * pace (an 8 MB part to s3rver here: ~0.1 s), so a longer wait means puts that hold buffers have
 * stalled (their uploaders stopped sending mid-object), and they must not stop every other upload.
 */
const PART_BUFFER_MAX_WAIT_MS = 2_000;
const PING_TIMEOUT_MS = 5_000;

/** {@link ObjectStore} on S3 or an S3-compatible server, through `@aws-sdk/client-s3` v3. */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #endpoint: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #buffers: PartBuffers;

  constructor(cfg: S3StoreConfig) {
    if (!cfg.bucket) throw new TypeError('S3 bucket is required');
    if ((cfg.accessKeyId === undefined) !== (cfg.secretAccessKey === undefined)) {
      throw new TypeError('set both S3 accessKeyId and secretAccessKey, or neither');
    }
    this.#bucket = cfg.bucket;
    this.#prefix = normalisePrefix(cfg.prefix);
    this.#endpoint = cfg.endpoint ?? `https://s3.${cfg.region}.amazonaws.com`;
    this.#partSize = cfg.partSize ?? DEFAULT_PART_SIZE;
    this.#queueSize = Math.max(1, cfg.queueSize ?? DEFAULT_QUEUE_SIZE);
    this.#buffers = new PartBuffers(this.#partSize, cfg.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, PART_BUFFER_MAX_WAIT_MS);
    this.#client = new S3Client({
      region: cfg.region,
      endpoint: cfg.endpoint,
      forcePathStyle: cfg.forcePathStyle ?? false,
      credentials:
        cfg.accessKeyId && cfg.secretAccessKey
          ? { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey }
          : undefined,
      // Recent SDKs add CRC32 checksums by default, sending streamed bodies as `aws-chunked` with a
      // trailer. S3-compatible servers that do not understand that encoding store the chunk
      // framing inside the object: silent corruption. We hash every object ourselves (SHA-256), so
      // only send/validate checksums when an operation strictly requires them. AWS accepts this.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<PutResult> {
    const s3Key = this.#s3Key(key);
    assertPutOptions(opts);
    opts.signal?.throwIfAborted();
    // Fail before streaming a large body when the key is taken; IfNoneMatch on the final request is
    // the atomic check on AWS (S3-compatible emulators may ignore it).
    if (opts.ifNoneMatch && (await this.head(key))) throw new ObjectExistsError(key);
    try {
      const { size, sha256 } = await streamUpload({
        client: this.#client,
        bucket: this.#bucket,
        s3Key,
        key,
        body,
        opts,
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        buffers: this.#buffers,
      });
      return { key, size, sha256 };
    } catch (err) {
      if (statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed' || nameOf(err) === 'ConditionalRequestConflict') {
        throw new ObjectExistsError(key);
      }
      throw translatePutError(key, opts, err);
    }
  }

  async get(key: string, opts: { range?: ByteRange } = {}): Promise<GetResult> {
    const s3Key = this.#s3Key(key);
    const range = opts.range;
    if (range) assertWellFormedRange(key, range);
    try {
      const res = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: s3Key,
          Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
        }),
      );
      const body = res.Body as Readable;
      const contentLength = res.ContentLength ?? 0;
      // Content-Range is "bytes start-end/total"; without a range the length is the size.
      const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
      const size = total !== undefined ? Number(total) : contentLength;
      return { body, size, contentLength };
    } catch (err) {
      if (isMissingObject(err)) throw new ObjectNotFoundError(key, { cause: err });
      if (range && (statusOf(err) === 416 || nameOf(err) === 'InvalidRange')) {
        throw new InvalidRangeError(key, range);
      }
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const s3Key = this.#s3Key(key);
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: s3Key }));
      return { size: res.ContentLength ?? 0, lastModified: res.LastModified };
    } catch (err) {
      if (isMissingObject(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 DeleteObject already succeeds for a missing key, which is the idempotency we promise.
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#s3Key(key) }));
  }

  async *list(prefix: string): AsyncIterable<ListEntry> {
    assertValidPrefix(prefix);
    // Paginated with ListObjects (V1) and Marker = last key seen, not ListObjectsV2: s3rver 3.7
    // encrypts V2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) refuses, so every
    // truncated V2 listing fails with a 500 on the local S3 server. V1 with Marker pages
    // identically (UTF-8 binary key order, <= 1000 keys per page) on AWS, MinIO and s3rver.
    let marker: string | undefined;
    for (;;) {
      const res = await this.#client.send(
        new ListObjectsCommand({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, Marker: marker }),
      );
      let last: string | undefined;
      for (const obj of res.Contents ?? []) {
        if (obj.Key === undefined) continue;
        last = obj.Key;
        yield { key: obj.Key.slice(this.#prefix.length), size: obj.Size ?? 0 };
      }
      // NextMarker is only sent with a delimiter; otherwise the last key is the marker.
      const next = res.NextMarker ?? last;
      if (!res.IsTruncated || next === undefined || next === marker) return;
      marker = next;
    }
  }

  async getRange(key: string, start: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidRangeError(key, { start });
    if (length === 0) {
      if (!(await this.head(key))) throw new ObjectNotFoundError(key);
      return Buffer.alloc(0);
    }
    const { body } = await this.get(key, { range: { start, end: start + length - 1 } });
    return readAll(body);
  }

  async readInto(key: string, target: Buffer, position = 0): Promise<number> {
    const s3Key = this.#s3Key(key);
    if (!Number.isSafeInteger(position) || position < 0) throw new InvalidRangeError(key, { start: position });
    if (target.length === 0) {
      if (!(await this.head(key))) throw new ObjectNotFoundError(key);
      return 0;
    }
    let body: Readable;
    try {
      const res = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: s3Key, Range: `bytes=${position}-${position + target.length - 1}` }),
      );
      body = res.Body as Readable;
    } catch (err) {
      if (isMissingObject(err)) throw new ObjectNotFoundError(key, { cause: err });
      if (statusOf(err) === 416 || nameOf(err) === 'InvalidRange') {
        // S3 refuses any range of an empty object: reading it from the start is reading nothing.
        if (position === 0) return 0;
        throw new InvalidRangeError(key, { start: position });
      }
      throw err;
    }
    let total = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const n = Math.min(chunk.length, target.length - total);
      chunk.copy(target, total, 0, n);
      total += n;
      if (total === target.length) break; // a server ignoring Range sends more: stop reading
    }
    body.destroy();
    return total;
  }

  async ping(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }), {
        abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS),
      });
    } catch (err) {
      const status = statusOf(err);
      const where = `bucket "${this.#bucket}" at ${this.#endpoint}`;
      let message: string;
      if (status === 404) message = `${where} does not exist`;
      else if (status === 403 || status === 401) message = `access to ${where} denied (check the S3 credentials)`;
      else message = `cannot reach ${where}: ${err instanceof Error ? err.message || err.name : String(err)}`;
      throw new StorageUnavailableError(message, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  #s3Key(key: string): string {
    assertValidKey(key);
    const full = this.#prefix + key;
    if (Buffer.byteLength(full) > 1024) throw new InvalidObjectKeyError(key, 'too long together with the store prefix');
    return full;
  }
}

/** "" stays ""; "a/b/" and "a/b" both become "a/b/" (validated like a key). */
function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  assertValidKey(trimmed);
  return `${trimmed}/`;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function isMissingObject(err: unknown): boolean {
  const name = nameOf(err);
  if (name === 'NoSuchBucket') return false; // a configuration problem, not a missing object
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}
