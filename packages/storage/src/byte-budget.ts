/**
 * A budget of bytes shared by concurrent users (the S3 store's part buffers): `acquire` waits until
 * the bytes fit, first come first served; `release` gives them back. A request larger than the
 * whole budget is granted alone (it waits for everything else to be released), so it never waits
 * forever. With `maxWaitMs`, a request is granted anyway once it has waited that long: the budget
 * bounds memory while bytes keep moving, but users that hold bytes and stall (an uploader that
 * stops sending in the middle of an object) must not stop everyone else.
 */
export class ByteBudget {
  #inUse = 0;
  readonly #waiting: { bytes: number; grant: () => void }[] = [];

  constructor(
    readonly capacity: number,
    private readonly maxWaitMs?: number,
  ) {
    if (!(capacity > 0)) throw new RangeError(`byte budget must be positive, got ${capacity}`);
  }

  /** Bytes granted and not yet released (more than the capacity after a wait ran out). */
  get inUse(): number {
    return this.#inUse;
  }

  /** Resolves once `bytes` are granted; undefined when they are at once (no promise, no turn of the microtask queue). */
  acquire(bytes: number): Promise<void> | undefined {
    if (this.#waiting.length === 0 && this.#fits(bytes)) {
      this.#inUse += bytes;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiting.push(waiter);
      if (this.maxWaitMs === undefined) return;
      timer = setTimeout(() => {
        const at = this.#waiting.indexOf(waiter);
        if (at < 0) return; // granted meanwhile
        this.#waiting.splice(at, 1);
        this.#inUse += bytes;
        resolve();
      }, this.maxWaitMs);
      // A waiting put keeps its request (and so the process) alive already; the timer need not.
      timer.unref();
    });
  }

  release(bytes: number): void {
    this.#inUse -= bytes;
    if (this.#inUse < 0) throw new Error(`byte budget released ${-this.#inUse} bytes more than it granted`);
    while (this.#waiting.length && this.#fits(this.#waiting[0]!.bytes)) {
      const next = this.#waiting.shift()!;
      this.#inUse += next.bytes;
      next.grant();
    }
  }

  #fits(bytes: number): boolean {
    return this.#inUse + bytes <= this.capacity || this.#inUse === 0;
  }
}
