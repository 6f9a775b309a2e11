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
