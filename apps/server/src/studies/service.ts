/**
 * Study views of the portal: filter normalisation and the shapes the UI shows. No I/O here (see
 * repo.ts); decisions such as "safe in cloud" live in one place.
 */
import { normaliseForSearch } from '@vetpacs/db';
import { normalizeSpecies } from '@vetpacs/dicom';
import { z } from 'zod';
import type { StudyRow } from './repo';

/** Query string of `GET /api/studies` (what the URL of the worklist holds). */
export const worklistQuerySchema = z.object({
  q: z.string().max(200).optional(),
  owner: z.string().max(100).optional(),
  pet: z.string().max(100).optional(),
  patientId: z.string().max(64).optional(),
  microchip: z.string().max(64).optional(),
  accession: z.string().max(64).optional(),
  species: z.string().max(64).optional(),
  breed: z.string().max(100).optional(),
  modality: z.string().regex(/^[A-Za-z]{2,4}$/, 'a DICOM modality code such as DX, CT, US').optional(),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD').optional(),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD').optional(),
  site: z.string().uuid().optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});

/** Normalised worklist filters (empty values dropped, text lower-cased and accent-stripped). */
export interface WorklistFilters {
  q?: string;
  owner?: string;
  pet?: string;
  patientId?: string;
  microchip?: string;
  accession?: string;
  species?: string;
  breed?: string;
  modality?: string;
  from?: string;
  to?: string;
  siteId?: string;
}

const text = (v: string | undefined) => {
  const n = v === undefined ? '' : normaliseForSearch(v);
  return n || undefined;
};

/** Turns the raw query into filters the repository can bind. */
export function toFilters(q: z.infer<typeof worklistQuerySchema>): WorklistFilters {
  const species = q.species?.trim();
  return {
    q: text(q.q),
    owner: text(q.owner),
    pet: text(q.pet),
    patientId: q.patientId?.trim() || undefined,
    microchip: q.microchip?.replace(/\s+/g, '') || undefined,
    accession: q.accession?.trim() || undefined,
    // "Hund", "K9" and "dog" all mean Canine: filter by the group when the text maps to one.
    species: species ? (normalizeSpecies(species) ?? species).toLowerCase() : undefined,
    breed: text(q.breed),
    modality: q.modality?.toUpperCase(),
    from: q.from,
    to: q.to,
    siteId: q.site,
  };
}

/** "Safe in cloud" once every instance has a receipt whose SHA-256 matches the stored original. */
export type IngestStatus = 'SAFE' | 'RECEIVING' | 'CONFLICT';

export function ingestStatus(c: { instances: number; conflicts: number; verified: number } | undefined): IngestStatus {
  if (!c || c.instances === 0) return 'RECEIVING';
  if (c.conflicts > 0) return 'CONFLICT';
  return c.verified >= c.instances ? 'SAFE' : 'RECEIVING';
}

/** DICOM DA (YYYYMMDD) → ISO date; anything else is returned as received. */
export function isoDate(da: string | null): string | null {
  if (!da) return null;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : da;
}

const thumbUrl = (studyUid: string, seriesUid: string) =>
  `/api/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/thumbnail`;

/** The worklist / study header shape. */
export function studyDto(row: StudyRow, extra: { status?: IngestStatus; verified?: number; thumbnailSeriesUid?: string | null } = {}) {
  return {
    studyInstanceUid: row.study_instance_uid,
    studyDate: isoDate(row.study_date),
    studyTime: row.study_time,
    accessionNumber: row.accession_number,
    description: row.study_description,
    referringPhysician: row.referring_physician,
    modalities: row.modalities_in_study,
    seriesCount: row.number_of_series,
    instanceCount: row.number_of_instances,
    receivedAt: (row.last_instance_at ?? row.created_at).toISOString(),
    patient: {
      patientId: row.patient_id,
      issuer: row.issuer,
      rawName: row.raw_patient_name,
      petName: row.pet_name,
      ownerName: row.owner_name,
      ownerFamilyName: row.owner_family_name,
      species: row.species_description,
      speciesGroup: normalizeSpecies(row.species_description ?? undefined) ?? null,
      breed: row.breed_description,
      microchip: row.microchip,
      sex: row.sex,
      neutered: row.neutered,
      birthDate: isoDate(row.birth_date),
    },
    site: row.site_id ? { id: row.site_id, name: row.site_name ?? '', code: row.site_code ?? '' } : null,
    status: extra.status ?? 'RECEIVING',
    verifiedInstances: extra.verified ?? 0,
    thumbnailUrl: extra.thumbnailSeriesUid ? thumbUrl(row.study_instance_uid, extra.thumbnailSeriesUid) : null,
  };
}

export type StudyDto = ReturnType<typeof studyDto>;

export const studyDtoSchema = z.object({
  studyInstanceUid: z.string(),
  studyDate: z.string().nullable(),
  studyTime: z.string().nullable(),
  accessionNumber: z.string().nullable(),
  description: z.string().nullable(),
  referringPhysician: z.string().nullable(),
  modalities: z.array(z.string()),
  seriesCount: z.number(),
  instanceCount: z.number(),
  receivedAt: z.string(),
  patient: z.object({
    patientId: z.string(),
    issuer: z.string(),
    rawName: z.string().nullable(),
    petName: z.string().nullable(),
    ownerName: z.string().nullable(),
    ownerFamilyName: z.string().nullable(),
    species: z.string().nullable(),
    speciesGroup: z.string().nullable(),
    breed: z.string().nullable(),
    microchip: z.string().nullable(),
    sex: z.string().nullable(),
    neutered: z.string(),
    birthDate: z.string().nullable(),
  }),
  site: z.object({ id: z.string(), name: z.string(), code: z.string() }).nullable(),
  status: z.enum(['SAFE', 'RECEIVING', 'CONFLICT']),
  verifiedInstances: z.number(),
  thumbnailUrl: z.string().nullable(),
});

export { thumbUrl };
