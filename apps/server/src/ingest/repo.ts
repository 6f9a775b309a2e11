import type { Db } from '@vetpacs/db';
import { type IngestContext, type InstanceReceipt, type InstanceRecord, IngestRejection, type RecordOutcome } from './types';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

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
    return this.db.$transaction(async (tx) => {
      const patientRefId = await upsertPatient(tx, ctx.practiceId, rec.patient);
      const studyId = await upsertStudy(tx, ctx, patientRefId, rec.study);
      const { seriesId, seriesCreated } = await upsertSeries(tx, ctx.practiceId, studyId, rec.series);
      const i = rec.instance;
      const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
        `INSERT INTO instance (id, practice_id, series_id, sop_instance_uid, sop_class_uid, instance_number, transfer_syntax_uid,
            byte_size, sha256, object_key, number_of_frames, rows, columns, bits_allocated, pixel_data_offset, pixel_data_length,
            frame_offsets, version, has_conflict, metadata, created_at, updated_at)
         VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, 1, false, $17::jsonb, now(), now())
         ON CONFLICT (practice_id, sop_instance_uid) DO NOTHING
         RETURNING id`,
        ctx.practiceId, seriesId, i.sopInstanceUid, i.sopClassUid, i.instanceNumber, i.transferSyntaxUid,
        i.byteSize, i.sha256, i.objectKey, i.numberOfFrames, i.rows, i.columns, i.bitsAllocated, i.pixelDataOffset,
        i.pixelDataLength, JSON.stringify(i.frameOffsets ?? null), JSON.stringify(i.metadata),
      );
      if (inserted[0]) {
        const instanceId = inserted[0].id;
        await insertVersion(tx, ctx, instanceId, 1, rec);
        await tx.$executeRawUnsafe(
          `UPDATE series SET number_of_instances = number_of_instances + 1, updated_at = now() WHERE id = $1::uuid`,
          seriesId,
        );
        await tx.$executeRawUnsafe(
          `UPDATE study SET number_of_instances = number_of_instances + 1,
              number_of_series = number_of_series + $2::int,
              modalities_in_study = CASE WHEN $3::text IS NULL OR $3::text = ANY(modalities_in_study) THEN modalities_in_study
                                         ELSE array_append(modalities_in_study, $3::text) END,
              last_instance_at = now(), updated_at = now()
           WHERE id = $1::uuid`,
          studyId, seriesCreated ? 1 : 0, rec.series.modality,
        );
        return { kind: 'created', instanceId, seriesId, studyId, version: 1 } as const;
      }

      // The UID exists: lock it, then compare bytes with every version we hold.
      const [existing] = await tx.$queryRawUnsafe<{ id: string; series_id: string; sha256: string }[]>(
        `SELECT id, series_id, sha256 FROM instance WHERE practice_id = $1::uuid AND sop_instance_uid = $2 FOR UPDATE`,
        ctx.practiceId, i.sopInstanceUid,
      );
      if (!existing) throw new Error(`instance ${i.sopInstanceUid} vanished during upsert`);
      const versions = await tx.$queryRawUnsafe<{ version: number; sha256: string }[]>(
        `SELECT version, sha256 FROM instance_version WHERE instance_id = $1::uuid ORDER BY version`,
        existing.id,
      );
      const same = versions.find((v) => v.sha256 === i.sha256);
      const base = { instanceId: existing.id, seriesId: existing.series_id, studyId };
      if (same) return { kind: 'duplicate', ...base, version: same.version } as const;
      const version = Math.max(1, ...versions.map((v) => v.version)) + 1;
      await insertVersion(tx, ctx, existing.id, version, rec);
      // The first-received bytes stay the served version; the conflict is flagged for a human.
      await tx.$executeRawUnsafe(`UPDATE instance SET has_conflict = true, updated_at = now() WHERE id = $1::uuid`, existing.id);
      return { kind: 'conflict', ...base, version, originalSha256: existing.sha256 } as const;
    });
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
    await this.db.auditEvent.create({
      data: {
        practiceId: ctx.practiceId,
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        action,
        entityType,
        entityId,
        sourceIp: ctx.sourceIp ?? null,
        details: details as object,
      },
    });
  }

  /** Per-device, then per-site PatientName style (which way round owner and pet are written). */
  async nameStyleFor(practiceId: string, siteId: string | null, callingAeTitle?: string): Promise<string> {
    if (callingAeTitle) {
      const device = await this.db.deviceNameStyle.findFirst({ where: { practiceId, callingAeTitle } });
      if (device) return device.style;
    }
    if (siteId) {
      const site = await this.db.site.findFirst({ where: { id: siteId, practiceId }, select: { patientNameStyle: true } });
      if (site) return site.patientNameStyle;
    }
    return 'OWNER_PET';
  }
}

