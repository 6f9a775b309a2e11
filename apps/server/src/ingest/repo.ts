import { createPipelinePool, type Db, type PatientNameStyle, type PoolClient, type Prisma, recordAudit, resolvePatientNameStyle } from '@vetpacs/db';
import { GroupCommit } from './group-commit';
import type { PartStream } from './pipeline';
import { failuresOf, openRecordStream, transactionId } from './record-stream';
import { CommitOutcomeUnknown, recordError } from './record-errors';
import { studyQidoText } from './study-qido-text';
import type { IngestContext, InstanceRecord, PartResult, RecordOutcome, RequestPart } from './types';
import type { TransactionStatus } from './uncommitted';

/** One instance for manual_ingest_batch: the rows to upsert, who sent it, and its request. */
interface RecordItem {
  req: number;
  practice: string;
  site: string | null;
  actor: string;
  patient: InstanceRecord['patient'];
  /** `qidoJson`: the new study's stored QIDO-RS text (study-qido-text.ts), on the first item of its study. */
  study: Omit<InstanceRecord['study'], 'studyDateValue'> & { studyDateValue: string | null; qidoJson?: string };
  series: InstanceRecord['series'];
  /** Without its metadata, which travels in manual_ingest_batch's own parameter (writeBatch). */
  instance: Omit<InstanceRecord['instance'], 'metadata'>;
}

interface BatchRow {
  req: number;
  idx: number;
  kind: RecordOutcome['kind'] | 'error' | 'audit';
  instance_id: string | null;
  series_id: string | null;
  study_id: string | null;
  version: number | null;
  original_sha256: string | null;
  reason: string | null;
  error: string | null;
}

