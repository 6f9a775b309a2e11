import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@vetpacs/db';

/**
 * Object key of one stored original. Derived from the practice id and validated DICOM UIDs only
 * (digits and dots, PS3.5 §9.1), never from client strings such as file names. The suffix makes
 * every received copy a distinct object, so a re-send or a conflicting version can never overwrite
 * the original bytes.
 *
 * Layout: `practices/{practice}/originals/{shard}/{sop}.{suffix}.dcm`, where the shard is the
 * first three hex digits of SHA-256(SOP Instance UID): 4,096 directories per practice, created
 * once. A study/series/instance folder tree (the earlier layout, still readable: every instance
 * row holds its own key) cost the filesystem store three mkdirs and four directory fsyncs for each
 * new study; the flat layout costs one directory fsync per instance, which made small-instance
 * ingest measurably faster (docs/benchmarks.md, "Ingest"). For S3 the layout is irrelevant.
 */
export function originalObjectKey(practiceId: string, sopInstanceUid: string): string {
  const suffix = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
  const shard = sha256Hex(sopInstanceUid).slice(0, 3);
  return `practices/${practiceId}/originals/${shard}/${sopInstanceUid}.${suffix}.dcm`;
}
