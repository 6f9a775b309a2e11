import { describe, expect, it } from 'vitest';
import { CommitOutcomeUnknown } from './record-errors';
import { asTusError } from './tus';

describe('asTusError', () => {
  it('answers an unavailable database with 503 and a reason', () => {
    const restart = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(asTusError(restart)).toEqual({ status_code: 503, body: 'the database is unavailable; retry in a few seconds\n' });
    expect(asTusError(new CommitOutcomeUnknown(new Error('Connection terminated unexpectedly')))).toMatchObject({ status_code: 503 });
  });

  it('passes anything else to tus as it is', () => {
    const conflict = { status_code: 409, body: 'upload is being processed\n' };
    expect(asTusError(conflict)).toBe(conflict);
    const fault = new TypeError('x is undefined');
    expect(asTusError(fault)).toBe(fault);
  });
});
