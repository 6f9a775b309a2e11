import { randomUUID } from 'node:crypto';

/**
 * Object key of one stored original. Derived from the practice id, the time of receipt and a
 * validated DICOM UID only (digits and dots, PS3.5 §9.1), never from client strings such as file
 * names. The suffix makes every received copy a distinct object, so a re-send or a conflicting
 * version can never overwrite the original bytes.
 *
 * Layout: `practices/{practice}/originals/{yyyy}/{mm}/{dd}/{hh}/{sop}.{suffix}.dcm`, the hour of
 * receipt in UTC (as dcm4chee-arc files by date). The instances that arrive together share one
 * directory, so the filesystem store makes a request's files durable with one directory fsync and
 * creates a directory once an hour. The earlier layouts stay readable (every instance row holds
 * its own key): a study/series/instance tree cost three mkdirs and four directory fsyncs per new
 * study; 4,096 hash shards cost one directory fsync per instance and, while a store was young, a
 * mkdir for most of them — a request's ten tiny studies touched ~10 directories, whose fsyncs
 * slowed the database writes running beside them (`many` at c1 +9–11 % with hourly directories;
 * docs/benchmarks.md, "Ingest"). For S3 the layout is irrelevant to speed.
 */
export function originalObjectKey(practiceId: string, sopInstanceUid: string, now = new Date()): string {
  // 12 random hex digits: the last group of a v4 UUID (48 random bits). randomUUID draws from a
  // cached pool; randomBytes(6) asked the system for entropy at every call (~5–20 µs each).
  const suffix = `${now.getTime().toString(36)}-${randomUUID().slice(24)}`;
  const iso = now.toISOString(); // YYYY-MM-DDTHH:…Z
  const hour = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
  return `practices/${practiceId}/originals/${hour}/${sopInstanceUid}.${suffix}.dcm`;
}
