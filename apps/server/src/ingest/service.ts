import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { readBundle, BundleFormatError } from '@vetpacs/bundle';
import { DicomValidationError, HeaderCollector, type ParsedInstance, type PatientNameStyle } from '@vetpacs/dicom';
import { followUpJobs, type JobProducer, type PendingJob } from '@vetpacs/jobs';
import { type ObjectStore, sha256Hex } from '@vetpacs/storage';
import type { FastifyBaseLogger } from 'fastify';
import { originalObjectKey } from './keys';
import { FollowUpBuffer } from './follow-up-buffer';
import { type InstanceIo, IngestPipeline } from './pipeline';
import { toInstanceRecord } from './record';
import { CommitOutcomeUnknown } from './record-errors';
import type { IngestRepo } from './repo';
import { UncommittedObjects } from './uncommitted';
import type { StagedUploadMeta, UploadIngestor } from './tus';
import { type IngestContext, IngestRejection, type InstanceReceipt, type InstanceRecord, type RecordOutcome } from './types';

/**
 * Instances that end within this many bytes after their header are read whole before storing:
 * one parse, one buffer write instead of a chain of streams (tiny studies, CT/MR slices of 512² at
 * 16 bits are ~0.5 MB). At most IngestPipeline's depth of them are held per request.
 */
const SMALL_INSTANCE_BYTES = 1024 * 1024;

export interface IngestLimits {
  maxInstanceBytes: number;
}

/** What the caller expects of one instance (bundle manifest entry or upload metadata). */
export interface Expectation {
  sha256?: string;
  size?: number;
  member?: string;
}

/** A REJECTED receipt for one instance (with the caller's member name). */
type Reject = (code: string, reason: string, extra?: Partial<InstanceReceipt>) => InstanceReceipt;

const idsOf = (p: ParsedInstance) => ({ sopInstanceUid: p.sopInstanceUid, studyInstanceUid: p.studyInstanceUid, seriesInstanceUid: p.seriesInstanceUid });
const hashesOf = (stored: { size: number; sha256: string }) => ({ sha256: stored.sha256, size: stored.size });

/** Why the received bytes are not what the caller declared (bundle manifest, upload metadata), if they are not. */
function declaredMismatch(expect: Expectation, got: { size: number; sha256: string }): { code: string; reason: string } | undefined {
  if (expect.sha256 && expect.sha256 !== got.sha256) {
    return { code: 'HASH_MISMATCH', reason: `SHA-256 of the received bytes (${got.sha256}) differs from the declared ${expect.sha256}` };
  }
  if (expect.size !== undefined && expect.size !== got.size) return { code: 'SIZE_MISMATCH', reason: `received ${got.size} bytes, declared ${expect.size}` };
  return undefined;
}

/**
 * A Reject for one instance. Made outside ingestInstance: a closure made there would hold on to
 * that call's whole scope (its HeaderCollector with the parsed data set and buffered bytes) for as
 * long as the instance is in flight, since the closure travels with it to #record.
 */
function rejecterFor(expect: Expectation): Reject {
  return (code, reason, extra = {}) => ({ status: 'REJECTED', code, reason, member: expect.member, ...extra });
}

/** Requests in a row without overlap before a lone uploader's records are streamed (pipelineFor). */
const QUIET_REQUESTS_BEFORE_STREAMING = 4;

/**
 * The ingest pipeline shared by tus uploads, bundles and STOW-RS. Per instance, streaming:
 * parse the header while the bytes flow to the object store (only the header is buffered), verify,
 * record patient → study → series → instance in one transaction, and answer with a receipt.
 * Invariants: the original bytes are stored unchanged and never overwritten; a rejected or
 * duplicate instance leaves no object and no row behind.
 */
