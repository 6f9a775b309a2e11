import { dicomJsonPersonName } from '@vetpacs/dicom';
import { BULK_ROOT_PLACEHOLDER } from './record';
import type { InstanceRecord } from './types';

/** What the text is written from: an instance's rows as ingest writes them. */
export interface StudyQidoSource {
  study: Pick<InstanceRecord['study'], 'studyInstanceUid' | 'studyDate' | 'studyTime' | 'accessionNumber' | 'referringPhysician' | 'studyDescription' | 'studyId'>;
  series: Pick<InstanceRecord['series'], 'modality'>;
  patient: Pick<InstanceRecord['patient'], 'rawPatientName' | 'patientId' | 'birthDate' | 'sex'>;
}

/**
 * The stored study-level QIDO-RS text (`study.qido_json`) of a study as ingest creates it: byte for
 * byte what Postgres's `manual_qido_study_json(study, patient)` (migration *_study_qido_json)
 * writes for the new row — one instance, one series, the instance's modality, the animal as this
 * instance names it (the patient upsert has just written exactly these values).
 *
 * Why here: the study's insert trigger wrote it in SQL, 5.5 % of Postgres's CPU per new tiny study
 * (2–3 % of a `many` request at concurrency 1; this takes 1.9 µs; docs/benchmarks.md, 2026-12-06).
 * Given with the insert, the trigger skips it;
 * every later write of the row (counters, corrections) still rewrites it in SQL, and a study
 * inserted without it gets it from the trigger as before. apps/server/test/ingest-qido-text.int.test.ts
 * compares the two on awkward values.
 */
export function studyQidoText(item: StudyQidoSource): string {
  const { study: st, series, patient: p } = item;
  const elements = [
    '"00080005":{"vr":"CS","Value":["ISO_IR 192"]}',
    text('00080020', 'DA', st.studyDate),
    text('00080030', 'TM', st.studyTime),
    text('00080050', 'SH', st.accessionNumber),
    '"00080056":{"vr":"CS","Value":["ONLINE"]}',
    // ModalitiesInStudy is the array the insert builds: empty only without a modality ('' is a value).
    series.modality == null ? '"00080061":{"vr":"CS"}' : `"00080061":{"vr":"CS","Value":[${JSON.stringify(series.modality)}]}`,
    personName('00080090', st.referringPhysician),
    text('00081030', 'LO', st.studyDescription),
    `"00081190":{"vr":"UR","Value":[${JSON.stringify(`${BULK_ROOT_PLACEHOLDER}/studies/${st.studyInstanceUid}`)}]}`,
    personName('00100010', p.rawPatientName),
    text('00100020', 'LO', p.patientId),
    text('00100030', 'DA', p.birthDate?.replaceAll('-', '')),
    text('00100040', 'CS', p.sex),
    text('0020000D', 'UI', st.studyInstanceUid),
    text('00200010', 'SH', st.studyId),
    '"00201206":{"vr":"IS","Value":[1]}',
    '"00201208":{"vr":"IS","Value":[1]}',
  ];
  return `{${elements.join(',')}}`;
}

/** A text attribute: its value, or zero-length (VR only) when empty (PS3.4 §C.2.2.1.2). */
function text(tag: string, vr: string, value: string | null | undefined): string {
  return !value ? `"${tag}":{"vr":"${vr}"}` : `"${tag}":{"vr":"${vr}","Value":[${JSON.stringify(value)}]}`;
}

/** PN: the value's non-empty name groups (PS3.18 §F.2.2), or zero-length when empty, as the SQL writes it. */
function personName(tag: string, value: string | null | undefined): string {
  return !value ? `"${tag}":{"vr":"PN"}` : `"${tag}":{"vr":"PN","Value":[${JSON.stringify(dicomJsonPersonName(value))}]}`;
}
