import { describe, expect, it } from 'vitest';
import { FailureReason, resolveRef } from './commitment';

const ref = { sopClassUid: '1.2.840.10008.5.1.4.1.1.1', sopInstanceUid: '1.2.3' };
const row = (state: string, fail_class: string | null = null) => ({ state, fail_class, sop_class_uid: ref.sopClassUid });

describe('resolveRef (PS3.4 J.3.3 failure reasons)', () => {
  it('commits only when every local copy is verified', () => {
    expect(resolveRef([row('verified')], ref)).toEqual({ state: 'success' });
    expect(resolveRef([row('verified'), row('queued')], ref)).toEqual({ state: 'pending' });
    expect(resolveRef([row('failed', 'transient')], ref)).toEqual({ state: 'pending' });
  });
  it('reports missing, rejected and mismatched instances as failures', () => {
    expect(resolveRef([], ref)).toEqual({ state: 'failed', reason: FailureReason.NoSuchObjectInstance });
    expect(resolveRef([row('failed', 'permanent')], ref)).toEqual({ state: 'failed', reason: FailureReason.ProcessingFailure });
    expect(resolveRef([{ ...row('verified'), sop_class_uid: '1.2.840.10008.5.1.4.1.1.2' }], ref)).toEqual({ state: 'failed', reason: FailureReason.ClassInstanceConflict });
  });
});
