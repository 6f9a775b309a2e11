import { ByteBudget } from './byte-budget';

/**
 * The buffers that an S3 store's puts read parts into: at most `capacity` bytes of them are out at
 * once (a put waits for one before it reads its next part: see ByteBudget), and buffers of the
 * store's part size are kept when given back and handed out again, so a long upload reuses the same
 * few buffers instead of leaving a dead 8 MB buffer per part for the garbage collector.
 *
 * A buffer is given back only once nothing uses it any more (its part's request has settled).
 */
export class PartBuffers {
  readonly #budget: ByteBudget;
  readonly #spare: Buffer[] = [];
  readonly #maxSpare: number;

  /** `maxWaitMs`: a taker waits at most that long for room (see ByteBudget), then gets a buffer anyway. */
  constructor(
    readonly size: number,
    capacity: number,
    maxWaitMs?: number,
  ) {
    this.#budget = new ByteBudget(capacity, maxWaitMs);
    this.#maxSpare = Math.max(1, Math.floor(capacity / size));
  }

  /** Bytes of the buffers out now. */
  get inUse(): number {
    return this.#budget.inUse;
  }

  /** A buffer of `bytes` (a spare when it is of the part size), once the budget has room. */
  take(bytes: number): Buffer | Promise<Buffer> {
    const wait = this.#budget.acquire(bytes);
    return wait ? wait.then(() => this.#buffer(bytes)) : this.#buffer(bytes);
  }

  give(buf: Buffer): void {
    if (buf.length === this.size && this.#spare.length < this.#maxSpare) this.#spare.push(buf);
    this.#budget.release(buf.length);
  }

  #buffer(bytes: number): Buffer {
    // allocUnsafeSlow: a buffer of its own, not a slice of Node's shared pool.
    return (bytes === this.size ? this.#spare.pop() : undefined) ?? Buffer.allocUnsafeSlow(bytes);
  }
}
