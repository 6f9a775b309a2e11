import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * A Writable onto an open file that collects chunks into batches of about `batchBytes` and writes
 * each batch with one `writev`, then fsyncs the file before it finishes. Request chunks arrive at
 * socket size (≤ 64 KB); written one by one they cost a thread-pool hop each (0.31 s of a 970 MB
 * STOW's 3.3 s of server CPU, docs/benchmarks.md "Ingest"). Chunks are held, not copied, until
 * their batch is written: a writer must not reuse a buffer it has written (no stream writer may).
 * The caller owns the handle and closes it, also after an error.
 */
export class BatchedFileSink extends Writable {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #position = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly batchBytes = 1024 * 1024,
  ) {
    super({ highWaterMark: batchBytes });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    // The iovec count is bounded too (IOV_MAX is 1024 on Linux), whatever the chunk size.
    if (this.#pendingBytes < this.batchBytes && this.#pending.length < 512) {
      cb();
      return;
    }
    this.#flush().then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#flush()
      .then(() => this.fh.sync())
      .then(() => cb(), cb);
  }

  async #flush(): Promise<void> {
    let chunks = this.#pending;
    const total = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (let written = 0; written < total; ) {
      const { bytesWritten } = await this.fh.writev(chunks, this.#position + written);
      written += bytesWritten;
      if (written < total) chunks = skipBytes(chunks, bytesWritten);
    }
    this.#position += total;
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
