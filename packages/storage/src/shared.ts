import type { Readable } from 'node:stream';
import { InvalidRangeError, ObjectIntegrityError } from './errors';
import { SizeExceededError } from './hashing';
import type { ByteRange, PutOptions } from './types';

// Small helpers both backends use, so their behaviour cannot drift apart.

/** Rejects ranges that are malformed regardless of object size (negative, reversed, fractional). */
export function assertWellFormedRange(key: string, range: ByteRange): void {
  const { start, end } = range;
  const ok =
    Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) throw new InvalidRangeError(key, range);
}

/** Checks `expectedSha256`'s shape up front, so a typo fails before any byte is sent. */
export function assertPutOptions(opts: PutOptions): void {
  if (opts.expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.expectedSha256)) {
    throw new TypeError('expectedSha256 must be 64 hex characters');
  }
  if (opts.expectedSize !== undefined && !(Number.isSafeInteger(opts.expectedSize) && opts.expectedSize >= 0)) {
    throw new TypeError('expectedSize must be a non-negative integer');
  }
}

/** Throws ObjectIntegrityError when the streamed bytes differ from what the caller promised. */
export function assertIntegrity(key: string, opts: PutOptions, size: number, sha256: string): void {
  const sizeBad = opts.expectedSize !== undefined && size !== opts.expectedSize;
  const shaBad = opts.expectedSha256 !== undefined && sha256 !== opts.expectedSha256.toLowerCase();
  if (sizeBad || shaBad) {
    throw new ObjectIntegrityError(key, { size: opts.expectedSize, sha256: opts.expectedSha256 }, { size, sha256 });
  }
}

/** Maps the hasher's early "too many bytes" signal to the public integrity error. */
export function translatePutError(key: string, opts: PutOptions, err: unknown): unknown {
  if (err instanceof SizeExceededError) {
    return new ObjectIntegrityError(key, { size: opts.expectedSize, sha256: opts.expectedSha256 }, { size: err.seen });
  }
  return err;
}

/** Collects a (small) stream into one Buffer; used by `getRange` for header and frame reads. */
export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Node errno code of a filesystem error, if any. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
