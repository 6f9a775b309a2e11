import { type Db, type PatientNameStyle, type Prisma, recordAudit, resolvePatientNameStyle } from '@vetpacs/db';
import { type IngestContext, type InstanceReceipt, type InstanceRecord, IngestRejection, type RecordOutcome } from './types';

/**
 * All database I/O of ingest. Upserts are keyed on the DICOM UIDs within the practice and written
 * with INSERT … ON CONFLICT so that concurrent uploads of one study (parallel bundles, modality
 * retries) never duplicate a row or fail on a unique constraint.
 */
export class IngestRepo {
  constructor(private readonly db: Db) {}

  /**
   * Upserts patient → study → series → instance in one transaction. The instance row is only ever
   * inserted, never overwritten: the same UID with other bytes becomes a new InstanceVersion.
   */
  async recordInstance(ctx: IngestContext, rec: InstanceRecord): Promise<RecordOutcome> {
    // One round trip: the upserts live in a database function (migration *_ingest_record_function).
    const i = rec.instance;
    const study = { ...rec.study, studyDateValue: rec.study.studyDateValue ? rec.study.studyDateValue.toISOString().slice(0, 10) : null };
    try {
      const [row] = await this.db.$queryRawUnsafe<
        { kind: RecordOutcome['kind']; instance_id: string; series_id: string; study_id: string; version: number; original_sha256: string | null }[]
      >(
        'SELECT * FROM manual_record_instance($1::uuid, $2::uuid, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7)',
        ctx.practiceId,
        ctx.siteId,
        JSON.stringify(rec.patient),
        JSON.stringify(study),
        JSON.stringify(rec.series),
        JSON.stringify({ ...i, frameOffsets: i.frameOffsets ?? null }),
        `${ctx.actor.type.toLowerCase()}:${ctx.actor.id}`,
      );
      if (!row) throw new Error('manual_record_instance returned no row');
      const base = { instanceId: row.instance_id, seriesId: row.series_id, studyId: row.study_id };
      if (row.kind === 'created') return { kind: 'created', ...base, version: 1 };
      if (row.kind === 'duplicate') return { kind: 'duplicate', ...base, version: row.version };
      return { kind: 'conflict', ...base, version: row.version, originalSha256: row.original_sha256 ?? '' };
    } catch (err) {
      if (String((err as Error).message).includes('SERIES_IN_OTHER_STUDY')) {
        throw new IngestRejection('SERIES_IN_OTHER_STUDY', `SeriesInstanceUID ${rec.series.seriesInstanceUid} already belongs to another study`);
      }
      throw err;
    }
  }

  /** Stores receipts (one row each) so an uploader can query them after the response is lost. */
  async saveReceipts(ctx: IngestContext, receipts: InstanceReceipt[]): Promise<void> {
    if (!receipts.length) return;
    const actor = {
      gatewayId: ctx.actor.type === 'GATEWAY' ? ctx.actor.id : null,
      userId: ctx.actor.type === 'USER' ? ctx.actor.id : null,
      apiTokenId: ctx.actor.type === 'API_TOKEN' ? ctx.actor.id : null,
    };
    await this.db.receipt.createMany({
      data: receipts.map((r) => ({
        practiceId: ctx.practiceId,
        uploadId: ctx.uploadId,
        sopInstanceUid: r.sopInstanceUid ?? null,
        studyInstanceUid: r.studyInstanceUid ?? null,
        seriesInstanceUid: r.seriesInstanceUid ?? null,
        status: r.status,
        reason: r.reason ?? null,
        sha256: r.sha256 ?? null,
        byteSize: r.size === undefined ? null : BigInt(r.size),
        ...actor,
      })),
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
