import { createHash } from 'node:crypto';
import { makeDicom } from '@vetpacs/dicom/testing';
import { readAll } from '@vetpacs/imaging';
import { createObjectStore, type ObjectStore } from '@vetpacs/storage';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from '../../server/test/harness';
import type { ScrubReport } from '../src/integrity/scrub';
import { startMetricsServer } from '../src/ops/metrics';
import { ownPrefix, runJob, startTestWorker, stow, type TestWorker, waitFor, workerEnv } from './helpers';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('second copy, integrity scrub and repair', () => {
  let server: TestServer;
  let worker: TestWorker;
  let practice: TestPractice;
  let replica: ObjectStore;
  const files = [1, 2, 3].map((n) => makeDicom({ seed: 6200, instanceNumber: n, rows: 128, columns: 128 }));

  beforeAll(async () => {
    const prefix = ownPrefix();
    server = await startTestServer({ QUEUE_PREFIX: prefix });
    practice = await createTestPractice(server.deps.db, 'Scrub Vets');
    const s3 = inject('s3');
    worker = await startTestWorker(workerEnv(prefix, { REPLICA_S3_BUCKET: s3.replicaBucket, UNINDEXED_GRACE_MINUTES: '0' }));
    replica = createObjectStore({ backend: 's3', endpoint: s3.endpoint, region: s3.region, bucket: s3.replicaBucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    expect(await stow(server, practice.bearer, files)).toEqual([200]);
  });
  afterAll(async () => {
    await worker?.stop();
    await replica?.close?.();
    await server?.close();
  });

  const versions = () => server.deps.db.instanceVersion.findMany({ where: { practiceId: practice.id }, orderBy: { objectKey: 'asc' } });

  it('replicates every original to the second store, byte-identical', async () => {
    for (const v of await versions()) {
      await waitFor(`replica of ${v.objectKey}`, () => replica.head(v.objectKey));
      expect(sha(await readAll(replica, v.objectKey))).toBe(v.sha256);
    }
  });

  it('finds a clean store clean', async () => {
    const report = (await runJob(worker, 'integrity.scrub', { practiceId: practice.id, traceId: 't-clean', full: true })) as ScrubReport;
    expect(report).toMatchObject({ checked: 3, mismatches: 0, repaired: 0, unindexed: 0 });
  });

  it('detects a corrupted, a truncated and a deleted original, raises alerts and repairs them from the replica', async () => {
    const [a, b, c] = await versions();
    const original = await readAll(server.deps.store, a!.objectKey);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 100] = flipped[flipped.length - 100]! ^ 0xff; // same size, one pixel altered
    await server.deps.store.put(a!.objectKey, flipped);
    await server.deps.store.put(b!.objectKey, (await readAll(server.deps.store, b!.objectKey)).subarray(0, 1000));
    await server.deps.store.delete(c!.objectKey);

    const report = (await runJob(worker, 'integrity.scrub', { practiceId: practice.id, traceId: 't-dirty', full: true })) as ScrubReport;
    expect(report).toMatchObject({ checked: 3, mismatches: 3, repaired: 3 });
    for (const v of [a, b, c]) expect(sha(await readAll(server.deps.store, v!.objectKey))).toBe(v!.sha256);

    const alerts = await server.deps.db.auditEvent.findMany({ where: { practiceId: practice.id, action: 'integrity.mismatch' } });
    const kinds = alerts.map((e) => (e.details as { kind: string; repaired: boolean }));
    expect(kinds.map((k) => k.kind).sort()).toEqual(['hash', 'missing', 'size']);
    expect(kinds.every((k) => k.repaired)).toBe(true);
    const metrics = await worker.deps.metrics.registry.getSingleMetricAsString('vetpacs_integrity_mismatches_total');
    expect(metrics).toMatch(/kind="hash",repaired="true"} 1/);
  });

  it('never overwrites from a damaged replica, and reports objects nobody indexed without deleting them', async () => {
    const [a] = await versions();
    await replica.put(a!.objectKey, Buffer.from('not the original'));
    await server.deps.store.delete(a!.objectKey);
    const stray = `practices/${practice.id}/originals/1.2.3/4.5.6/7.8.9/stray.dcm`;
    await server.deps.store.put(stray, Buffer.from('foreign'));

    const report = (await runJob(worker, 'integrity.scrub', { practiceId: practice.id, traceId: 't-bad-replica', full: false })) as ScrubReport;
    expect(report).toMatchObject({ mismatches: 1, repaired: 0, unindexed: 1 });
    expect(await server.deps.store.head(a!.objectKey)).toBeNull();
    expect(await server.deps.store.head(stray)).not.toBeNull();
    const unindexed = await server.deps.db.auditEvent.findFirst({ where: { practiceId: practice.id, action: 'integrity.unindexed' } });
    expect(unindexed?.details).toMatchObject({ objectKey: stray, kind: 'unindexed' });
    const failed = await server.deps.db.auditEvent.findFirst({ where: { practiceId: practice.id, action: 'integrity.mismatch', entityId: a!.instanceId }, orderBy: { at: 'desc' } });
    expect(failed?.details).toMatchObject({ kind: 'missing', repaired: false });
  });

  it('exposes queue depths, job durations and integrity counters to Prometheus', async () => {
    const http = await startMetricsServer(worker.deps.metrics, worker.deps.jobs, '127.0.0.1', 0);
    try {
      const addr = http.address();
      const res = await fetch(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/vetpacs_queue_jobs\{queue="media",state="waiting"\} \d+/);
      expect(text).toMatch(/vetpacs_job_duration_seconds_count\{queue="integrity",job="integrity.scrub",outcome="completed"\} [1-9]/);
      expect(text).toMatch(/vetpacs_integrity_mismatches_total\{kind="missing",repaired="false"\} [1-9]/);
    } finally {
      await new Promise((r) => http.close(r));
    }
  });
});
