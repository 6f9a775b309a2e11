/**
 * Object keys of derived objects. Like originals, they derive from the practice id and validated
 * DICOM UIDs only, under the practice's own prefix (tenant isolation at the storage level too), and
 * live apart from originals (`derived/`), which scrub and replication never touch.
 */
export const derivedKeys = {
  instanceThumbnail: (practiceId: string, sopInstanceUid: string) => `practices/${practiceId}/derived/instances/${sopInstanceUid}/thumbnail.jpg`,
  transcoded: (practiceId: string, sopInstanceUid: string, version: number, transferSyntaxUid: string) =>
    `practices/${practiceId}/derived/instances/${sopInstanceUid}/v${version}/${transferSyntaxUid}.dcm`,
  seriesThumbnail: (practiceId: string, seriesInstanceUid: string) => `practices/${practiceId}/derived/series/${seriesInstanceUid}/thumbnail.jpg`,
  seriesMetadata: (practiceId: string, seriesInstanceUid: string, count: number) =>
    `practices/${practiceId}/derived/series/${seriesInstanceUid}/metadata-${count}.json.gz`,
  /** Prefix of every derived object of a practice (reconcile lists it). */
  practice: (practiceId: string) => `practices/${practiceId}/derived/`,
  /** Prefix of every original of a practice (scrub and replication list it). */
  originals: (practiceId: string) => `practices/${practiceId}/originals/`,
};
