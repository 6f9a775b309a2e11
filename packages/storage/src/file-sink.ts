import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * A Writable onto an open file that collects chunks into batches of about `batchBytes` and writes
 * each batch with one positional `writev`, up to `maxInFlight` batches at once, then fsyncs the
 * file before it finishes.
 *
 * Why batches: request chunks arrive at socket size (≤ 64 KB); written one by one they cost a
 * thread-pool hop each (0.31 s of a 970 MB STOW's 3.3 s of server CPU, docs/benchmarks.md "Ingest").
 * Why several in flight: a batch's write, awaited, took ~2.2 ms per MB in the server (0.3 ms in the
 * kernel, the rest thread-pool and event-loop round trip), so with one at a time the file write,
 * not the network or the hash, paced a radiograph's upload. Each batch has its own file offset, so
 * their order of completion does not matter.
 *
 * Chunks are held, not copied, until their batch is written: a writer must not reuse a buffer it
 * has written (no stream writer may). The caller owns the handle and closes it, also after an
 * error; a FileHandle's close waits for writes still running on it.
 */
export class BatchedFileSink extends Writable {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** File offset of the next batch. */
  #position = 0;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: Error | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly batchBytes = 1024 * 1024,
    private readonly maxInFlight = 4,
  ) {
    super({ highWaterMark: batchBytes });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#failure) {
      cb(this.#failure);
      return;
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    // The iovec count is bounded too (IOV_MAX is 1024 on Linux), whatever the chunk size.
    if (this.#pendingBytes < this.batchBytes && this.#pending.length < 512) {
      cb();
      return;
    }
    this.#startBatch();
    if (this.#inFlight.size < this.maxInFlight) cb();
    else Promise.race(this.#inFlight).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#pendingBytes > 0) this.#startBatch();
    Promise.all(this.#inFlight)
      .then(() => {
        // A batch that failed after its _write had returned is no longer in flight: never fsync
        // (and so report as stored) a file with a hole.
        if (this.#failure) throw this.#failure;
        return this.fh.sync();
      })
      .then(() => cb(), cb);
  }

  #startBatch(): void {
    const write = writeAllAt((chunks, position) => this.fh.writev(chunks, position), this.#pending, this.#position).then(
      () => {
        this.#inFlight.delete(write);
      },
      (err: Error) => {
        this.#inFlight.delete(write);
        this.#failure ??= err;
        throw err;
      },
    );
    write.catch(() => {}); // reported through _write / _final, not as an unhandled rejection
    this.#inFlight.add(write);
    this.#position += this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/** A positional `writev` (a FileHandle's, or `fs.writev` on a descriptor). */
export type PositionalWritev = (chunks: Buffer[], position: number) => Promise<{ bytesWritten: number }>;

/** Writes all of `chunks` at `position`, one `writev` per attempt, resuming after a short write. */
export async function writeAllAt(writev: PositionalWritev, chunks: readonly Buffer[], position: number): Promise<void> {
  let rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    const { bytesWritten } = await writev(rest, position);
    if (bytesWritten === 0) throw Object.assign(new Error('writev wrote nothing'), { code: 'EIO' });
    position += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
}

/** `chunks` without their first `n` bytes (after a short write). */
export function skipBytes(chunks: readonly Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
  const rest = chunks.slice(i);
  if (rest.length && n > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}
