import { type Db, type PatientNameStyle, type Prisma, recordAudit, resolvePatientNameStyle } from '@vetpacs/db';
import { GroupCommit } from './group-commit';
import { type IngestContext, type InstanceReceipt, type InstanceRecord, IngestRejection, type RecordOutcome } from './types';

/** One instance for manual_record_instances: the rows to upsert plus who sent it. */
interface RecordItem {
  practice: string;
  site: string | null;
  actor: string;
  patient: InstanceRecord['patient'];
  study: Omit<InstanceRecord['study'], 'studyDateValue'> & { studyDateValue: string | null };
  series: InstanceRecord['series'];
  instance: InstanceRecord['instance'];
}

interface RecordRow {
  idx: number;
  kind: RecordOutcome['kind'] | 'error';
  instance_id: string | null;
  series_id: string | null;
  study_id: string | null;
  version: number | null;
  original_sha256: string | null;
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

/**
 * All database I/O of ingest. Upserts are keyed on the DICOM UIDs within the practice and written
 * with INSERT … ON CONFLICT so that concurrent uploads of one study (parallel bundles, modality
 * retries) never duplicate a row or fail on a unique constraint.
 */
export class IngestRepo {
  private readonly records: GroupCommit<RecordItem, RecordOutcome>;

  constructor(private readonly db: Db) {
    // At most 32 per batch: each item is a subtransaction that writes, and Postgres caches only 64
    // subtransaction ids per backend before every other session's snapshots get slower.
    this.records = new GroupCommit((items) => this.writeRecords(items), { maxBatch: 32, lanes: 1 });
  }

  /**
   * Upserts patient → study → series → instance. The instance row is only ever inserted, never
   * overwritten: the same UID with other bytes becomes a new InstanceVersion. Concurrent calls are
   * group-committed: one transaction for all instances in flight (see {@link GroupCommit}); the
   * promise resolves only after that transaction has committed.
   */
  async recordInstance(ctx: IngestContext, rec: InstanceRecord): Promise<RecordOutcome> {
    const i = rec.instance;
    const item: RecordItem = {
      practice: ctx.practiceId,
      site: ctx.siteId,
      actor: `${ctx.actor.type.toLowerCase()}:${ctx.actor.id}`,
      patient: rec.patient,
      study: { ...rec.study, studyDateValue: rec.study.studyDateValue ? rec.study.studyDateValue.toISOString().slice(0, 10) : null },
      series: rec.series,
      instance: { ...i, frameOffsets: i.frameOffsets ?? null },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.records.submit(item);
      } catch (err) {
        const message = String((err as Error).message);
        if (message.includes('SERIES_IN_OTHER_STUDY')) {
          throw new IngestRejection('SERIES_IN_OTHER_STUDY', `SeriesInstanceUID ${rec.series.seriesInstanceUid} already belongs to another study`);
        }
        // Another server process wrote the same rows in the opposite order: Postgres aborted this
        // item only (its sub-block); writing it again is safe (every statement is an upsert).
        if (attempt < 4 && /deadlock detected|could not serialize/.test(message)) continue;
        throw err;
      }
    }
  }

  /** One round trip for a batch: manual_record_instances (migration *_ingest_record_batch). */
  private async writeRecords(items: RecordItem[]): Promise<(RecordOutcome | Error)[]> {
    // A stable lock order (patient, study, series) across batches of different processes keeps
    // them from deadlocking each other; results are mapped back to the callers' order.
    const order = items.map((_, i) => i).sort((a, b) => compareLockOrder(items[a]!, items[b]!));
    const { rows } = await this.db.pool.query<RecordRow>({
      name: 'ingest_record_instances',
      text: 'SELECT * FROM manual_record_instances($1::jsonb)',
      values: [JSON.stringify(order.map((i) => items[i]))],
    });
    const out: (RecordOutcome | Error)[] = new Array(items.length);
    for (const row of rows) {
      const target = order[row.idx]!;
      if (row.kind === 'error') {
        out[target] = new Error(row.error ?? 'recording the instance failed');
        continue;
      }
      const base = { instanceId: row.instance_id!, seriesId: row.series_id!, studyId: row.study_id! };
      if (row.kind === 'created') out[target] = { kind: 'created', ...base, version: 1 };
      else if (row.kind === 'duplicate') out[target] = { kind: 'duplicate', ...base, version: row.version! };
      else out[target] = { kind: 'conflict', ...base, version: row.version!, originalSha256: row.original_sha256 ?? '' };
    }
    return out;
  }

  /**
   * Stores the receipts of a request (one row each, so an uploader can query them after the
   * response is lost) in one statement, and its audit event through the shared audit repository,
   * in parallel.
   */
  async finishRequest(ctx: IngestContext, receipts: InstanceReceipt[], details: Record<string, unknown>): Promise<void> {
    await Promise.all([this.saveReceipts(ctx, receipts), this.audit(ctx, 'ingest.upload', 'upload', ctx.uploadId, details)]);
  }

  private async saveReceipts(ctx: IngestContext, receipts: InstanceReceipt[]): Promise<void> {
    if (!receipts.length) return;
    const actorColumn = (type: IngestContext['actor']['type']) => (ctx.actor.type === type ? ctx.actor.id : null);
    // Raw SQL on the hot path: one statement for any number of receipts, no Prisma compile step.
    await this.db.pool.query({
      name: 'ingest_save_receipts',
      text: `INSERT INTO receipt (id, practice_id, upload_id, sop_instance_uid, study_instance_uid, series_instance_uid,
                                 status, reason, sha256, byte_size, gateway_id, user_id, api_token_id)
             SELECT gen_random_uuid(), $1::uuid, $2, x.sop, x.study, x.series, x.status::receipt_status, x.reason, x.sha256,
                    x.size, $3::uuid, $4::uuid, $5::uuid
               FROM jsonb_to_recordset($6::jsonb) AS x(sop text, study text, series text, status text, reason text, sha256 text, size bigint)`,
      values: [
        ctx.practiceId,
        ctx.uploadId,
        actorColumn('GATEWAY'),
        actorColumn('USER'),
        actorColumn('API_TOKEN'),
        JSON.stringify(
          receipts.map((r) => ({
            sop: r.sopInstanceUid ?? null, study: r.studyInstanceUid ?? null, series: r.seriesInstanceUid ?? null,
            status: r.status, reason: r.reason ?? null, sha256: r.sha256 ?? null, size: r.size ?? null,
          })),
        ),
      ],
    });
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
