import { IngestRejection } from './types';

/**
 * A record that the database rolled back for a transient reason (a deadlock or serialization
 * failure against another server process): writing it again is safe, every statement is an upsert.
 */
export class RetryableRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableRecordError';
  }
}

/**
 * A COMMIT whose answer never came (the connection broke while it was in flight): the rows may or
 * may not be in the database. Nothing that the batch's records refer to may be deleted then, and
 * the records must not be written again: a committed record written again reads as a duplicate of
 * itself, whose "new copy" (the same object) would be deleted. `xid`: the transaction's id, which
 * Postgres can later tell the outcome of (UncommittedObjects removes the objects of one that rolled
 * back; without it they stay for the integrity scrub to report).
 */
export class CommitOutcomeUnknown extends Error {
  constructor(
    cause: unknown,
    readonly xid?: string,
  ) {
    super(`the database did not confirm the commit: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CommitOutcomeUnknown';
  }
}

/**
 * What a failed item of manual_ingest_batch means to the caller: a rejection of the instance, a
 * transient failure to write again, or an infrastructure error.
 */
export function recordError(message: string | null, seriesInstanceUid: string): Error {
  const text = message ?? 'recording the instance failed';
  if (text.includes('SERIES_IN_OTHER_STUDY')) {
    return new IngestRejection('SERIES_IN_OTHER_STUDY', `SeriesInstanceUID ${seriesInstanceUid} already belongs to another study`);
  }
  // Another server process wrote the same rows in the opposite order: Postgres rolled back this
  // item only (its sub-block).
  if (/deadlock detected|could not serialize/.test(text)) return new RetryableRecordError(text);
  return new Error(text);
}