export class IngestService implements UploadIngestor {
  /** Follow-up job adds still running after their request was answered. */
  private readonly background = new Set<Promise<void>>();
  /** Requests between pipelineFor and their finishRequest / abandonRequest. */
  private readonly running = new Set<IngestPipeline>();
  /** Requests finished since one last started while another was running. */
  private quietRequests = 0;
  /** New instances of finished requests, their derived work not yet queued. */
  private readonly followUps: FollowUpBuffer;
  /** Objects of records whose commit was not confirmed (see UncommittedObjects). */
  private readonly uncommitted: UncommittedObjects;

  /** `options.followUpDelayMs`: how long finished requests' follow-up jobs wait to be queued together (FollowUpBuffer). */
  constructor(
    private readonly deps: { repo: IngestRepo; store: ObjectStore; jobs: JobProducer; log: FastifyBaseLogger },
    private readonly limits: IngestLimits,
    options: { followUpDelayMs?: number } = {},
  ) {
    this.uncommitted = new UncommittedObjects({
      status: (xid) => this.deps.repo.transactionStatus(xid),
      remove: (key) => this.deps.store.delete(key),
      log: this.deps.log,
    });
    this.followUps = new FollowUpBuffer(
      (jobs) => this.addJobs(jobs, 'follow-ups of finished requests'),
      (task) => this.inBackground(task),
      options.followUpDelayMs,
    );
  }

  /** Ingests a completed tus upload from the staging directory: one instance or a bundle. */
  async ingestStagedUpload(file: string, meta: StagedUploadMeta, ctx: IngestContext): Promise<InstanceReceipt[]> {
    const style = await this.nameStyleFor(ctx);
    const pipeline = this.pipelineFor(ctx);
    const extra: InstanceReceipt[] = [];
    if (meta.type === 'bundle') {
      try {
        const { missing } = await readBundle(createReadStream(file, { highWaterMark: 1024 * 1024 }), async (ev) => {
          if (ev.kind === 'unexpected') {
            ev.body.resume();
            const receipt: InstanceReceipt = { status: 'REJECTED', code: 'BUNDLE_MEMBER', reason: ev.reason, member: ev.name };
            await pipeline.add(async () => receipt);
            return;
          }
          await pipeline.add((io) => this.ingestInstance(ev.body, ctx, style, { ...ev.entry, member: ev.entry.name }, io));
        });
        for (const m of missing) {
          extra.push({ status: 'REJECTED', code: 'BUNDLE_MEMBER_MISSING', reason: `${m.name} is listed in the manifest but not in the bundle`, member: m.name });
        }
      } catch (err) {
        if (!(err instanceof BundleFormatError)) {
          await this.abandonRequest(ctx, pipeline);
          throw err;
        }
        extra.push({ status: 'REJECTED', code: 'BUNDLE_FORMAT', reason: err.message });
      }
    } else {
      await pipeline.add((io) => this.ingestInstance(createReadStream(file, { highWaterMark: 1024 * 1024 }), ctx, style, { sha256: meta.sha256 }, io));
    }
    return this.finishRequest(ctx, pipeline, extra);
  }

  /**
   * The unit of work of one request (tus upload or STOW call): its instances' records, receipts
   * and audit event are written in as few transactions as possible (see IngestPipeline).
   */
  pipelineFor(ctx: IngestContext): IngestPipeline {
    const pipeline: IngestPipeline = new IngestPipeline((part) => this.deps.repo.writePart({ ctx, ...part }), {
      // A lone uploader's records are streamed into one transaction as they are parsed
      // (IngestRepo.openStream). Not while uploads overlap, nor for a while after: a stream next to
      // group-committed batches is a second writer on the same tables (more CPU for both), and
      // requests that overlap come and go together, so one of them is often briefly alone.
      openStream: () =>
        this.running.size === 1 && this.quietRequests >= QUIET_REQUESTS_BEFORE_STREAMING
          ? this.deps.repo.openStream(ctx)
          : undefined,
    });
    this.running.add(pipeline);
    if (this.running.size > 1) this.quietRequests = 0;
    return pipeline;
  }

