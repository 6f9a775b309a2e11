/**
 * Group commit: callers submit one item each and get their own result, but items that arrive
 * while a batch is being written are written together in the next batch — one database round
 * trip and one transaction commit for all of them. Under load (parallel uploads, the pipelined
 * parts of one upload) batches grow by themselves; an item alone is written at once, so a single
 * slow uploader gains nothing but loses no latency either.
 *
 * At most `lanes` batches are in flight: one lane keeps every batch of this process serialised,
 * so its transactions never wait on each other's row locks; more lanes let a batch start while
 * another is still committing.
 */
export class GroupCommit<I, R> {
  private readonly queue: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  constructor(
    /** Writes a batch; returns one result per item, in order (an Error result rejects that item). */
    private readonly write: (items: I[]) => Promise<(R | Error)[]>,
    private readonly opts: { maxBatch: number; lanes: number; weight?: (item: I) => number } = { maxBatch: 64, lanes: 1 },
  ) {}

  /** Nothing queued and no batch in flight. */
  get idle(): boolean {
    return this.queue.length === 0 && this.running === 0;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running < this.opts.lanes) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running++;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.#batchLength());
        try {
          const results = await this.write(batch.map((b) => b.item));
          if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
          batch.forEach((b, i) => {
            const r = results[i]!;
            if (r instanceof Error) b.reject(r);
            else b.resolve(r);
          });
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running--;
    }
  }

  /** Queued items that fit in one batch: up to maxBatch in total weight (default 1 each), at least one. */
  #batchLength(): number {
    const weight = this.opts.weight ?? (() => 1);
    let total = 0;
    let n = 0;
    while (n < this.queue.length) {
      total += weight(this.queue[n]!.item);
      if (n > 0 && total > this.opts.maxBatch) break;
      n++;
    }
    return n;
  }
}
