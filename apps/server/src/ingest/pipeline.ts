import type { InstanceReceipt } from './types';

/**
 * Overlaps the slow tail of one instance (fsync of the stored object, database commit) with the
 * reading of the next one. Multipart parts and bundle members arrive strictly one after another;
 * without this, each instance's durability waits (≈ 2 fsyncs) would serialise the whole request.
 *
 * `add` resolves once the instance's bytes have been read from the request (so the caller can move
 * to the next part) and fewer than `depth` instances are still finishing. Receipts keep the order
 * of `add` calls. Memory stays bounded: at most `depth` instances are in flight, and each holds only
 * its parsed header (the store streams the bytes).
 */
export class IngestPipeline {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly receipts: Promise<InstanceReceipt>[] = [];

  constructor(private readonly depth = 4) {}

  /**
   * Starts one instance. `run` gets a `consumed` callback to call when it has read its source to
   * the end; if it never calls it, the instance counts as consumed when `run` settles.
   */
  async add(run: (consumed: () => void) => Promise<InstanceReceipt>): Promise<void> {
    let markConsumed!: () => void;
    const consumed = new Promise<void>((resolve) => {
      markConsumed = resolve;
    });
    const receipt = run(markConsumed);
    this.receipts.push(receipt);
    const settled = receipt.then(
      () => undefined,
      () => undefined,
    );
    settled.then(markConsumed);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    await consumed;
    while (this.inFlight.size >= this.depth) await Promise.race(this.inFlight);
  }

  /** Waits for every instance; rethrows the first infrastructure failure after all have settled. */
  async results(): Promise<InstanceReceipt[]> {
    const settled = await Promise.allSettled(this.receipts);
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<InstanceReceipt>).value);
  }
}