  /**
   * Ends a request: waits for its instances, writes the remaining receipts (`extra`: the request's
   * own, e.g. a malformed tail) and the audit event, hands the follow-up jobs it collected to the
   * buffer that queues them, and returns every receipt.
   */
  async finishRequest(ctx: IngestContext, pipeline: IngestPipeline, extra: InstanceReceipt[] = []): Promise<InstanceReceipt[]> {
    try {
      return await pipeline.finish(extra);
    } finally {
      if (this.running.delete(pipeline)) this.quietRequests++;
      // Queued after the answer, not before: the receipts do not depend on derived work, and a
      // request of ten small instances otherwise waits ~3 ms for Redis (docs/benchmarks.md,
      // "Ingest"); and together with other requests' (FollowUpBuffer). Nothing is lost if the
      // process dies first: reconcile re-creates missing derived work from the database.
      // close() queues what is still waiting.
      this.bufferFollowUps(ctx);
    }
  }

  /**
   * After a failure of the request itself (not of one instance): waits for the instances already
   * started (their records still commit) and hands their follow-up jobs to the buffer, so what was
   * stored still gets its thumbnails. The caller then fails the request.
   */
  async abandonRequest(ctx: IngestContext, pipeline: IngestPipeline): Promise<void> {
    try {
      await pipeline.abandon();
    } finally {
      this.running.delete(pipeline);
    }
    this.bufferFollowUps(ctx);
  }

  /**
   * Queues the follow-up jobs still waiting and waits for every add to finish, and makes a last
   * check of the objects of unconfirmed commits (shutdown; the database and the store still open).
   */
  async close(): Promise<void> {
    this.inBackground(this.followUps.flush());
    while (this.background.size) await Promise.all(this.background);
    await this.uncommitted.close();
  }

