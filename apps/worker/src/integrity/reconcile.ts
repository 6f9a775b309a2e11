import { type TranscodePolicy, transcodeTargets } from '@vetpacs/imaging';
import type { JobPayload } from '@vetpacs/jobs';
import type { WorkerDeps } from '../deps';
import { derivedKeys } from '../lib/keys';
import { isRenderable, renderableWhere } from '../thumbnails/handlers';

export interface ReconcileSettings {
  transcode: TranscodePolicy;
}

export interface ReconcileReport {
  instanceThumbnails: number;
  transcodes: number;
  replications: number;
  seriesMetadata: number;
  seriesThumbnails: number;
}

const PAGE = 500;

/**
 * `reconcile`: Postgres and the object store are the source of truth, Redis is not. After Redis was
 * flushed or lost (or an enqueue failed), this finds every derived artifact that should exist but
 * does not (row pointer unset, or object absent from one listing of the practice's derived prefix)
 * and every original missing from the replica, and enqueues the job that makes it. Job ids and
 * deduplication keep this idempotent; a job that once completed is replaced so it runs again.
 */
export function reconcileHandler(deps: WorkerDeps, s: ReconcileSettings) {
  return async (p: JobPayload<'reconcile'>): Promise<ReconcileReport> => {
    const practiceIds = p.practiceId ? [p.practiceId] : (await deps.db.practice.findMany({ select: { id: true } })).map((x) => x.id);
    const report: ReconcileReport = { instanceThumbnails: 0, transcodes: 0, replications: 0, seriesMetadata: 0, seriesThumbnails: 0 };
    for (const practiceId of practiceIds) await reconcilePractice(deps, s, practiceId, p.traceId, report);
    deps.log.info({ ...report }, 'reconcile finished');
    return report;
  };
}

async function listKeys(store: WorkerDeps['store'], prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const o of store.list(prefix)) keys.add(o.key);
  return keys;
}

async function reconcilePractice(deps: WorkerDeps, s: ReconcileSettings, practiceId: string, traceId: string, r: ReconcileReport): Promise<void> {
  const base = { practiceId, traceId };
  const again = { replaceFinished: true };
  const derived = await listKeys(deps.store, derivedKeys.practice(practiceId));
  const present = (key: string | null | undefined) => !!key && derived.has(key);

  let cursor: string | undefined;
  for (;;) {
    const page = await deps.db.instance.findMany({
      where: { practiceId },
      orderBy: { id: 'asc' },
      take: PAGE,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      select: { id: true, version: true, rows: true, columns: true, transferSyntaxUid: true, byteSize: true, bitsAllocated: true, thumbnailObjectKey: true },
    });
    const copies = await deps.db.derivedObject.findMany({
      where: { practiceId, kind: 'TRANSCODED', instanceId: { in: page.map((i) => i.id) } },
      select: { instanceId: true, transferSyntaxUid: true, objectKey: true },
    });
    const have = new Set(copies.filter((c) => present(c.objectKey)).map((c) => `${c.instanceId}|${c.transferSyntaxUid}`));
    for (const inst of page) {
      if (isRenderable(inst) && !present(inst.thumbnailObjectKey)) {
        await deps.jobs.enqueue('instance.thumbnail', { ...base, instanceId: inst.id, version: inst.version }, again);
        r.instanceThumbnails++;
      }
      for (const target of transcodeTargets(inst, s.transcode)) {
        if (have.has(`${inst.id}|${target}`)) continue;
        await deps.jobs.enqueue('instance.transcode', { ...base, instanceId: inst.id, version: inst.version, targetTransferSyntaxUid: target }, again);
        r.transcodes++;
      }
    }
    if (page.length < PAGE) break;
    cursor = page[page.length - 1]!.id;
  }

  if (deps.replica) {
    const replicated = await listKeys(deps.replica, derivedKeys.originals(practiceId));
    let vCursor: string | undefined;
    for (;;) {
      const page = await deps.db.instanceVersion.findMany({
        where: { practiceId },
        orderBy: { id: 'asc' },
        take: PAGE,
        ...(vCursor ? { cursor: { id: vCursor }, skip: 1 } : {}),
        select: { id: true, instanceId: true, version: true, objectKey: true },
      });
      for (const v of page) {
        if (replicated.has(v.objectKey)) continue;
        await deps.jobs.enqueue('instance.replicate', { ...base, instanceId: v.instanceId, version: v.version }, again);
        r.replications++;
      }
      if (page.length < PAGE) break;
      vCursor = page[page.length - 1]!.id;
    }
  }

  const series = await deps.db.series.findMany({
    where: { practiceId },
    select: { id: true, numberOfInstances: true, metadataVersion: true, metadataObjectKey: true, thumbnailObjectKey: true, instances: { where: renderableWhere, select: { id: true }, take: 1 } },
  });
  for (const se of series) {
    if (se.numberOfInstances > 0 && (se.metadataVersion !== se.numberOfInstances || !present(se.metadataObjectKey))) {
      await deps.jobs.enqueue('series.metadata', { ...base, seriesId: se.id });
      r.seriesMetadata++;
    }
    if (se.instances.length > 0 && !present(se.thumbnailObjectKey)) {
      await deps.jobs.enqueue('series.thumbnail', { ...base, seriesId: se.id });
      r.seriesThumbnails++;
    }
  }
}
