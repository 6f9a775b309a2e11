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
  readonly #writes: InFlightWrites;

  constructor(
    private readonly fh: FileHandle,
    private readonly batchBytes = 1024 * 1024,
    maxInFlight = 4,
  ) {
    super({ highWaterMark: batchBytes });
    this.#writes = new InFlightWrites(maxInFlight);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#writes.failure) {
      cb(this.#writes.failure);
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
    this.#writes.room().then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#pendingBytes > 0) this.#startBatch();
    this.#writes
      .drain()
      .then(() => this.fh.sync())
      .then(() => cb(), cb);
  }

  #startBatch(): void {
    this.#writes.add(writeAllAt((chunks, position) => this.fh.writev(chunks, position), this.#pending, this.#position));
    this.#position += this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/**
 * The writes of one file that run at once, each at its own offset (BatchedFileSink, DirectFileSink):
 * bounds how many, keeps the first failure, and lets the sink wait for all before it fsyncs.
 */
export class InFlightWrites {
  readonly #running = new Set<Promise<void>>();
  #failure: Error | undefined;

  constructor(private readonly max: number) {}

  /** The first write that failed, if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Tracks `write`; `settled` runs once it has settled, whichever way (e.g. to reuse its buffer). */
  add(write: Promise<unknown>, settled?: () => void): void {
    const tracked = write.then(
      () => {
        this.#running.delete(tracked);
        settled?.();
      },
      (err: Error) => {
        this.#running.delete(tracked);
        settled?.();
        this.#failure ??= err;
        throw err;
      },
    );
    tracked.catch(() => {}); // reported through room() / drain(), not as an unhandled rejection
    this.#running.add(tracked);
  }

  /** Resolves once fewer than `max` writes run; rejects when one has failed. */
  async room(): Promise<void> {
    while (this.#running.size >= this.max) await Promise.race(this.#running);
    if (this.#failure) throw this.#failure;
  }

  /**
   * Waits for every write; rejects with the first failure — also of a write that failed after its
   * `_write` had returned and is no longer running: never fsync (and so report as stored) a file
   * with a hole.
   */
  async drain(): Promise<void> {
    await Promise.all(this.#running);
    if (this.#failure) throw this.#failure;
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
