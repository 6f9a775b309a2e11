import { CommitOutcomeUnknown, RetryableRecordError } from './record-errors';
import type { InstanceReceipt, InstanceRecord, PartResult, RecordOutcome, RequestPart } from './types';

/** What one instance's run gets from the pipeline. */
export interface InstanceIo {
  /** Call when the run has read its source to the end (the next part can then be read). */
  consumed: () => void;
  /**
   * Records the verified instance; resolves once its rows and receipt have committed. `durable`:
   * the write of its object if still in flight; the rows are written meanwhile but commit only
   * after it succeeded (if it fails, the record rejects with its error and nothing is committed).
   */
  record: (rec: InstanceRecord, durable?: Promise<unknown>) => Promise<RecordOutcome>;
}

/** Writes one part of a request (IngestRepo.writePart). */
export type PartWriter = (part: Omit<RequestPart, 'ctx'>) => Promise<PartResult>;

/**
 * One transaction that takes a request's records as they come (IngestRepo.openStream): each is
 * sent to the database at once, written while the request's next parts are still being parsed;
 * nothing commits before `close`.
 */
export interface PartStream {
  add(rec: InstanceRecord, durable: Promise<unknown> | undefined): void;
  /**
   * Writes `receipts` (and, if `audit`, the audit event), waits for every added record's object to
   * be durable and commits; outcomes in the order of `add`. Rejects if anything failed, after
   * rolling back: then nothing of the stream was committed.
   */
  close(receipts: InstanceReceipt[], audit: boolean): Promise<PartResult>;
}

interface Pending {
  rec: InstanceRecord;
  durable: Promise<unknown> | undefined;
  attempt: number;
  resolve: (o: RecordOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * The unit of work of one upload request (STOW-RS call, tus upload, bundle): its instances run
 * concurrently, and their database writes are batched into as few transactions as possible.
 *
 * Concurrency: the slow tail of one instance (fsync of the stored object, database commit)
 * overlaps the reading of the next. `add` resolves once the instance's bytes have been read (so
 * the caller can move to the next part) and fewer than `depth` instances are still finishing.
 * Memory stays bounded: at most `depth` (16) instances are in flight, each holding at most a small
 * instance's bytes (≤ 1 MB; larger ones stream to the store) until its object is written. The depth
 * lets a request's small instances all be stored at once (their fsyncs share journal commits) and
 * recorded in one batch: measured against 4, +8–20 % tiny instances/s and +6 % CT slices/s at
 * concurrency 4 (docs/benchmarks.md, "Ingest").
 *
 * Batching: an instance whose object is durable asks to be recorded; the records are written when
 * every running instance is waiting for its record (nothing else could join the batch without
 * waiting for storage or the network) or when `maxBatch` are waiting. Each write also carries the
 * receipts of rejected instances, and the last one the request's audit event — so a request of
 * ten small instances commits once instead of once per instance plus twice at its end.
 */
export class IngestPipeline {
  private readonly receipts: Promise<InstanceReceipt>[] = [];
  private readonly pending: Pending[] = [];
  /** Receipts not written by a record (rejections, request-level failures), waiting for the next write. */
  private readonly unsaved: InstanceReceipt[] = [];
  /** Instances started and not yet settled. */
  private active = 0;
  /** `add` calls waiting for an instance to settle (a slot below `depth`). */
  private readonly slotWaiters: (() => void)[] = [];
  private writing = 0;
  private writingRecords = 0;
  /** Writes started (batches and a stream's close): the first one is told so (RequestPart.first). */
  private writesStarted = 0;
  private inputEnded = false;
  private audited = false;
  /** The open record stream, if any, and the records sent to it. */
  private stream: PartStream | undefined;
  private readonly streamed: Pending[] = [];
  /** No stream was offered, or one failed: the records of this request go in batches. */
  private streamOff = false;

  constructor(
    private readonly write: PartWriter,
    private readonly opts: {
      depth?: number;
      maxBatch?: number;
      /**
       * A stream for this request's records, when the database has nothing else to write (a lone
       * upload): its records are then written while its next parts are parsed, instead of after.
       */
      openStream?: () => PartStream | undefined;
    } = {},
  ) {}