async function insertVersion(tx: Tx, ctx: IngestContext, instanceId: string, version: number, rec: InstanceRecord) {
  await tx.$executeRawUnsafe(
    `INSERT INTO instance_version (id, practice_id, instance_id, version, sha256, byte_size, object_key, transfer_syntax_uid, received_from, created_at)
     VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, now())`,
    ctx.practiceId, instanceId, version, rec.instance.sha256, rec.instance.byteSize, rec.instance.objectKey,
    rec.instance.transferSyntaxUid, `${ctx.actor.type.toLowerCase()}:${ctx.actor.id}`,
  );
}

async function upsertPatient(tx: Tx, practiceId: string, p: InstanceRecord['patient']): Promise<string> {
  // Update demographics only when something changed: 500 CT slices must not rewrite the row 500 times.
  const cols = [
    'raw_patient_name', 'pet_name', 'owner_name', 'owner_family_name', 'species_description', 'species_code',
    'breed_description', 'breed_code', 'breed_registration', 'sex', 'neutered', 'birth_date', 'microchip',
    'responsible_person_role', 'responsible_organization', 'search_text',
  ];
  const changed = cols.map((c) => `patient.${c} IS DISTINCT FROM EXCLUDED.${c}`).join(' OR ');
  const sql = `
    WITH up AS (
      INSERT INTO patient (id, practice_id, patient_id, issuer, ${cols.join(', ')}, created_at, updated_at)
      VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14::neutered, $15, $16, $17, $18, $19, now(), now())
      ON CONFLICT (practice_id, patient_id, issuer) DO UPDATE SET
        ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = now()
      WHERE ${changed}
      RETURNING id)
    SELECT id FROM up UNION ALL
    SELECT id FROM patient WHERE practice_id = $1::uuid AND patient_id = $2 AND issuer = $3
    LIMIT 1`;
  const args = [
    practiceId, p.patientId, p.issuer, p.rawPatientName, p.petName, p.ownerName, p.ownerFamilyName, p.speciesDescription,
    p.speciesCode, p.breedDescription, p.breedCode, JSON.stringify(p.breedRegistration ?? []), p.sex, p.neutered,
    p.birthDate, p.microchip, p.responsiblePersonRole, p.responsibleOrganization, p.searchText,
  ];
  return firstIdWithRetry(tx, sql, args);
}

async function upsertStudy(tx: Tx, ctx: IngestContext, patientRefId: string, s: InstanceRecord['study']): Promise<string> {
  const sql = `
    WITH ins AS (
      INSERT INTO study (id, practice_id, patient_ref_id, site_id, study_instance_uid, study_date, study_date_value, study_time,
          accession_number, study_description, referring_physician, study_id, institution_name, created_at, updated_at)
      VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4, $5, $6::date, $7, $8, $9, $10, $11, $12, now(), now())
      ON CONFLICT (practice_id, study_instance_uid) DO NOTHING
      RETURNING id)
    SELECT id FROM ins UNION ALL
    SELECT id FROM study WHERE practice_id = $1::uuid AND study_instance_uid = $4
    LIMIT 1`;
  const args = [
    ctx.practiceId, patientRefId, ctx.siteId, s.studyInstanceUid, s.studyDate,
    s.studyDateValue ? s.studyDateValue.toISOString().slice(0, 10) : null, s.studyTime, s.accessionNumber,
    s.studyDescription, s.referringPhysician, s.studyId, s.institutionName,
  ];
  return firstIdWithRetry(tx, sql, args);
}

async function upsertSeries(tx: Tx, practiceId: string, studyId: string, s: InstanceRecord['series']) {
  const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO series (id, practice_id, study_id, series_instance_uid, modality, series_number, series_description, body_part_examined, created_at, updated_at)
     VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3, $4, $5, $6, $7, now(), now())
     ON CONFLICT (practice_id, series_instance_uid) DO NOTHING
     RETURNING id`,
    practiceId, studyId, s.seriesInstanceUid, s.modality, s.seriesNumber, s.seriesDescription, s.bodyPartExamined,
  );
  if (inserted[0]) return { seriesId: inserted[0].id, seriesCreated: true };
  const [row] = await tx.$queryRawUnsafe<{ id: string; study_id: string }[]>(
    `SELECT id, study_id FROM series WHERE practice_id = $1::uuid AND series_instance_uid = $2`,
    practiceId, s.seriesInstanceUid,
  );
  if (!row) throw new Error(`series ${s.seriesInstanceUid} vanished during upsert`);
  if (row.study_id !== studyId) {
    throw new IngestRejection('SERIES_IN_OTHER_STUDY', `SeriesInstanceUID ${s.seriesInstanceUid} already belongs to another study`);
  }
  return { seriesId: row.id, seriesCreated: false };
}

/**
 * INSERT … ON CONFLICT … RETURNING plus a SELECT fallback returns no row in one narrow race (another
 * transaction inserted the row after our statement's snapshot); running the statement again sees it.
 */
async function firstIdWithRetry(tx: Tx, sql: string, args: unknown[]): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const rows = await tx.$queryRawUnsafe<{ id: string }[]>(sql, ...args);
    if (rows[0]) return rows[0].id;
  }
  throw new Error('upsert returned no row three times');
}
