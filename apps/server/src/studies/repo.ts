import type { Db } from '@vetpacs/db';
import type { WorklistFilters } from './service';

/** A worklist row as read from the index (one study with its animal and site). */
export interface StudyRow {
  id: string;
  study_instance_uid: string;
  study_date: string | null;
  study_time: string | null;
  accession_number: string | null;
  study_description: string | null;
  referring_physician: string | null;
  modalities_in_study: string[];
  number_of_series: number;
  number_of_instances: number;
  created_at: Date;
  last_instance_at: Date | null;
  patient_ref_id: string;
  patient_id: string;
  issuer: string;
  raw_patient_name: string | null;
  pet_name: string | null;
  owner_name: string | null;
  owner_family_name: string | null;
  species_description: string | null;
  breed_description: string | null;
  microchip: string | null;
  sex: string | null;
  neutered: string;
  birth_date: string | null;
  site_id: string | null;
  site_name: string | null;
  site_code: string | null;
}

const SELECT = `
  SELECT s.id, s.study_instance_uid, s.study_date, s.study_time, s.accession_number, s.study_description,
         s.referring_physician, s.modalities_in_study, s.number_of_series, s.number_of_instances, s.created_at,
         s.last_instance_at, s.patient_ref_id, p.patient_id, p.issuer, p.raw_patient_name, p.pet_name, p.owner_name,
         p.owner_family_name, p.species_description, p.breed_description, p.microchip, p.sex, p.neutered::text AS neutered,
         p.birth_date, si.id AS site_id, si.name AS site_name, si.code AS site_code
    FROM study s
    JOIN patient p ON p.id = s.patient_ref_id
    LEFT JOIN site si ON si.id = s.site_id`;

// Newest first: by study date, then by arrival for studies without a date.
const ORDER = 'ORDER BY s.study_date_value DESC NULLS LAST, s.created_at DESC, s.id';

/** Escapes LIKE wildcards in user input (the value is still passed as a bind parameter). */
const like = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * All database reads of the portal's study views. Every query is scoped by practice_id first;
 * another practice's UID simply finds nothing.
 */
export class StudiesRepo {
  constructor(private readonly db: Db) {}

