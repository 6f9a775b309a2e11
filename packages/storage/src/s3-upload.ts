import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { PartBuffers } from './part-buffers';
import { SizeExceededError, StreamDigest } from './hashing';
import { assertIntegrity } from './shared';
import type { PutBody, PutOptions } from './types';

/** S3 allows at most 10 000 parts per multipart upload. */
const MAX_PARTS = 10_000;
/** S3's minimum size for every part but the last. */
const MIN_PART_SIZE = 5 * 1024 * 1024;
/**
 * Up to this size an object's chunks are kept as they come and sent in one PutObject, without a
 * part buffer: an ingested tiny instance (its bytes already in memory, ~10 KB) must not take 8 MB of
 * the store's 24 MB of part buffers, which would let only three such puts run at once.
 */
const SMALL_OBJECT_BYTES = 1024 * 1024;

export interface StreamUploadParams {
  client: S3Client;
  bucket: string;
  /** Full S3 key (store prefix already applied). */
  s3Key: string;
  /** Public key, for error messages. */
  key: string;
  body: PutBody;
  opts: PutOptions;
  partSize: number;
  /** Parts uploaded concurrently; memory use is about (queueSize + 1) × partSize. */
  queueSize: number;
  /**
   * The store's part buffers, shared by all its puts: a put takes one before it reads a part and
   * gives it back once the part is uploaded (so all puts together hold a bounded number of bytes).
   * Without, each part gets a new buffer.
   */
  buffers?: PartBuffers;
}

/**
 * Streams a body of unknown length to S3 with bounded memory, hashing it on the way.
 *
 * Written instead of `@aws-sdk/lib-storage`'s `Upload` because `Upload` completes the multipart
 * upload as soon as the body ends; we need to check size and SHA-256 *between* the last byte and
 * the commit, so a corrupt or truncated body is never published (not even briefly) under its key.
 *
 * Bodies smaller than one part go up as a single PutObject with a known Content-Length. On any
 * failure the multipart upload is aborted; servers without AbortMultipartUpload (s3rver) answer
 * NotImplemented, which is swallowed: the object was never completed, so nothing is visible, and on
 * AWS a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop for lost aborts.
 */
