import { Prisma } from '@vetpacs/db';

/** QIDO-RS query levels (PS3.18 §10.6): the entity each result row is. */
export type QidoLevel = 'study' | 'series' | 'instance';

/** How a query key is matched (PS3.4 §C.2.2.2). */
export type MatchKind =
  | 'uid' // UID list matching (§C.2.2.2.2)
  | 'string' // single value / wildcard, case-sensitive (§C.2.2.2.1, §C.2.2.2.4)
  | 'cs-list' // single value or a list of values (`CT\MR`, `CT,MR`), case-sensitive
  | 'pn' // person name: case- and accent-insensitive; fuzzymatching → any name component
  | 'words' // extension keys (owner/pet names): always "fuzzy", like PN
  | 'date' // DA range matching on a SQL date column (§C.2.2.2.5)
  | 'iso-date' // DA range matching on a YYYY-MM-DD text column
  | 'time' // TM range matching on a HHMMSS text column
  | 'int' // exact integer
  | 'modalities' // ModalitiesInStudy: any of the listed modalities in the study's array
  | 'neutered';

/** How an index column becomes a DICOM JSON value. */
export type OutputKind = 'string' | 'pn' | 'int' | 'array' | 'neutered';

/** One attribute the index holds (or can match on). */
export interface IndexedAttribute {
  keyword: string;
  /** 8 hex digits; empty for extension keys that are query-only. */
  tag: string;
  vr: string;
  level: QidoLevel;
  /** SQL expression (aliases: st study, p patient, se series, i instance). */
  column?: Prisma.Sql;
  /** Column used for matching when it differs from the output column. */
  matchColumn?: Prisma.Sql;
  match?: MatchKind;
  out?: OutputKind;
  /** Matching uses the patient trigram index as a pre-filter (search_text holds the value's words). */
  trigram?: boolean;
  /**
   * The column has the folded-name b-tree (manual_patient_name_fold, covering the patient id): a
   * pattern with a literal start is an index range, answered index-only.
   */
  foldIndex?: boolean;
}

const c = (sql: string) => Prisma.raw(sql);

/**
 * Attributes served from index columns. Anything else is read from the first instance's stored
 * DICOM JSON when asked for with includefield, and is not a supported matching key.
 */