  /** Starts one instance; `run` returns its receipt (a thrown error is an infrastructure failure). */
  async add(run: (io: InstanceIo) => Promise<InstanceReceipt>): Promise<void> {
    let markConsumed!: () => void;
    const consumed = new Promise<void>((resolve) => {
      markConsumed = resolve;
    });
    this.active++;
    const receipt = run({ consumed: markConsumed, record: (rec, durable) => this.record(rec, durable) });
    this.receipts.push(receipt);
    void receipt
      .then(
        (r) => this.settle(r),
        () => this.settle(undefined),
      )
      .then(markConsumed);
    await consumed;
    while (this.active >= this.depth) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  /**
   * Ends the input (`extra`: receipts of the request itself, e.g. a malformed tail), waits for
   * every instance, writes what is left (receipts, the audit event) and returns the receipts in
   * the order of `add` calls, then `extra`. Rethrows the first infrastructure failure after all
   * instances have settled.
   */
  async finish(extra: InstanceReceipt[] = []): Promise<InstanceReceipt[]> {
    this.inputEnded = true;
    this.unsaved.push(...extra);
    this.maybeWrite();
    const settled = await Promise.allSettled(this.receipts);
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
    // Every instance has settled, so nothing else will be written for this request. A request
    // with no instances at all is refused by the caller and leaves no trace.
    if (!this.audited && settled.length + extra.length > 0) await this.writeNow([], true);
    return [...settled.map((s) => (s as PromiseFulfilledResult<InstanceReceipt>).value), ...extra];
  }

  /** After a failure of the request itself: waits for the instances (their records still commit). */
  async abandon(): Promise<void> {
    this.inputEnded = true;
    this.maybeWrite();
    await Promise.allSettled(this.receipts);
  }

  /** Instances in flight at most (see the class comment). */
  private get depth(): number {
    return this.opts.depth ?? 16;
  }

  private record(rec: InstanceRecord, durable: Promise<unknown> | undefined, attempt = 1): Promise<RecordOutcome> {
    return new Promise<RecordOutcome>((resolve, reject) => {
      this.pending.push({ rec, durable, attempt, resolve, reject });
      this.maybeWrite();
    });
  }

  private settle(receipt: InstanceReceipt | undefined): void {
    this.active--;
    // Stored, duplicate and conflict receipts were written with their records.
    if (receipt?.status === 'REJECTED') this.unsaved.push(receipt);
    for (const wake of this.slotWaiters.splice(0)) wake();
    this.maybeWrite();
  }

  /** Writes the waiting records when no running instance could still join them. */
  private maybeWrite(): void {
    if (this.streamRecords()) return;
    const waiting = this.pending.length + this.writingRecords;
    const max = this.opts.maxBatch ?? 32;
    if (this.pending.length === 0) return;
    // An instance whose object is still being written asks for its record right after parsing,
    // while the next parts are still to be read: those records wait for the end of the input (or a
    // full batch, or a full pipeline, whose reader waits for a slot) to be written together, while
    // their objects' fsyncs run.
    const full = this.active >= this.depth;
    const reading = !this.inputEnded && !full && this.pending.some((p) => p.durable);
    if (this.pending.length < max && (waiting < this.active || reading)) return;
    const batch = this.pending.splice(0, max);
    // The last write of the request carries its audit event: input ended, every instance still
    // running is in this batch, and no earlier write is outstanding (its failures would change
    // the counts).
    const last = this.inputEnded && this.writing === 0 && batch.length === this.active;
    void this.writeRecords(batch, last);
  }

  /**
   * Sends the waiting records to the open stream (opening one if offered) and closes it once no
   * running instance could still join it: the input has ended, or the pipeline is full. Returns
   * false when this request's records go in batches instead.
   */
  private streamRecords(): boolean {
    if (!this.stream) {
      if (this.streamOff || this.pending.length === 0 || this.writing > 0) return false;
      this.stream = this.opts.openStream?.();
      if (!this.stream) {
        this.streamOff = true;
        return false;
      }
    }
    for (const p of this.pending.splice(0)) {
      this.stream.add(p.rec, p.durable);
      this.streamed.push(p);
    }
    if (this.streamed.length === this.active && (this.inputEnded || this.active >= this.depth)) {
      void this.closeStream(this.inputEnded && this.writing === 0);
    }
    return true;
  }

  private async closeStream(audit: boolean): Promise<void> {
    this.writesStarted++;
    const stream = this.stream!;
    this.stream = undefined;
    const batch = this.streamed.splice(0);
    const receipts = this.unsaved.splice(0);
    this.writing++;
    this.writingRecords += batch.length;
    let result: PartResult | undefined;
    let unknown: CommitOutcomeUnknown | undefined;
    try {
      result = await stream.close(receipts, audit);
      if (result.audited) this.audited = true;
    } catch (err) {
      this.streamOff = true;
      if (err instanceof CommitOutcomeUnknown) {
        // Perhaps committed: written again, a record would read as a duplicate of itself.
        unknown = err;
      } else {
        // Nothing of the stream was committed: its records and receipts go the usual way, which
        // also tells a failed object write (that record alone fails) from a database failure.
        this.unsaved.unshift(...receipts);
        this.pending.unshift(...batch);
      }
    } finally {
      this.writing--;
      this.writingRecords -= batch.length;
    }
    if (result) for (const [i, p] of batch.entries()) this.settleRecord(p, result.outcomes[i]!);
    if (unknown) for (const p of batch) p.reject(unknown);
    this.maybeWrite();
  }

  private async writeRecords(batch: Pending[], audit: boolean): Promise<void> {
    this.writingRecords += batch.length;
    let result: PartResult;
    try {
      result = await this.writeNow(batch, audit);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    } finally {
      this.writingRecords -= batch.length;
    }
    for (const [i, p] of batch.entries()) this.settleRecord(p, result.outcomes[i]!);
    this.maybeWrite();
  }

  /** Resolves a record's promise; a transient failure is written again (at most 4 attempts). */
  private settleRecord(p: Pending, outcome: RecordOutcome | Error): void {
    if (!(outcome instanceof Error)) p.resolve(outcome);
    else if (outcome instanceof RetryableRecordError && p.attempt < 4) this.record(p.rec, p.durable, p.attempt + 1).then(p.resolve, p.reject);
    else p.reject(outcome);
  }

  private async writeNow(batch: Pending[], audit: boolean): Promise<PartResult> {
    this.writing++;
    const receipts = this.unsaved.splice(0);
    const records = batch.map((p) => p.rec);
    const durable = batch.some((p) => p.durable) ? batch.map((p) => p.durable) : undefined;
    const first = this.writesStarted++ === 0;
    try {
      const result = await this.write({ records, durable, receipts, audit, first });
      if (result.audited) this.audited = true;
      return result;
    } catch (err) {
      this.unsaved.unshift(...receipts); // written by a later attempt, if any
      throw err;
    } finally {
      this.writing--;
    }
  }
}
