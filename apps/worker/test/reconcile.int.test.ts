import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from '../../server/test/harness';
import type { ReconcileReport } from '../src/integrity/reconcile';
import { flushPrefix, ownPrefix, runJob, startTestWorker, stow, type TestWorker, waitFor, workerEnv } from './helpers';

describe('reconcile after Redis is flushed', () => {
  let server: TestServer;
  let practice: TestPractice;
  let prefix: string;
  let env: Record<string, string>;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    prefix = ownPrefix();
    server = await startTestServer({ QUEUE_PREFIX: prefix });
    practice = await createTestPractice(server.deps.db, 'Reconcile Vets');
    // A reconcile schedule exists, as in production; the start-up check notices when Redis lost it.
    env = workerEnv(prefix, { RECONCILE_INTERVAL_MINUTES: '60', TRANSCODE_MIN_BYTES: '20000', REPLICA_S3_BUCKET: inject('s3').replicaBucket });
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
  });

  /** Every artifact the database says a practice should have, and whether it is there. */
  async function missingArtifacts(): Promise<string[]> {
    const { db, store } = server.deps;
    const missing: string[] = [];
    const has = async (key: string | null) => !!key && !!(await store.head(key));
    for (const i of await db.instance.findMany({ where: { practiceId: practice.id } })) {
      if (!(await has(i.thumbnailObjectKey))) missing.push(`thumbnail ${i.sopInstanceUid}`);
      const copy = await db.derivedObject.findFirst({ where: { instanceId: i.id, kind: 'TRANSCODED' } });
      if (!(await has(copy?.objectKey ?? null))) missing.push(`transcode ${i.sopInstanceUid}`);
    }
    for (const s of await db.series.findMany({ where: { practiceId: practice.id } })) {
      if (!(await has(s.thumbnailObjectKey))) missing.push(`series thumbnail ${s.seriesInstanceUid}`);
      if (!(await has(s.metadataObjectKey)) || s.metadataVersion !== s.numberOfInstances) missing.push(`series metadata ${s.seriesInstanceUid}`);
    }
    return missing;
  }

  it('restores every missing artifact from the database and object store alone', async () => {
    // Phase 1: a normal day. Two series processed completely.
    const day1 = [1, 2, 3].map((n) => makeDicom({ seed: 7300, instanceNumber: n, rows: 100, columns: 100 }));
    const other = [makeDicom({ seed: 7301, rows: 100, columns: 100 })];
    expect(await stow(server, practice.bearer, [...day1, ...other])).toEqual([200]);
    worker = await startTestWorker(env);
    await waitFor('day 1 artifacts', async () => (await missingArtifacts()).length === 0);
    await worker.stop();
    worker = undefined;

    // Phase 2: while the worker is down, more images arrive, artifacts get lost, and Redis is
    // flushed (every job, schedule and dedup key gone).
    expect(await stow(server, practice.bearer, [4, 5].map((n) => makeDicom({ seed: 7300, instanceNumber: n, rows: 100, columns: 100 })))).toEqual([200]);
    const victim = await server.deps.db.instance.findFirstOrThrow({ where: { practiceId: practice.id, instanceNumber: 2 } });
    await server.deps.store.delete(victim.thumbnailObjectKey!);
    const victimCopy = await server.deps.db.derivedObject.findFirstOrThrow({ where: { instanceId: victim.id, kind: 'TRANSCODED' } });
    await server.deps.store.delete(victimCopy.objectKey);
    const otherSeries = await server.deps.db.series.findFirstOrThrow({ where: { practiceId: practice.id, numberOfInstances: 1 } });
    await server.deps.store.delete(otherSeries.metadataObjectKey!);
    await server.deps.store.delete(otherSeries.thumbnailObjectKey!);
    const newVersion = await server.deps.db.instanceVersion.findFirstOrThrow({ where: { practiceId: practice.id, instance: { instanceNumber: 5 } } });

    expect(await flushPrefix(prefix)).toBeGreaterThan(0);
    const before = await missingArtifacts();
    expect(before.length).toBeGreaterThanOrEqual(8);

    // Phase 3: the worker starts on an empty Redis; nothing else enqueues anything.
    worker = await startTestWorker(env);
    await waitFor('all artifacts restored', async () => (await missingArtifacts()).length === 0);
    const series = await server.deps.db.series.findFirstOrThrow({ where: { practiceId: practice.id, numberOfInstances: 5 } });
    expect(series.metadataVersion).toBe(5);
    // The originals that arrived while Redis was gone reach the second copy too (replication runs
    // after the thumbnail job, so it can still be in flight when the artifacts above are back).
    const replica = worker.deps.replica!;
    await waitFor('new version replicated', async () => (await replica.head(newVersion.objectKey)) !== null);
    expect(await replica.head(newVersion.objectKey)).not.toBeNull();
  });

  it('does not ask for a thumbnail of a series that has only video (the series-thumbnail job would skip it)', async () => {
    // Runs on the worker and data of the test above: every artifact is present.
    const { db } = server.deps;
    const series = await db.series.findFirstOrThrow({ where: { practiceId: practice.id, numberOfInstances: 1 } });
    await db.instance.updateMany({ where: { seriesId: series.id }, data: { transferSyntaxUid: '1.2.840.10008.1.2.4.102' } });
    await db.series.update({ where: { id: series.id }, data: { thumbnailObjectKey: null } });
    const report = (await runJob(worker!, 'reconcile', { practiceId: practice.id, traceId: 'video-only' })) as ReconcileReport;
    expect(report.seriesThumbnails).toBe(0);
  });
});