export async function streamUpload(p: StreamUploadParams): Promise<{ size: number; sha256: string }> {
  const { client, bucket, s3Key, opts } = p;
  const signal = opts.signal;
  const digest = new StreamDigest();
  const partSize = choosePartSize(p.partSize, opts.expectedSize);
  // IfNoneMatch '*' makes S3 itself refuse to overwrite (atomic on AWS; emulators may ignore it,
  // which is why the caller also checks with HEAD first).
  const ifNoneMatch = opts.ifNoneMatch ? '*' : undefined;

  let uploadId: string | undefined;
  let partNumber = 0;
  const parts: CompletedPart[] = [];
  const inflight = new Set<Promise<void>>();
  let partFailure: unknown;
  // The part being read: bytes are copied into it as they arrive, so a source's chunks die young
  // (held until a part is full, they outlived several young-generation collections and their
  // memory waited for a full one) and a full part is sent as it is, without a concatenated copy.
  // Its buffer comes from the store's spares and its bytes from the budget (see PartBuffers).
  let part: Buffer | undefined;
  let filled = 0;
  // The chunks of an object while it is still small: it takes no part buffer until it is not.
  const head: { small: boolean; chunks: Buffer[]; bytes: number } = { small: true, chunks: [], bytes: 0 };
  const buffers = p.buffers;
  const takePart = async (): Promise<Buffer> => (buffers ? buffers.take(partSize) : Buffer.allocUnsafeSlow(partSize));
  const giveBack = (buf: Buffer) => buffers?.give(buf);

  /** Uploads `data` (a view of `buf`) as the next part; `buf` goes back once the part has settled. */
  const startPart = async (buf: Buffer, data: Buffer): Promise<void> => {
    let n: number;
    try {
      // Backpressure: while the queue is full we stop pulling from the source.
      while (inflight.size >= p.queueSize) await Promise.race(inflight);
      if (partFailure) throw partFailure;
      n = ++partNumber;
      if (n > MAX_PARTS) throw new Error(`object exceeds ${MAX_PARTS} parts of ${partSize} bytes; pass expectedSize`);
    } catch (err) {
      giveBack(buf);
      throw err;
    }
    const task: Promise<void> = client
      .send(new UploadPartCommand({ Bucket: bucket, Key: s3Key, UploadId: uploadId, PartNumber: n, Body: data }), {
        abortSignal: signal,
      })
      .then((res) => {
        parts.push({ PartNumber: n, ETag: res.ETag });
      })
      .catch((err: unknown) => {
        partFailure ??= err;
        throw err;
      })
      .finally(() => {
        inflight.delete(task);
        giveBack(buf);
      });
    // Rejections are observed through Promise.race/allSettled or partFailure; this only stops
    // Node from reporting an unhandled rejection for a part nobody happens to be awaiting.
    task.catch(() => {});
    inflight.add(task);
  };

  try {
    // An array body is already an iterable of its chunks. A Buffer under a part is small too: it
    // goes up as it is, without a copy into a part buffer.
    const source: AsyncIterable<Buffer | string> | Iterable<Buffer> = Buffer.isBuffer(p.body) ? [p.body] : p.body;
    const smallUpTo = Buffer.isBuffer(p.body) ? partSize - 1 : SMALL_OBJECT_BYTES;
    for await (const chunk of source) {
      signal?.throwIfAborted();
      if (partFailure) throw partFailure;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      digest.update(buf);
      if (opts.expectedSize !== undefined && digest.size > opts.expectedSize) {
        throw new SizeExceededError(opts.expectedSize, digest.size);
      }
      if (head.small && head.bytes + buf.length <= smallUpTo) {
        // Still small: kept as it came (see SMALL_OBJECT_BYTES).
        head.chunks.push(buf);
        head.bytes += buf.length;
        continue;
      }
      if (head.small) {
        // Not small after all: from here on, parts (the first one begins with what was kept).
        head.small = false;
        part = await takePart();
        for (const c of head.chunks) filled += c.copy(part, filled);
        head.chunks = [];
      }
      for (let at = 0; at < buf.length; ) {
        part ??= await takePart();
        const copied = buf.copy(part, filled, at);
        filled += copied;
        at += copied;
        if (filled < partSize) continue;
        uploadId ??= await createUpload(client, bucket, s3Key, opts.contentType, signal);
        const full = part;
        part = undefined;
        filled = 0;
        await startPart(full, full);
      }
    }
    signal?.throwIfAborted();
    const digested = digest.digest();
    // The commit point: nothing is visible under the key until this check has passed.
    assertIntegrity(p.key, opts, digested.size, digested.sha256);

    if (uploadId === undefined) {
      const chunks = head.chunks;
      await putObject(p, part ? part.subarray(0, filled) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), ifNoneMatch);
      return digested;
    }
    if (part) {
      const last = part;
      part = undefined;
      await startPart(last, last.subarray(0, filled));
    }
    await Promise.all(inflight);
    if (partFailure) throw partFailure;
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: s3Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: ifNoneMatch,
      }),
      { abortSignal: signal },
    );
    return digested;
  } catch (err) {
    if (uploadId !== undefined) {
      // Let in-flight parts settle first, or a part could land after the abort and linger.
      await Promise.allSettled(inflight);
      await abortUpload(client, bucket, s3Key, uploadId);
    }
    // Stop reading a source we will never finish (frees its resources, e.g. an HTTP request).
    if (p.body instanceof Readable && !p.body.destroyed) p.body.destroy();
    throw err;
  } finally {
    // The part being read, if an error (or a single PutObject) left one.
    if (part) giveBack(part);
  }
}

/** A body of less than one part in one PutObject with a known Content-Length. */
async function putObject(p: StreamUploadParams, body: Buffer, ifNoneMatch: string | undefined): Promise<void> {
  await p.client.send(
    new PutObjectCommand({
      Bucket: p.bucket,
      Key: p.s3Key,
      Body: body,
      ContentLength: body.length,
      ContentType: p.opts.contentType,
      IfNoneMatch: ifNoneMatch,
    }),
    { abortSignal: p.opts.signal },
  );
}

/** Bigger parts when the caller announces a huge object, so it fits in 10 000 parts. */
function choosePartSize(base: number, expectedSize: number | undefined): number {
  const size = Math.max(base, MIN_PART_SIZE);
  if (expectedSize === undefined) return size;
  return Math.max(size, Math.ceil(expectedSize / (MAX_PARTS - 1)));
}

async function createUpload(
  client: S3Client,
  bucket: string,
  s3Key: string,
  contentType: string | undefined,
  signal: AbortSignal | undefined,
): Promise<string> {
  const res = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: s3Key, ContentType: contentType }), {
    abortSignal: signal,
  });
  if (!res.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
  return res.UploadId;
}

async function abortUpload(client: S3Client, bucket: string, s3Key: string, uploadId: string): Promise<void> {
  try {
    // No abortSignal: cleanup must run even when the caller's signal caused the failure.
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: s3Key, UploadId: uploadId }));
  } catch {
    // NotImplemented on s3rver; on AWS a failed abort is left to the bucket lifecycle rule. The
    // original error is what the caller needs to see, so this one is dropped.
  }
}
