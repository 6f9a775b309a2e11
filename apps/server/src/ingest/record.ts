import { datasetToDicomJson, type ParsedInstance } from '@vetpacs/dicom';
import type { InstanceRecord } from './types';

/**
 * BulkDataURIs are stored relative to the DICOMweb root with this placeholder prefix and resolved
 * when served (the same metadata is served under /dicomweb and under share-link roots).
 */
export const BULK_ROOT_PLACEHOLDER = '{{DICOMWEB_ROOT}}';

/** Maps a parsed instance plus its stored object to the rows ingest writes. */
export function toInstanceRecord(p: ParsedInstance, stored: { key: string; size: number; sha256: string }): InstanceRecord {
  const base = `${BULK_ROOT_PLACEHOLDER}/studies/${p.studyInstanceUid}/series/${p.seriesInstanceUid}/instances/${p.sopInstanceUid}`;
  // Serialised at once: the object tree (~300 objects for a tiny instance) then dies young, where it
  // used to live until its batch was written and was copied by every young-generation collection
  // meanwhile; the text is one string (docs/benchmarks.md, "Ingest", 2026-12-05 14:21).
  const metadata = JSON.stringify(
    datasetToDicomJson(p, {
      bulkDataUriFor: (tagHex, path) => (tagHex === '7FE00010' && path.length === 0 ? `${base}/frames` : `${base}/bulk/${[...path, tagHex].join('/')}`),
    }),
  );
  const pd = p.pixelData;
  const vp = p.patient;
  return {
    patient: {
      patientId: vp.patientId ?? '',
      issuer: vp.issuer ?? '',
      rawPatientName: vp.rawPatientName ?? null,
      petName: vp.petName ?? null,
      ownerName: vp.ownerName ?? null,
      ownerFamilyName: vp.ownerFamilyName ?? null,
      speciesDescription: vp.speciesDescription ?? null,
      speciesCode: vp.speciesCode ? [vp.speciesCode.scheme, vp.speciesCode.value].filter(Boolean).join(':') || null : null,
      breedDescription: vp.breedDescription ?? null,
      breedCode: vp.breedCode ? [vp.breedCode.scheme, vp.breedCode.value].filter(Boolean).join(':') || null : null,
      breedRegistration: vp.breedRegistration,
      sex: vp.sex ?? null,
      neutered: vp.neutered,
      birthDate: vp.birthDate ?? null,
      microchip: vp.microchip ?? null,
      responsiblePersonRole: vp.responsiblePersonRole ?? null,
      responsibleOrganization: vp.responsibleOrganization ?? null,
      searchText: [vp.searchText, vp.speciesNormalized?.toLowerCase()].filter(Boolean).join(' '),
    },
    study: {
      studyInstanceUid: p.studyInstanceUid,
      studyDate: p.study.studyDate ?? null,
      studyDateValue: parseDa(p.study.studyDate),
      studyTime: p.study.studyTime ?? null,
      accessionNumber: p.study.accessionNumber ?? null,
      studyDescription: p.study.studyDescription ?? null,
      referringPhysician: p.study.referringPhysicianName ?? null,
      studyId: p.study.studyId ?? null,
      institutionName: p.study.institutionName ?? null,
    },
    series: {
      seriesInstanceUid: p.seriesInstanceUid,
      modality: p.series.modality ?? null,
      seriesNumber: p.series.seriesNumber ?? null,
      seriesDescription: p.series.seriesDescription ?? null,
      bodyPartExamined: p.series.bodyPartExamined ?? null,
    },
    instance: {
      sopInstanceUid: p.sopInstanceUid,
      sopClassUid: p.sopClassUid,
      instanceNumber: p.instance.instanceNumber ?? null,
      transferSyntaxUid: p.transferSyntaxUid,
      byteSize: stored.size,
      sha256: stored.sha256,
      objectKey: stored.key,
      numberOfFrames: p.numberOfFrames,
      rows: p.rows ?? null,
      columns: p.columns ?? null,
      bitsAllocated: p.bitsAllocated ?? null,
      // Offsets into a deflated data set do not address the stored bytes: frames are then served
      // from a transcoded copy, so none are recorded.
      pixelDataOffset: pd && !p.deflated ? pd.offset : null,
      pixelDataLength: pd && !p.deflated ? pd.length : null,
      frameOffsets: pd && !p.deflated ? pd.frames : null,
      metadata,
    },
  };
}

/** DICOM DA (YYYYMMDD) → Date at UTC midnight; null when absent or not a real date. */
export function parseDa(da: string | undefined): Date | null {
  const m = da && /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCMonth() === Number(m[2]) - 1 ? d : null;
}
