import { describe, expect, it } from 'vitest';
import { recordError, RetryableRecordError } from './record-errors';
import { IngestRejection } from './types';

describe('recordError', () => {
  it('turns a series of another study into a rejection, a deadlock into a retry, anything else into a failure', () => {
    const series = recordError('SERIES_IN_OTHER_STUDY', '1.2.3');
    expect(series).toBeInstanceOf(IngestRejection);
    expect(series).toMatchObject({ code: 'SERIES_IN_OTHER_STUDY', reason: expect.stringContaining('1.2.3') });
    expect(recordError('deadlock detected', '1.2.3')).toBeInstanceOf(RetryableRecordError);
    expect(recordError('could not serialize access due to concurrent update', '1.2.3')).toBeInstanceOf(RetryableRecordError);
    const other = recordError('value too long for type character varying(64)', '1.2.3');
    expect(other).not.toBeInstanceOf(RetryableRecordError);
    expect(other).not.toBeInstanceOf(IngestRejection);
    expect(recordError(null, '1.2.3').message).toBe('recording the instance failed');
  });
});
