import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { BlockHasher } from './block-hasher';
import { InFlightWrites, writeAllAt } from './file-sink';
import { SizeExceededError } from './hashing';

/**
 * Direct I/O (`O_DIRECT`) for object writes on Linux: the bytes go from our buffer to the device
 * without a page-cache copy.
 *
 * Why: an image is written once and read seldom, and new page-cache pages are not free. On the
 * cloud VMs we run on (Firecracker with free page reporting) every first touch of a page the guest
 * had given back faults on the host: buffered writes cost ~2.3 ms of kernel CPU per MB, direct
 * writes ~0.15 ms (docs/benchmarks.md, "Ingest"), which was most of a radiograph's ingest CPU. On
 * other hosts it still spares the page cache, which then keeps what is read (thumbnails, recent
 * studies) instead of every image ever written. Durability is unchanged: the file is still fsynced.
 *
 * The kernel wants the buffer address, the file offset and the length aligned to the device's
 * logical block; we align everything to {@link DIRECT_IO_ALIGNMENT}. Node has no aligned allocator,
 * so blocks come from WebAssembly memories, whose backing store is mapped at a page boundary.
 * The object's last partial block is written zero-padded and the file truncated to its real size.
 */
export const DIRECT_IO_ALIGNMENT = 4096;

/** `O_DIRECT` where the platform has it (Linux), else 0 (callers then write through the page cache). */
export const O_DIRECT: number = constants.O_DIRECT ?? 0;

/** Open flags for a new object file written with direct I/O: create exclusively, write only. */
export const DIRECT_CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_DIRECT;

/** `n` rounded up to the direct-I/O alignment. */
export function alignUp(n: number): number {
  return Math.ceil(n / DIRECT_IO_ALIGNMENT) * DIRECT_IO_ALIGNMENT;
}

const WASM_PAGE = 64 * 1024;

// The one WebAssembly API used here (the project's TypeScript libs carry no WebAssembly types).
declare const WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer } };

/**
 * A bounded pool of page-aligned blocks. Arenas (one shared WebAssembly memory each, never grown,
 * so a block's address never moves while the kernel writes from it; shared, so the hash worker
 * reads the same bytes: block-hasher.ts) are made on first need, up to
 * `maxArenas`; past that, {@link acquire} waits for a release. Blocks are reused, never freed:
 * at most `blockBytes × blocksPerArena × maxArenas` (64 MB by default) stays resident.
 */
export class AlignedBlockPool {
  readonly #free: Buffer[] = [];
  readonly #waiting: ((block: Buffer) => void)[] = [];
  #arenas = 0;

  constructor(
    readonly blockBytes = 1024 * 1024,
    private readonly blocksPerArena = 16,
    private readonly maxArenas = 4,
  ) {
    if (blockBytes % WASM_PAGE !== 0) throw new RangeError(`block size must be a multiple of ${WASM_PAGE}`);
  }

