import { randomUUID } from 'node:crypto';
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
  // 12 random hex digits: the last group of a v4 UUID (48 random bits). randomUUID draws from a
  // cached pool; randomBytes(6) asked the system for entropy at every call (~5–20 µs each).
  const suffix = `${Date.now().toString(36)}-${randomUUID().slice(24)}`;
  const shard = sha256Hex(sopInstanceUid).slice(0, 3);
  return `practices/${practiceId}/originals/${shard}/${sopInstanceUid}.${suffix}.dcm`;
}