export const INDEXED: IndexedAttribute[] = [
  // Patient (returned at study level and below)
  { keyword: 'PatientName', tag: '00100010', vr: 'PN', level: 'study', column: c('p.raw_patient_name'), match: 'pn', out: 'pn', trigram: true, foldIndex: true },
  { keyword: 'PatientID', tag: '00100020', vr: 'LO', level: 'study', column: c('p.patient_id'), match: 'string', out: 'string' },
  { keyword: 'IssuerOfPatientID', tag: '00100021', vr: 'LO', level: 'study', column: c("NULLIF(p.issuer, '')"), match: 'string', out: 'string' },
  // Stored as ISO YYYY-MM-DD (invalid DA values are not indexed): served back as DA.
  { keyword: 'PatientBirthDate', tag: '00100030', vr: 'DA', level: 'study', column: c("replace(p.birth_date, '-', '')"), matchColumn: c('p.birth_date'), match: 'iso-date', out: 'string' },
  { keyword: 'PatientSex', tag: '00100040', vr: 'CS', level: 'study', column: c('p.sex'), match: 'cs-list', out: 'string' },
  { keyword: 'PatientSpeciesDescription', tag: '00102201', vr: 'LO', level: 'study', column: c('p.species_description'), match: 'string', out: 'string' },
  { keyword: 'PatientSexNeutered', tag: '00102203', vr: 'CS', level: 'study', column: c('p.neutered'), match: 'neutered', out: 'neutered' },
  { keyword: 'PatientBreedDescription', tag: '00102292', vr: 'LO', level: 'study', column: c('p.breed_description'), match: 'string', out: 'string' },
  // The raw ResponsiblePerson PN is not an index column (owner_name is its display form): it is
  // matched on the owner's name words and returned from the stored instance JSON.
  { keyword: 'ResponsiblePerson', tag: '00102297', vr: 'PN', level: 'study', matchColumn: c('p.owner_name'), match: 'words', trigram: true },
  { keyword: 'ResponsiblePersonRole', tag: '00102298', vr: 'CS', level: 'study', column: c('p.responsible_person_role'), match: 'cs-list', out: 'string' },
  { keyword: 'ResponsibleOrganization', tag: '00102299', vr: 'LO', level: 'study', column: c('p.responsible_organization'), match: 'string', out: 'string' },
  // Veterinary extension keys (not DICOM attributes): the parsed owner and pet names.
  { keyword: 'PetName', tag: '', vr: 'LO', level: 'study', matchColumn: c('p.pet_name'), match: 'words', trigram: true },
  { keyword: 'OwnerName', tag: '', vr: 'LO', level: 'study', matchColumn: c("concat_ws(' ', p.owner_name, p.owner_family_name)"), match: 'words', trigram: true },
  // Study
  { keyword: 'StudyDate', tag: '00080020', vr: 'DA', level: 'study', column: c('st.study_date'), matchColumn: c('st.study_date_value'), match: 'date', out: 'string' },
  { keyword: 'StudyTime', tag: '00080030', vr: 'TM', level: 'study', column: c('st.study_time'), match: 'time', out: 'string' },
  { keyword: 'AccessionNumber', tag: '00080050', vr: 'SH', level: 'study', column: c('st.accession_number'), match: 'string', out: 'string' },
  { keyword: 'ModalitiesInStudy', tag: '00080061', vr: 'CS', level: 'study', column: c('st.modalities_in_study'), match: 'modalities', out: 'array' },
  { keyword: 'InstitutionName', tag: '00080080', vr: 'LO', level: 'study', column: c('st.institution_name'), match: 'string', out: 'string' },
  { keyword: 'ReferringPhysicianName', tag: '00080090', vr: 'PN', level: 'study', column: c('st.referring_physician'), match: 'pn', out: 'pn' },
  { keyword: 'StudyDescription', tag: '00081030', vr: 'LO', level: 'study', column: c('st.study_description'), match: 'string', out: 'string' },
  { keyword: 'StudyInstanceUID', tag: '0020000D', vr: 'UI', level: 'study', column: c('st.study_instance_uid'), match: 'uid', out: 'string' },
  { keyword: 'StudyID', tag: '00200010', vr: 'SH', level: 'study', column: c('st.study_id'), match: 'string', out: 'string' },
  { keyword: 'NumberOfStudyRelatedSeries', tag: '00201206', vr: 'IS', level: 'study', column: c('st.number_of_series'), out: 'int' },
  { keyword: 'NumberOfStudyRelatedInstances', tag: '00201208', vr: 'IS', level: 'study', column: c('st.number_of_instances'), out: 'int' },
  // Series
  { keyword: 'Modality', tag: '00080060', vr: 'CS', level: 'series', column: c('se.modality'), match: 'cs-list', out: 'string' },
  { keyword: 'SeriesDescription', tag: '0008103E', vr: 'LO', level: 'series', column: c('se.series_description'), match: 'string', out: 'string' },
  { keyword: 'BodyPartExamined', tag: '00180015', vr: 'CS', level: 'series', column: c('se.body_part_examined'), match: 'cs-list', out: 'string' },
  { keyword: 'SeriesInstanceUID', tag: '0020000E', vr: 'UI', level: 'series', column: c('se.series_instance_uid'), match: 'uid', out: 'string' },
  { keyword: 'SeriesNumber', tag: '00200011', vr: 'IS', level: 'series', column: c('se.series_number'), match: 'int', out: 'int' },
  { keyword: 'NumberOfSeriesRelatedInstances', tag: '00201209', vr: 'IS', level: 'series', column: c('se.number_of_instances'), out: 'int' },
  // Instance
  { keyword: 'SOPClassUID', tag: '00080016', vr: 'UI', level: 'instance', column: c('i.sop_class_uid'), match: 'uid', out: 'string' },
  { keyword: 'SOPInstanceUID', tag: '00080018', vr: 'UI', level: 'instance', column: c('i.sop_instance_uid'), match: 'uid', out: 'string' },
  { keyword: 'InstanceNumber', tag: '00200013', vr: 'IS', level: 'instance', column: c('i.instance_number'), match: 'int', out: 'int' },
  { keyword: 'NumberOfFrames', tag: '00280008', vr: 'IS', level: 'instance', column: c('i.number_of_frames'), out: 'int' },
  { keyword: 'Rows', tag: '00280010', vr: 'US', level: 'instance', column: c('i.rows'), out: 'int' },
  { keyword: 'Columns', tag: '00280011', vr: 'US', level: 'instance', column: c('i.columns'), out: 'int' },
  { keyword: 'BitsAllocated', tag: '00280100', vr: 'US', level: 'instance', column: c('i.bits_allocated'), out: 'int' },
];

export const BY_KEYWORD = new Map(INDEXED.map((a) => [a.keyword.toLowerCase(), a]));
export const BY_TAG = new Map(INDEXED.filter((a) => a.tag).map((a) => [a.tag, a]));

const LEVEL_RANK: Record<QidoLevel, number> = { study: 0, series: 1, instance: 2 };

/** True when an attribute of `attrLevel` may appear in (or filter) results at `queryLevel`. */
export function visibleAt(attrLevel: QidoLevel, queryLevel: QidoLevel): boolean {
  return LEVEL_RANK[attrLevel] <= LEVEL_RANK[queryLevel];
}

/** Computed attributes every result carries (PS3.18 Tables 10.6.3-3..5). */
export const SPECIFIC_CHARACTER_SET = '00080005';
export const INSTANCE_AVAILABILITY = '00080056';
export const RETRIEVE_URL = '00081190';

/**
 * Default return attributes per level (PS3.18 §10.6.3.3.1, Tables 10.6.3-3/4/5). StudyDescription
 * is added at study level because every worklist shows it; the UIDs of the enclosing entities are
 * always returned so that results of /series and /instances can be retrieved.
 */
export const DEFAULT_TAGS: Record<QidoLevel, string[]> = {
  study: [
    SPECIFIC_CHARACTER_SET, '00080020', '00080030', '00080050', INSTANCE_AVAILABILITY, '00080061', '00080090', '00081030',
    RETRIEVE_URL, '00100010', '00100020', '00100030', '00100040', '0020000D', '00200010', '00201206', '00201208',
  ],
  series: [SPECIFIC_CHARACTER_SET, '00080060', '0008103E', RETRIEVE_URL, '0020000D', '0020000E', '00200011', '00201209'],
  instance: [
    SPECIFIC_CHARACTER_SET, '00080016', '00080018', INSTANCE_AVAILABILITY, RETRIEVE_URL, '0020000D', '0020000E', '00200013',
    '00280008', '00280010', '00280011', '00280100',
  ],
};
