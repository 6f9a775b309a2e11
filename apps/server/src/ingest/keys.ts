import { randomBytes } from 'node:crypto';

/**
 * Object key of one stored original. Derived from the practice id and validated DICOM UIDs only
 * (digits and dots, PS3.5 §9.1), never from client strings such as file names. The suffix makes
 * every received copy a distinct object, so a re-send or a conflicting version can never overwrite
 * the original bytes.
 */
export function originalObjectKey(practiceId: string, uids: { study: string; series: string; sop: string }): string {
  const suffix = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
  return `practices/${practiceId}/originals/${uids.study}/${uids.series}/${uids.sop}/${suffix}.dcm`;
}
