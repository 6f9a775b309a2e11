import { createHash, type Hash, hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** SHA-256 of a buffer as lowercase hex (the form recorded at ingest and compared everywhere). */
export function sha256Hex(data: Buffer | Uint8Array | readonly Uint8Array[]): string {
  if (data instanceof Uint8Array) return hash('sha256', data, 'hex');
  if (data.length === 1) return hash('sha256', data[0]!, 'hex'); // one-shot: no Hash object
  const h = createHash('sha256');
  for (const chunk of data) h.update(chunk);
  return h.digest('hex');
}

/** Incremental SHA-256 + byte counter, for code that reads a stream itself (S3 multipart). */
export class StreamDigest {
  readonly #hash: Hash = createHash('sha256');
  #size = 0;
  #hex: string | undefined;

  update(chunk: Buffer): void {
    if (this.#hex !== undefined) throw new Error('StreamDigest already finalised');
    this.#hash.update(chunk);
    this.#size += chunk.length;
  }

  get size(): number {
    return this.#size;
  }

  /** Finalises the hash; later calls return the same value. */
  digest(): { size: number; sha256: string } {
    this.#hex ??= this.#hash.digest('hex');
    return { size: this.#size, sha256: this.#hex };
  }
}

/**
 * A pass-through Transform that hashes and counts the bytes flowing through it, so a put can report
 * (and verify) the SHA-256 of exactly what was written without a second read.
 *
 * With `maxBytes` it fails as soon as more bytes arrive than promised, instead of writing an
 * oversized object only to reject it at the end.
 */
export class HashingPassThrough extends Transform {
  readonly digest = new StreamDigest();

  constructor(private readonly maxBytes?: number) {
    super();
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.digest.update(buf);
    if (this.maxBytes !== undefined && this.digest.size > this.maxBytes) {
      cb(new SizeExceededError(this.maxBytes, this.digest.size));
      return;
    }
    cb(null, buf);
  }
}

/** Internal signal from {@link HashingPassThrough}; backends turn it into ObjectIntegrityError. */
export class SizeExceededError extends Error {
  constructor(
    readonly expected: number,
    readonly seen: number,
  ) {
    super(`received more than the expected ${expected} bytes`);
    this.name = 'SizeExceededError';
  }
}
