/**
 * Group commit: callers submit one item each and get their own result, but items that arrive
 * while a batch is being written are written together in the next batch — one database round
 * trip and one transaction commit for all of them. Under load (parallel uploads, the pipelined
 * parts of one upload) batches grow by themselves; an item alone is written at once, so a single
 * slow uploader gains nothing but loses no latency either.
 *
 * At most `lanes` batches are in flight: one lane keeps every batch of this process serialised,
 * so its transactions never wait on each other's row locks; more lanes let a batch start while
 * another is still committing. With `overlapAfterRelease`, a batch starts only once every running
 * batch has called `release` — its writer's signal that what is left of it (its COMMIT, already
 * sent) cannot delay the next one.
 */
export class GroupCommit<I, R> {
  private readonly queue: { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;
  /** A batch has not released yet (overlapAfterRelease): no other may start. */
  private holding = false;

  constructor(
    /**
     * Writes a batch; returns one result per item, in order (an Error result rejects that item).
     * `release`: with `overlapAfterRelease`, the next batch may start now (see the class comment).
     */
    private readonly write: (items: I[], release: () => void) => Promise<(R | Error)[]>,
    private readonly opts: { maxBatch: number; lanes: number; overlapAfterRelease?: boolean; weight?: (item: I) => number } = {
      maxBatch: 64,
      lanes: 1,
    },
  ) {}

  /** Nothing queued and no batch in flight. */
  get idle(): boolean {
    return this.queue.length === 0 && this.running === 0;
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.#pump();
    });
  }

  /** Starts batches while a lane is free (and, with overlapAfterRelease, every running batch has released). */
  #pump(): void {
    while (this.queue.length && this.running < this.opts.lanes && !this.holding) {
      void this.#run(this.queue.splice(0, this.#batchLength()));
    }
  }

  async #run(batch: GroupCommit<I, R>['queue']): Promise<void> {
    this.running++;
    this.holding = this.opts.overlapAfterRelease === true;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.holding = false;
      this.#pump();
    };
    try {
      const results = await this.write(
        batch.map((b) => b.item),
        release,
      );
      if (results.length !== batch.length) throw new Error(`group commit: ${results.length} results for ${batch.length} items`);
      batch.forEach((b, i) => {
        const r = results[i]!;
        if (r instanceof Error) b.reject(r);
        else b.resolve(r);
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.running--;
      if (released) this.#pump();
      else release();
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
