import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openQueueDb } from './db';
import { QueueRepo } from './repo';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo() {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-queue-'));
  dirs.push(dir);
  return new QueueRepo(openQueueDb(dir));
}
const add = (r: QueueRepo, sop: string, study: string, extra: Partial<Parameters<QueueRepo['addInstance']>[0]> = {}) =>
  r.addInstance({ sopInstanceUid: sop, studyInstanceUid: study, source: 'dimse', path: `/spool/${sop}`, size: 100, sha256: `${sop}-sha`, ...extra });

describe('QueueRepo', () => {
  it('does not queue the same instance with the same bytes twice', () => {
    const r = repo();
    expect(add(r, '1.1', 'S1').duplicate).toBe(false);
    expect(add(r, '1.1', 'S1').duplicate).toBe(true);
    expect(add(r, '1.1', 'S1', { sha256: 'other' }).duplicate).toBe(false); // new bytes: the cloud decides (version 2)
  });
  it('hands out work study by study, urgent studies first', () => {
    const r = repo();
    add(r, 'a1', 'A');
    add(r, 'b1', 'B');
    add(r, 'a2', 'A');
    expect(r.nextDue()?.sop_instance_uid).toBe('a1');
    const a1 = r.nextDue()!;
    expect(r.dueOfStudy(a1.study_order, a1.id, 1000, 10).map((i) => i.sop_instance_uid)).toEqual(['a2']);
    r.markStudyUrgent('B');
    expect(r.nextDue()?.sop_instance_uid).toBe('b1');
    expect(add(r, 'b2', 'B').id).toBeGreaterThan(0);
    expect(r.dueOfStudy(r.nextDue()!.study_order, r.nextDue()!.id, 1000, 10)[0]).toMatchObject({ sop_instance_uid: 'b2', priority: 1 });
  });
  it('moves rows queued → uploading → verified or failed, keeping permanent failures', () => {
    const r = repo();
    const a = add(r, 'a', 'S').id;
    const b = add(r, 'b', 'S').id;
    const u = r.createUpload('bundle', '/b.tar', 0, [a, b], 0);
    expect(r.upload(u)?.state).toBe('building');
    r.openUpload(u, 2048);
    expect(r.nextDue()).toBeUndefined();
    r.finishUpload(u, new Map([[a, { kind: 'verified', status: 'STORED', version: 1 }], [b, { kind: 'permanent', code: 'INVALID_UID', reason: 'bad' }]]), 0);
    expect(r.pendingBytes()).toBe(100);
    expect(r.cachedBytes()).toBe(100);
    expect(r.nextDue()).toBeUndefined(); // permanent failures are never retried on their own
    expect(r.retryFailed()).toBe(1);
    expect(r.nextDue()?.sop_instance_uid).toBe('b');
  });
  it('recovers after a crash: half-built bundles are dropped, open uploads kept for resuming', () => {
    const r = repo();
    const a = add(r, 'a', 'S').id;
    const b = add(r, 'b', 'S').id;
    const c = add(r, 'c', 'T').id;
    r.createUpload('bundle', '/half.tar', 0, [a, b], 0);
    const open = r.createUpload('instance', '/c', 100, [c], 0);
    r.setUploadUrl(open, 'http://cloud/api/uploads/x');
    const rec = r.recover();
    expect(rec.bundlesDiscarded).toEqual(['/half.tar']);
    expect(rec.requeued).toBe(0);
    expect(r.dueUploads().map((u) => u.id)).toEqual([open]);
    expect(r.nextDue()?.sop_instance_uid).toBe('a');
    expect(r.referencedPaths().has('/half.tar')).toBe(false);
  });
});