  /** A block now if one is free (or a new arena may be made), else a promise of the next release. */
  acquire(): Buffer | Promise<Buffer> {
    const block = this.#free.pop() ?? this.#grow();
    if (block) return block;
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(block: Buffer): void {
    const next = this.#waiting.shift();
    if (next) next(block);
    else this.#free.push(block);
  }

  /** Blocks currently handed out (for tests). */
  get inUse(): number {
    return this.#arenas * this.blocksPerArena - this.#free.length;
  }

  #grow(): Buffer | undefined {
    if (this.#arenas >= this.maxArenas) return undefined;
    const pages = (this.blockBytes * this.blocksPerArena) / WASM_PAGE;
    const { buffer } = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.#arenas++;
    for (let i = 1; i < this.blocksPerArena; i++) this.#free.push(Buffer.from(buffer, i * this.blockBytes, this.blockBytes));
    return Buffer.from(buffer, 0, this.blockBytes);
  }
}

/** The process's pool, shared by every direct write. */
export const sharedBlockPool = new AlignedBlockPool();

/** What {@link DirectFileSink} needs of an open file (a FileHandle opened with `O_DIRECT`). */
export type DirectFile = Pick<FileHandle, 'write' | 'truncate' | 'sync'>;

/**
 * Writes `block`'s first `length` bytes at `position`, zero-padded up to the alignment: `O_DIRECT`
 * writes whole aligned blocks, and the caller truncates the file to its size at the end.
 */
export function writePadded(
  write: (buffer: Buffer, position: number) => Promise<{ bytesWritten: number }>,
  block: Buffer,
  length: number,
  position: number,
): Promise<void> {
  const padded = alignUp(length);
  block.fill(0, length, padded);
  return writeAllAt((chunks, at) => write(chunks[0]!, at), [block.subarray(0, padded)], position);
}

/**
 * A Writable onto a file opened with `O_DIRECT`: copies incoming chunks into aligned blocks of the
 * pool, writes each full block at its offset (up to `maxInFlight` at once, completion order free),
 * writes the last block zero-padded, truncates the file to the bytes received and fsyncs it before
 * it finishes. The copy (~0.05 ms per MB) is what lets the request's chunks go at once.
 *
 * It also counts the bytes (failing with SizeExceededError past `maxBytes`) and has each block
 * hashed by the BlockHasher's worker (a block goes back to the pool once both its write and its
 * hashing are done); {@link result} then gives size and SHA-256.
 *
 * The caller owns the handle and closes it, also after an error; a FileHandle's close waits for
 * writes still running on it.
 */
export class DirectFileSink extends Writable {
  #block: Buffer | undefined;
  #filled = 0;
  /** File offset of the current block. */
  #position = 0;
  readonly #writes: InFlightWrites;
  #size = 0;
  /** The hash stream, while it is open. */
  #stream: number | undefined;
  #sha256: string | undefined;

  constructor(
    private readonly file: DirectFile,
    private readonly hashing: { hasher: BlockHasher; maxBytes?: number },
    private readonly pool: AlignedBlockPool = sharedBlockPool,
    maxInFlight = 4,
  ) {
    super({ highWaterMark: pool.blockBytes });
    this.#writes = new InFlightWrites(maxInFlight);
    this.#stream = hashing.hasher.open();
  }

  /** Size and SHA-256 of what was written, once the stream has finished. */
  get result(): { size: number; sha256: string } {
    if (this.#sha256 === undefined) throw new Error('DirectFileSink: not finished');
    return { size: this.#size, sha256: this.#sha256 };
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#append(chunk).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    const size = this.#size;
    if (this.#block && this.#filled > 0) this.#startWrite();
    this.#writes
      .drain()
      .then(() => (alignUp(size) === size ? undefined : this.file.truncate(size)))
      .then(() => this.file.sync())
      .then(async () => {
        const stream = this.#stream!;
        this.#stream = undefined;
        this.#sha256 = await this.hashing.hasher.digest(stream);
      })
      .then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Blocks being written go back to the pool when their write settles; the one being filled now.
    if (this.#block) this.pool.release(this.#block);
    this.#block = undefined;
    if (this.#stream !== undefined) this.hashing.hasher.drop(this.#stream);
    this.#stream = undefined;
    cb(err);
  }

  async #append(chunk: Buffer): Promise<void> {
    this.#size += chunk.length;
    const { maxBytes } = this.hashing;
    if (maxBytes !== undefined && this.#size > maxBytes) throw new SizeExceededError(maxBytes, this.#size);
    for (let offset = 0; offset < chunk.length; ) {
      if (this.#writes.failure) throw this.#writes.failure;
      if (!this.#block) {
        this.#block = await this.pool.acquire();
        this.#filled = 0;
      }
      const n = chunk.copy(this.#block, this.#filled, offset);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.#block.length) {
        this.#startWrite();
        await this.#writes.room();
      }
    }
    if (this.#writes.failure) throw this.#writes.failure;
  }

  /** Hashes and writes the current block's bytes at its offset (zero-padded if it is the last, partial one). */
  #startWrite(): void {
    const block = this.#block!;
    // The worker reads only the data; writePadded zeroes the padding after it.
    const hashed = this.hashing.hasher.update(this.#stream!, block, this.#filled);
    const written = writePadded((buffer, at) => this.file.write(buffer, 0, buffer.length, at), block, this.#filled, this.#position);
    // Both must have settled before the block is reused, also when one of them failed.
    this.#writes.add(Promise.allSettled([written, hashed]).then(throwFirstRejection), () => this.pool.release(block));
    this.#position += this.#filled;
    this.#block = undefined;
    this.#filled = 0;
  }
}

function throwFirstRejection(results: PromiseSettledResult<unknown>[]): void {
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
