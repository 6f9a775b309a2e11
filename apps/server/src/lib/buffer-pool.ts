/**
 * Fixed-size buffers reused across responses. Retrieval reads whole small objects (CT and MR
 * slices) into these instead of allocating a fresh buffer per read: fresh off-heap buffers of this
 * size make V8 run full garbage collections as external memory churns (see docs/benchmarks.md).
 * At most `maxFree` buffers are kept; beyond that, buffers are allocated and left to the GC.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  /** Acquired and not yet released (a leak shows as a count that never returns to 0). */
  inUse = 0;

  constructor(
    readonly bufferSize: number,
    private readonly maxFree: number,
  ) {}

  acquire(): Buffer {
    this.inUse++;
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize);
  }

  /** Hand a buffer back once nothing (no pending socket write) refers to its memory any more. */
  release(buf: Buffer): void {
    this.inUse--;
    if (buf.length === this.bufferSize && this.free.length < this.maxFree) this.free.push(buf);
  }

  get freeCount(): number {
    return this.free.length;
  }
}
