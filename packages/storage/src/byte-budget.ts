/**
 * A budget of bytes shared by concurrent users (the S3 store's puts): `acquire` waits until the
 * bytes fit, first come first served; `release` gives them back. A request larger than the whole
 * budget is granted alone (it waits for everything else to be released), so it never waits forever.
 */
export class ByteBudget {
  #inUse = 0;
  readonly #waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`byte budget must be positive, got ${capacity}`);
  }

  /** Bytes granted and not yet released. */
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
      this.#waiting.push({ bytes, grant: resolve });
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