function compareLockOrder(a: RecordItem, b: RecordItem): number {
  const key = (x: RecordItem) => [x.practice, x.patient.issuer, x.patient.patientId, x.study.studyInstanceUid, x.series.seriesInstanceUid, x.instance.sopInstanceUid];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

function toItem(req: number, ctx: IngestContext, rec: InstanceRecord): RecordItem {
  const { metadata: _, ...i } = rec.instance;
  return {
    req,
    practice: ctx.practiceId,
    site: ctx.siteId,
    actor: `${ctx.actor.type.toLowerCase()}:${ctx.actor.id}`,
    patient: rec.patient,
    study: { ...rec.study, studyDateValue: rec.study.studyDateValue ? rec.study.studyDateValue.toISOString().slice(0, 10) : null },
    series: rec.series,
    instance: { ...i, frameOffsets: i.frameOffsets ?? null },
  };
}

/** The request columns of manual_ingest_batch: receipt owner, rejected receipts, audit actor. */
function toRequest(part: RequestPart) {
  const { ctx } = part;
  const actorColumn = (type: IngestContext['actor']['type']) => (ctx.actor.type === type ? ctx.actor.id : null);
  return {
    practice: ctx.practiceId,
    upload: ctx.uploadId,
    gateway: actorColumn('GATEWAY'),
    user: actorColumn('USER'),
    token: actorColumn('API_TOKEN'),
    receipts: part.receipts.map((r) => ({
      sop: r.sopInstanceUid ?? null, study: r.studyInstanceUid ?? null, series: r.seriesInstanceUid ?? null,
      status: r.status, reason: r.reason ?? null, sha256: r.sha256 ?? null, size: r.size ?? null,
    })),
    audit: part.audit ? { actorType: ctx.actor.type, actorId: ctx.actor.id, sourceIp: ctx.sourceIp ?? null, siteId: ctx.siteId } : null,
    // Every receipt of the upload is in this part: the audit event is counted from the call's own
    // results (migration *_ingest_audit_from_the_call), not by a query over the receipt table.
    whole: part.audit && part.first === true && ctx.newUpload === true,
  };
}

/** The lane's and the record streams' connections (pipeline mode), as pg_stat_activity names them. */
export const INGEST_CONNECTIONS = { max: 3, applicationName: 'vetpacs-ingest' };

/**
 * All database I/O of ingest. Upserts are keyed on the DICOM UIDs within the practice and written
 * with INSERT … ON CONFLICT so that concurrent uploads of one study (parallel bundles, modality
 * retries) never duplicate a row or fail on a unique constraint.
 */
export class IngestRepo {
  private readonly parts: GroupCommit<RequestPart, PartResult>;
  /** Connections in pipeline mode for the lane and for record streams, made on first use. */
  private pipelinePool: Db['pool'] | undefined;
  /** The group-commit lane's connection (laneClient). */
  private lane: Promise<PoolClient> | undefined;
  private streamOpen = false;

  constructor(private readonly db: Db) {
    // At most 32 instances per batch: each is a subtransaction that writes, and Postgres caches
    // only 64 subtransaction ids per backend before every other session's snapshots get slower.
    // One lane: a request's part that arrives while a batch is in Postgres waits and joins the
    // next batch. Two lanes (a second backend writing the next batch at once) were faster when a
    // batch spent longer in Postgres; now a second lane mostly halves the batches (`many` at c4:
    // 400 batches of 1.2 requests instead of 251 of 2) and costs more than it overlaps: Postgres CPU
    // −18–25 % with one lane, `many` c4 766 / 801 / 748 / 641 / 774 / 822 → 803 / 790 / 792 / 802 /
    // 831 / 815 inst/s, c16 and `ct` c4 the same (docs/benchmarks.md, "Ingest", 2026-12-05 06:15).
    // Batches of other processes that share a patient, study or series row wait for each other's
    // lock; the lock order below keeps them from deadlocking, and a deadlock with another process
    // is retried (RetryableRecordError).
    // The lane writes on a connection of its own in pipeline mode (laneClient): a batch's BEGIN
    // goes with its call, and the next batch's queue right behind its COMMIT (overlapAfterRelease),
    // so Postgres does not wait for this thread between them; still one writer at a time.
    this.parts = new GroupCommit((parts, release) => this.writeParts(parts, release), {
      maxBatch: 32,
      lanes: 2,
      overlapAfterRelease: true,
      weight: (p) => p.records.length,
    });
  }

  /**
   * Records a request's instances (patient → study → series → instance, each with its receipt),
   * its rejected receipts and, if `audit`, its audit event, in one transaction. The instance row is
   * only ever inserted, never overwritten: the same UID with other bytes becomes a new
   * InstanceVersion. Parts of concurrent requests are group-committed (see {@link GroupCommit});
   * the promise resolves only after the transaction has committed.
   */
  writePart(part: RequestPart): Promise<PartResult> {
    return this.parts.submit(part);
  }

  /**
   * Writes a batch of parts. When objects of its records are still being written (`durable`), the
   * rows are written meanwhile in an open transaction, which commits once every object is durable.
   * If some fail, the transaction rolls back and the batch is written again without their records
   * (each of those gets its object's error; its request's other records, receipts and audit event
   * are still written, as when a put fails before its record).
   */
  private async writeParts(parts: RequestPart[], release: () => void): Promise<(PartResult | Error)[]> {
    if (!parts.some((p) => p.durable)) return this.writeBatch(this.db.pool, parts);
    const outcomes: PartResult['outcomes'][] = parts.map((p) => new Array(p.records.length));
    // Per part: the records still to write and their positions in the caller's part.
    let current = parts.map((part) => ({ part, positions: part.records.map((_, k) => k) }));
    for (;;) {
      const lane = this.laneClient();
      const client = await lane;
      let committing = false;
      try {
        // Pipelined: BEGIN travels with the batch's call instead of costing a round trip.
        const begun = client.query('BEGIN');
        begun.catch(() => {}); // awaited below
        const xid = transactionId(client);
        const written = await this.writeBatch(client, current.map((c) => c.part));
        await begun;
        const failures = await Promise.all(current.map((c) => failuresOf(c.part.durable)));
        if (failures.every((f) => f.every((e) => e === undefined))) {
          committing = true;
          const committed = client.query('COMMIT');
          // The next batch's BEGIN and call now queue behind this COMMIT on the same connection.
          release();
          await committed.catch(async (err: unknown) => {
            throw new CommitOutcomeUnknown(err, await xid);
          });
          return current.map((c, i) => {
            const result = written[i]!;
            c.positions.forEach((at, k) => {
              outcomes[i]![at] = result.outcomes[k]!;
            });
            return { outcomes: outcomes[i]!, audited: result.audited };
          });
        }
        await client.query('ROLLBACK');
        current = current.map((c, i) => {
          const keep = c.positions.map((_, k) => failures[i]![k] === undefined);
          c.positions.forEach((at, k) => {
            if (!keep[k]) outcomes[i]![at] = failures[i]![k]!;
          });
          const records = c.part.records.filter((_, k) => keep[k]);
          const durable = c.part.durable?.filter((_, k) => keep[k]);
          return { part: { ...c.part, records, durable }, positions: c.positions.filter((_, k) => keep[k]) };
        });
      } catch (err) {
        // A failed COMMIT has ended its transaction; a ROLLBACK now could end the next batch's.
        if (!committing) {
          await client.query('ROLLBACK').catch((e: unknown) => this.dropLane(lane, client, e));
        }
        throw err;
      }
    }
  }

  /** The lane's connection (pipeline mode), kept from batch to batch; a new one after a failure. */
  private laneClient(): Promise<PoolClient> {
    if (!this.lane) {
      this.pipelinePool ??= createPipelinePool(this.db, INGEST_CONNECTIONS);
      const lane: Promise<PoolClient> = this.pipelinePool.connect().then((client) => {
        // Held between batches, so a connection lost while idle is reported here, not to a query.
        client.on('error', (err) => this.dropLane(lane, client, err));
        return client;
      });
      lane.catch(() => {
        if (this.lane === lane) this.lane = undefined;
      });
      this.lane = lane;
    }
    return this.lane;
  }

  /** Gives up the lane's connection (it failed), once: the next batch opens another. */
  private dropLane(lane: Promise<PoolClient>, client: PoolClient, err: unknown): void {
    if (this.lane !== lane) return;
    this.lane = undefined;
    client.release(err instanceof Error ? err : new Error(String(err)));
  }

  /**
   * A transaction that writes one request's records as they come (openRecordStream), or undefined
   * while anything else of this process is being written or streamed: a stream is for a lone
   * upload, whose database write would otherwise start only once all of its parts were parsed (at
   * concurrency 1, ten tiny instances: parsed by ~2 ms, written by ~8 ms). Concurrent uploads keep
   * using group commit: a stream beside their batches is a second writer on the same tables.
   */
  openStream(ctx: IngestContext): PartStream | undefined {
    if (this.streamOpen || !this.parts.idle) return undefined;
    this.streamOpen = true;
    this.pipelinePool ??= createPipelinePool(this.db, INGEST_CONNECTIONS);
    // A connection lost between the stream's queries is reported to its next one, not thrown here.
    const ignore = () => {};
    const connected = this.pipelinePool.connect().then((client) => client.on('error', ignore));
    return openRecordStream(connected, ctx, (client, parts) => this.writeBatch(client, parts), (client, err) => {
      client?.removeListener('error', ignore);
      client?.release(err);
      this.streamOpen = false;
    });
  }

  /** Ends the lane's and the record streams' connections (at shutdown, after the last request). */
  async close(): Promise<void> {
    const lane = this.lane;
    this.lane = undefined; // a later error event finds it gone (dropLane): released once
    (await lane?.catch(() => undefined))?.release();
    await this.pipelinePool?.end();
    this.pipelinePool = undefined;
  }

  /** One round trip for a batch of parts: manual_ingest_batch (migrations *_ingest_batch_receipts_audit and later). */
  private async writeBatch(db: Pick<Db['pool'], 'query'>, parts: RequestPart[]): Promise<PartResult[]> {
    const items = parts.flatMap((part, req) => part.records.map((rec) => toItem(req, part.ctx, rec)));
    const metadata = parts.flatMap((part) => part.records.map((rec) => rec.instance.metadata));
    const position = parts.flatMap((part) => part.records.map((_, i) => i));
    // A stable lock order (patient, study, series) across batches of different processes keeps
    // them from deadlocking each other; results are mapped back to the callers' order.
    const order = items.map((_, i) => i).sort((a, b) => compareLockOrder(items[a]!, items[b]!));
    // The study's stored QIDO-RS text, should this call create it: once per study (its first item;
    // a study created by another item gets it from its insert trigger).
    order.forEach((i, k) => {
      const item = items[i]!;
      const prev = k > 0 ? items[order[k - 1]!]! : undefined;
      if (prev?.practice !== item.practice || prev.study.studyInstanceUid !== item.study.studyInstanceUid) item.study.qidoJson = studyQidoText(item);
    });
    const { rows } = await db.query<BatchRow>({
      name: 'ingest_batch',
      // The instances' metadata as one JSON array in the items' order, joined from their texts: stored
      // as its text (`json`), it is only validated, not parsed into a jsonb tree (migration
      // *_ingest_batch_subtransaction_json_metadata).
      text: 'SELECT * FROM manual_ingest_batch($1::jsonb, $2::jsonb, $3::json)',
      values: [JSON.stringify(order.map((i) => items[i])), JSON.stringify(parts.map(toRequest)), `[${order.map((i) => metadata[i]).join(',')}]`],
    });
    const results: PartResult[] = parts.map((p) => ({ outcomes: new Array(p.records.length), audited: false }));
    for (const row of rows) {
      const result = results[row.req]!;
      if (row.kind === 'audit') {
        result.audited = true;
        continue;
      }
      const at = position[order[row.idx]!]!;
      if (row.kind === 'error') {
        result.outcomes[at] = recordError(row.error, items[order[row.idx]!]!.series.seriesInstanceUid);
        continue;
      }
      const base = { instanceId: row.instance_id!, seriesId: row.series_id!, studyId: row.study_id!, reason: row.reason ?? undefined };
      if (row.kind === 'created') result.outcomes[at] = { kind: 'created', ...base, version: 1 };
      else if (row.kind === 'duplicate') result.outcomes[at] = { kind: 'duplicate', ...base, version: row.version! };
      else result.outcomes[at] = { kind: 'conflict', ...base, version: row.version!, originalSha256: row.original_sha256 ?? '' };
    }
    return results;
  }

  /**
   * What became of a transaction (`pg_xact_status`): 'committed', 'aborted', 'in progress', or null
   * when Postgres no longer knows (older than its commit log). Throws while the database is down.
   */
  async transactionStatus(xid: string): Promise<TransactionStatus> {
    const { rows } = await this.db.pool.query<{ status: TransactionStatus }>({
      name: 'ingest_transaction_status',
      text: 'SELECT pg_xact_status($1::xid8) AS status',
      values: [xid],
    });
    return rows[0]?.status ?? null;
  }

  /** Receipts of one upload, scoped to the practice (another practice's upload id finds nothing). */
  async receiptsOf(practiceId: string, uploadId: string) {
    return this.db.receipt.findMany({ where: { practiceId, uploadId }, orderBy: { createdAt: 'asc' } });
  }

  /** Latest receipt per SOP Instance UID (the gateway checks these before deleting its copy). */
  async receiptsForInstances(practiceId: string, sopInstanceUids: string[]) {
    return this.db.instance.findMany({
      where: { practiceId, sopInstanceUid: { in: sopInstanceUids } },
      select: { sopInstanceUid: true, sha256: true, byteSize: true, version: true, hasConflict: true, versions: { select: { version: true, sha256: true } } },
    });
  }

  async audit(ctx: IngestContext, action: string, entityType: string, entityId: string, details: Record<string, unknown>): Promise<void> {
    await recordAudit(this.db, {
      practiceId: ctx.practiceId,
      actor: { type: ctx.actor.type, id: ctx.actor.id, sourceIp: ctx.sourceIp ?? null },
      action,
      entityType,
      entityId,
      details: details as Prisma.InputJsonObject,
    });
  }

  /** Per-device, then per-site PatientName style (which way round owner and pet are written). */
  nameStyleFor(practiceId: string, siteId: string | null, callingAeTitle?: string): Promise<PatientNameStyle> {
    return resolvePatientNameStyle(this.db, practiceId, { siteId, callingAeTitle });
  }
}