  private inBackground(task: Promise<void>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /** Resolves the PatientName style for a request (per device AE title, else per site). */
  nameStyleFor(ctx: IngestContext): Promise<PatientNameStyle> {
    return this.deps.repo.nameStyleFor(ctx.practiceId, ctx.siteId, ctx.callingAeTitle);
  }

  /**
   * Ingests one Part-10 instance from a stream, or from its bytes already in memory (a small STOW
   * part), and returns its receipt. Never throws for bad input (that is a REJECTED receipt); throws
   * only for infrastructure failures (database, storage down), after removing anything it stored.
   */
  async ingestInstance(
    source: Readable | Buffer,
    ctx: IngestContext,
    style: PatientNameStyle,
    expect: Expectation,
    io: InstanceIo,
  ): Promise<InstanceReceipt> {
    const collector = new HeaderCollector({ nameStyle: style });
    // Bytes already in memory are read as a source of one chunk: no stream is made for them.
    const it: Iterator<Buffer> | AsyncIterator<Buffer> = Buffer.isBuffer(source) ? [source].values() : source[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    const drain = async () => {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        // discard the rest of a rejected instance so the next one (bundle, multipart) can be read
      }
      io.consumed();
    };
    const reject = rejecterFor(expect);
    const tooLarge = () => reject('TOO_LARGE', `instance exceeds the ${this.limits.maxInstanceBytes}-byte limit`);

    // 1. Buffer until the header (everything before Pixel Data) is parsed — that names the key —
    //    and a little beyond it: an instance that ends within SMALL_INSTANCE_BYTES (most CT/MR
    //    slices, SRs, tiny studies) is then complete in memory, parsed once and stored from one
    //    buffer; a larger one streams from there on. Memory per instance stays bounded either way.
    let header: ParsedInstance | undefined;
    let ended = false;
    let headBytes = 0;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) {
          ended = true;
          break;
        }
        head.push(r.value);
        headBytes += r.value.length;
        collector.push(r.value);
        if (collector.bytesReceived > this.limits.maxInstanceBytes) {
          await drain();
          return tooLarge();
        }
        if (collector.headerComplete && headBytes > SMALL_INSTANCE_BYTES) break;
      }
      if (ended) io.consumed();
      header = ended ? collector.finish() : collector.finishPartial();
    } catch (err) {
      if (err instanceof DicomValidationError) {
        await drain();
        return reject(err.code, err.message);
      }
      throw err;
    }
    const ids = idsOf(header);
    if (ctx.requiredStudyInstanceUid && header.studyInstanceUid !== ctx.requiredStudyInstanceUid) {
      await drain();
      return reject('WRONG_STUDY', `StudyInstanceUID ${header.studyInstanceUid} does not match the target study ${ctx.requiredStudyInstanceUid}`, ids);
    }

    const key = originalObjectKey(ctx.practiceId, header.sopInstanceUid);
    if (ended) return this.#ingestWhole(key, head, header, ctx, expect, io, reject);

    // 2. Store the header and stream the rest (the collector keeps walking fragment items as the
    //    bytes pass).
    const limit = this.limits.maxInstanceBytes;
    const body = Readable.from(
      (async function* () {
        yield* head;
        head.length = 0;
        for (let r = await it.next(); !r.done; r = await it.next()) {
          collector.push(r.value);
          if (collector.bytesReceived > limit) throw new IngestRejection('TOO_LARGE', `instance exceeds the ${limit}-byte limit`);
          yield r.value;
        }
        io.consumed();
      })(),
      { objectMode: false },
    );
    let stored: { key: string; size: number; sha256: string };
    try {
      // The key embeds a random suffix and nothing refers to it before this resolves: see PutOptions.unique.
      stored = await this.deps.store.put(key, body, { contentType: 'application/dicom', unique: true });
    } catch (err) {
      // The store guarantees a failed put leaves no object.
      if (err instanceof IngestRejection) {
        await drain();
        return reject(err.code, err.reason, ids);
      }
      if (err instanceof DicomValidationError) {
        await drain();
        return reject(err.code, err.message, ids);
      }
      throw err;
    }

    // 3. Verify what arrived, then index. Anything that fails from here removes the object again.
    let parsed: ParsedInstance;
    try {
      parsed = collector.finish();
    } catch (err) {
      await this.deps.store.delete(key);
      if (err instanceof DicomValidationError) return reject(err.code, err.message, ids);
      throw err;
    }
    const mismatch = declaredMismatch(expect, stored);
    if (mismatch) {
      await this.deps.store.delete(key);
      return reject(mismatch.code, mismatch.reason, { ...ids, ...hashesOf(stored) });
    }
    return this.#record(ctx, toInstanceRecord(parsed, stored), stored, expect, io, reject);
  }

  /**
   * An instance complete in memory (most CT/MR slices, tiny studies): hashed and checked first, then
   * its object is written while its rows are: the record commits only once the object is durable
   * (IngestPipeline's `durable`), so a request's database write no longer waits for its fsyncs. It
   * is handed to the store as the chunks it arrived in (one writev, never joined into a copy: for
   * 0.5 MB CT slices the copy was a measurable share of ingest), with the hash taken here.
   */
  async #ingestWhole(
    key: string,
    chunks: Buffer[],
    parsed: ParsedInstance,
    ctx: IngestContext,
    expect: Expectation,
    io: InstanceIo,
    reject: Reject,
  ): Promise<InstanceReceipt> {
    const stored = { key, size: chunks.reduce((n, c) => n + c.length, 0), sha256: sha256Hex(chunks) };
    const mismatch = declaredMismatch(expect, stored);
    if (mismatch) return reject(mismatch.code, mismatch.reason, { ...idsOf(parsed), ...hashesOf(stored) });
    // The key embeds a random suffix and nothing refers to it before the record commits: see PutOptions.unique.
    const writing = this.deps.store.put(key, chunks, { contentType: 'application/dicom', unique: true, knownSha256: stored.sha256 });
    return this.#record(ctx, toInstanceRecord(parsed, stored), stored, expect, io, reject, writing);
  }

  /**
   * Records a verified instance (its rows, `toInstanceRecord`) and returns its receipt: a
   * duplicate's copy is deleted, a conflict audited, a new instance followed up. `writing`: its
   * put, if still in flight (the record commits only once it succeeded). A failed record removes
   * the object again. Callers pass the rows, not the parsed instance, and return this call's
   * promise: nothing then holds the parsed data set (hundreds of objects each, which every
   * young-generation collection would copy while many tiny instances are in flight).
   */
  async #record(
    ctx: IngestContext,
    record: InstanceRecord,
    stored: { key: string; size: number; sha256: string },
    expect: Expectation,
    io: InstanceIo,
    reject: Reject,
    writing?: Promise<unknown>,
  ): Promise<InstanceReceipt> {
    const key = stored.key;
    const ids = { sopInstanceUid: record.instance.sopInstanceUid, studyInstanceUid: record.study.studyInstanceUid, seriesInstanceUid: record.series.seriesInstanceUid };
    const hashes = hashesOf(stored);
    const putFailure = writing?.then(
      () => undefined,
      (err: unknown) => err ?? new Error('put failed'),
    );
    let outcome: RecordOutcome;
    try {
      outcome = await io.record(record, writing);
    } catch (err) {
      // A failed put left no object (the store's guarantee) and nothing was committed for it.
      const failed = await putFailure;
      if (failed !== undefined) throw failed;
      // A commit that may have happened keeps its object: a row may refer to it (an unindexed one
      // is reported by the integrity scrub). Otherwise nothing refers to it.
      if (err instanceof CommitOutcomeUnknown) {
        // Kept until Postgres can say whether the transaction committed (then removed if not).
        this.uncommitted.watch(err.xid, key);
        throw err;
      }
      await this.deps.store.delete(key).catch(() => {});
      if (err instanceof IngestRejection) return reject(err.code, err.reason, { ...ids, ...hashes });
      throw err;
    }
    const receipt: InstanceReceipt = { ...ids, ...hashes, sopClassUid: record.instance.sopClassUid, member: expect.member, version: outcome.version, status: 'STORED' };
    if (outcome.kind === 'duplicate') {
      await this.deps.store.delete(key);
      return { ...receipt, status: 'DUPLICATE', reason: outcome.reason };
    }
    if (outcome.kind === 'conflict') {
      await this.deps.repo.audit(ctx, 'ingest.conflict', 'instance', outcome.instanceId, {
        sopInstanceUid: ids.sopInstanceUid, version: outcome.version, sha256: stored.sha256, originalSha256: outcome.originalSha256,
      });
      // The new version is an original too: it gets its off-site copy like version 1 does.
      await this.deps.jobs
        .enqueue('instance.replicate', { practiceId: ctx.practiceId, traceId: ctx.traceId, instanceId: outcome.instanceId, version: outcome.version })
        .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'could not enqueue replication of a new version'));
      return {
        ...receipt,
        status: 'CONFLICT',
        reason: outcome.reason,
      };
    }
    await this.enqueueFollowUps(ctx, outcome);
    return receipt;
  }

  /** Derived work for a new instance; job ids derive from ids so a re-send enqueues nothing new. */
  private async enqueueFollowUps(ctx: IngestContext, o: Extract<RecordOutcome, { kind: 'created' }>): Promise<void> {
    const instance = { instanceId: o.instanceId, version: o.version, seriesId: o.seriesId };
    if (ctx.followUps) ctx.followUps.push(instance);
    else await this.addJobs(followUpJobs({ practiceId: ctx.practiceId, traceId: ctx.traceId }, [instance]), o.instanceId);
  }

  /** Hands the instances a request stored to the buffer that queues their derived work. */
  private bufferFollowUps(ctx: IngestContext): void {
    if (ctx.followUps?.length) this.followUps.push(ctx.practiceId, ctx.traceId, ctx.followUps.splice(0));
  }

  private async addJobs(jobs: PendingJob[], about: string): Promise<void> {
    try {
      await this.deps.jobs.enqueueMany(jobs);
    } catch (err) {
      // The instances are safely stored and indexed; the reconcile job re-creates missing derived
      // work from the database, so a Redis outage must not fail the upload.
      this.deps.log.warn({ err: (err as Error).message, about }, 'could not enqueue follow-up jobs');
    }
  }
}