  /** One page of the worklist plus the total number of matches. */
  async search(practiceId: string, f: WorklistFilters, limit: number, offset: number): Promise<{ total: number; rows: StudyRow[] }> {
    const params: unknown[] = [practiceId];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = ['s.practice_id = $1::uuid'];
    if (f.q) {
      // search_text is trigram-indexed (manual_patient_search_text_trgm) and already normalised.
      const v = p(`%${like(f.q)}%`);
      where.push(`(p.search_text LIKE ${v} OR lower(s.accession_number) LIKE ${v} OR lower(s.study_description) LIKE ${v})`);
    }
    if (f.owner) {
      // Fuzzy surname: prefix, or trigram similarity ≥ 0.3 ("Smyth" finds "Smith"), on the family
      // name derived at ingest and on the full owner name (ResponsiblePerson).
      const v = p(f.owner);
      where.push(`(lower(p.owner_family_name) LIKE ${p(`${like(f.owner)}%`)} OR similarity(lower(coalesce(p.owner_family_name, '')), ${v}) >= 0.3
                  OR lower(p.owner_name) LIKE ${p(`%${like(f.owner)}%`)})`);
    }
    if (f.pet) where.push(`(lower(p.pet_name) LIKE ${p(`%${like(f.pet)}%`)} OR similarity(lower(coalesce(p.pet_name, '')), ${p(f.pet)}) >= 0.4)`);
    if (f.patientId) where.push(`lower(p.patient_id) LIKE ${p(`${like(f.patientId.toLowerCase())}%`)}`);
    // People read microchips off a scanner or type the last digits: match anywhere.
    if (f.microchip) where.push(`p.microchip LIKE ${p(`%${like(f.microchip)}%`)}`);
    if (f.accession) where.push(`lower(s.accession_number) LIKE ${p(`${like(f.accession.toLowerCase())}%`)}`);
    if (f.species) {
      // Ingest appends the normalised species group (Canine, Feline…) to search_text.
      where.push(`(lower(p.species_description) = ${p(f.species)} OR p.search_text ~ ${p(`(^| )${f.species.replace(/[^a-z0-9 ]/g, '')}( |$)`)})`);
    }
    if (f.breed) where.push(`lower(p.breed_description) LIKE ${p(`%${like(f.breed)}%`)}`);
    if (f.modality) where.push(`${p(f.modality)} = ANY(s.modalities_in_study)`);
    if (f.from) where.push(`s.study_date_value >= ${p(f.from)}::date`);
    if (f.to) where.push(`s.study_date_value <= ${p(f.to)}::date`);
    if (f.siteId) where.push(`s.site_id = ${p(f.siteId)}::uuid`);
    const filterParams = [...params];
    const page = `LIMIT ${p(limit)} OFFSET ${p(offset)}`;
    const [rows, count] = await Promise.all([
      this.db.$queryRawUnsafe<StudyRow[]>(`${SELECT} WHERE ${where.join(' AND ')} ${ORDER} ${page}`, ...params),
      this.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM study s JOIN patient p ON p.id = s.patient_ref_id WHERE ${where.join(' AND ')}`, ...filterParams),
    ]);
    return { total: Number(count[0]?.n ?? 0), rows };
  }

  /** One study by UID, or null (also for another practice's UID). */
  async study(practiceId: string, studyUid: string): Promise<StudyRow | null> {
    const rows = await this.db.$queryRawUnsafe<StudyRow[]>(`${SELECT} WHERE s.practice_id = $1::uuid AND s.study_instance_uid = $2`, practiceId, studyUid);
    return rows[0] ?? null;
  }

  /**
   * The same animal's other studies at every site: the same patient row, or the same microchip
   * (branches often give one animal different patient IDs). A chip shared by differently named
   * animals is bad data (a device default, a typo), not one animal, so the names must agree.
   */
  async priors(practiceId: string, study: StudyRow): Promise<StudyRow[]> {
    return this.db.$queryRawUnsafe<StudyRow[]>(
      `${SELECT} WHERE s.practice_id = $1::uuid AND s.id <> $2::uuid
         AND (s.patient_ref_id = $3::uuid
              OR ($4::text IS NOT NULL AND p.microchip = $4::text
                  AND (p.pet_name IS NULL OR $5::text IS NULL OR lower(p.pet_name) = lower($5::text))))
       ${ORDER} LIMIT 200`,
      practiceId, study.id, study.patient_ref_id, study.microchip, study.pet_name,
    );
  }

  /** Per-study verification counts: instances, conflicts, instances with a receipt matching their SHA-256. */
  async integrity(practiceId: string, studyIds: string[]): Promise<Map<string, { instances: number; conflicts: number; verified: number }>> {
    if (!studyIds.length) return new Map();
    const rows = await this.db.$queryRawUnsafe<{ study_id: string; instances: bigint; conflicts: bigint; verified: bigint }[]>(
      `SELECT se.study_id,
              count(i.id) AS instances,
              count(i.id) FILTER (WHERE i.has_conflict) AS conflicts,
              count(i.id) FILTER (WHERE EXISTS (
                SELECT 1 FROM receipt r WHERE r.practice_id = $1::uuid AND r.sop_instance_uid = i.sop_instance_uid
                   AND r.status IN ('STORED', 'DUPLICATE') AND r.sha256 = i.sha256)) AS verified
         FROM series se JOIN instance i ON i.series_id = se.id
        WHERE se.practice_id = $1::uuid AND se.study_id = ANY($2::uuid[])
        GROUP BY se.study_id`,
      practiceId, studyIds,
    );
    return new Map(rows.map((r) => [r.study_id, { instances: Number(r.instances), conflicts: Number(r.conflicts), verified: Number(r.verified) }]));
  }

  /** First series with a thumbnail per study (the worklist's picture). */
  async thumbnailSeries(practiceId: string, studyIds: string[]): Promise<Map<string, string>> {
    if (!studyIds.length) return new Map();
    const rows = await this.db.$queryRawUnsafe<{ study_id: string; series_instance_uid: string }[]>(
      `SELECT DISTINCT ON (study_id) study_id, series_instance_uid FROM series
        WHERE practice_id = $1::uuid AND study_id = ANY($2::uuid[]) AND thumbnail_object_key IS NOT NULL
        ORDER BY study_id, series_number NULLS LAST, created_at`,
      practiceId, studyIds,
    );
    return new Map(rows.map((r) => [r.study_id, r.series_instance_uid]));
  }

  /** Series of a study, in series-number order. */
  series(practiceId: string, studyId: string) {
    return this.db.series.findMany({
      where: { practiceId, studyId },
      orderBy: [{ seriesNumber: 'asc' }, { createdAt: 'asc' }],
      select: { id: true, seriesInstanceUid: true, modality: true, seriesNumber: true, seriesDescription: true, bodyPartExamined: true, numberOfInstances: true, thumbnailObjectKey: true },
    });
  }

  /** One series of a study by UIDs (thumbnail lookups). */
  seriesByUid(practiceId: string, studyUid: string, seriesUid: string) {
    return this.db.series.findFirst({
      where: { practiceId, seriesInstanceUid: seriesUid, study: { studyInstanceUid: studyUid } },
      select: { id: true, thumbnailObjectKey: true },
    });
  }

  /** Instances of a series with their SHA-256, versions and receipts. */
  async instances(practiceId: string, seriesId: string) {
    const instances = await this.db.instance.findMany({
      where: { practiceId, seriesId },
      orderBy: [{ instanceNumber: 'asc' }, { sopInstanceUid: 'asc' }],
      select: {
        sopInstanceUid: true, sopClassUid: true, instanceNumber: true, transferSyntaxUid: true, byteSize: true, sha256: true,
        numberOfFrames: true, rows: true, columns: true, version: true, hasConflict: true, createdAt: true,
        versions: { select: { version: true, sha256: true, byteSize: true, receivedFrom: true, createdAt: true }, orderBy: { version: 'asc' } },
      },
    });
    const receipts = await this.db.receipt.findMany({
      where: { practiceId, sopInstanceUid: { in: instances.map((i) => i.sopInstanceUid) } },
      orderBy: { createdAt: 'asc' },
      select: { sopInstanceUid: true, uploadId: true, status: true, reason: true, sha256: true, createdAt: true, gatewayId: true, userId: true, apiTokenId: true },
    });
    return { instances, receipts };
  }

  /** Everything the download needs, in file order (series number, instance number). */
  downloadManifest(practiceId: string, studyId: string) {
    return this.db.series.findMany({
      where: { practiceId, studyId },
      orderBy: [{ seriesNumber: 'asc' }, { createdAt: 'asc' }],
      select: {
        seriesInstanceUid: true, modality: true, seriesNumber: true,
        instances: {
          orderBy: [{ instanceNumber: 'asc' }, { sopInstanceUid: 'asc' }],
          select: { sopInstanceUid: true, sopClassUid: true, transferSyntaxUid: true, instanceNumber: true, objectKey: true, sha256: true, byteSize: true },
        },
      },
    });
  }

  /**
   * The study's audit trail: events about the study itself, its instances, and the uploads that
   * delivered them (matched through receipts), newest first.
   */
  async audit(practiceId: string, study: StudyRow, limit = 200) {
    return this.db.$queryRawUnsafe<{ id: string; at: Date; actor_type: string; actor_id: string | null; action: string; entity_type: string; entity_id: string; source_ip: string | null; details: unknown }[]>(
      `SELECT a.id, a.at, a.actor_type::text AS actor_type, a.actor_id, a.action, a.entity_type, a.entity_id, a.source_ip, a.details
         FROM audit_event a
        WHERE a.practice_id = $1::uuid AND (
              (a.entity_type = 'study' AND a.entity_id IN ($2, $3))
           OR a.details->>'studyInstanceUid' = $3
           OR (a.entity_type = 'upload' AND a.entity_id IN (SELECT DISTINCT upload_id FROM receipt WHERE practice_id = $1::uuid AND study_instance_uid = $3))
           OR (a.entity_type = 'instance' AND a.entity_id IN (
                SELECT i.id::text FROM instance i JOIN series se ON se.id = i.series_id WHERE se.study_id = $2::uuid)))
        ORDER BY a.at DESC, a.id DESC
        LIMIT $4`,
      practiceId, study.id, study.study_instance_uid, limit,
    );
  }

  sites(practiceId: string) {
    return this.db.site.findMany({ where: { practiceId }, orderBy: { name: 'asc' }, select: { id: true, name: true, code: true } });
  }

  practice(practiceId: string) {
    return this.db.practice.findUniqueOrThrow({ where: { id: practiceId }, select: { id: true, name: true } });
  }
}
