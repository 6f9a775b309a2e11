import { describe, expect, it } from 'vitest';
import { decideOutcome } from './outcome';

const local = { sha256: 'a'.repeat(64), rejections: 0 };

describe('decideOutcome', () => {
  it('verifies only when the cloud stored our exact bytes', () => {
    expect(decideOutcome(local, { status: 'STORED', sha256: local.sha256, version: 1 })).toEqual({ kind: 'verified', status: 'STORED', version: 1 });
    expect(decideOutcome(local, { status: 'DUPLICATE', sha256: local.sha256, version: 1 }).kind).toBe('verified');
    expect(decideOutcome(local, { status: 'STORED', sha256: 'b'.repeat(64) })).toMatchObject({ kind: 'retry', code: 'HASH_MISMATCH' });
  });
  it('re-sends after transport damage without counting a rejection', () => {
    expect(decideOutcome(local, { status: 'REJECTED', code: 'HASH_MISMATCH', reason: 'x' })).toEqual({ kind: 'retry', code: 'HASH_MISMATCH', reason: 'x' });
    expect(decideOutcome(local, { status: 'REJECTED', code: 'BUNDLE_FORMAT', reason: 'x' }).kind).toBe('retry');
  });
  it('confirms a content rejection once before making it permanent', () => {
    const bad = { status: 'REJECTED' as const, code: 'INVALID_UID', reason: 'bad UID' };
    expect(decideOutcome(local, bad)).toMatchObject({ kind: 'retry', confirm: true });
    expect(decideOutcome({ ...local, rejections: 1 }, bad)).toEqual({ kind: 'permanent', code: 'INVALID_UID', reason: 'bad UID' });
  });
  it('makes a rejection permanent at once when the cloud hashed our exact bytes', () => {
    expect(decideOutcome(local, { status: 'REJECTED', code: 'WRONG_STUDY', reason: 'r', sha256: local.sha256 }).kind).toBe('permanent');
  });
  it('treats a missing receipt as transient', () => {
    expect(decideOutcome(local, undefined)).toMatchObject({ kind: 'retry', code: 'NO_RECEIPT' });
  });
});
