import type { Prisma } from '@vetpacs/db';
import { supportedTransferSyntaxes, transferSyntaxInfo } from '@vetpacs/dicom';
import { ImageDecodeError, readAll, renderThumbnail, type TranscodePolicy, transcodeTargets } from '@vetpacs/imaging';
import { type JobPayload, PermanentJobError } from '@vetpacs/jobs';
import type { WorkerDeps } from '../deps';
import { upsertInstanceDerived, upsertSeriesDerived } from '../lib/derived';
import { derivedKeys } from '../lib/keys';

export interface ThumbnailSettings {
  size: number;
  transcode: TranscodePolicy;
}

/** Instances that can have a picture: pixel data geometry known and not a video syntax. */
export function isRenderable(i: { rows: number | null; columns: number | null; transferSyntaxUid: string }): boolean {
  return i.rows !== null && i.columns !== null && !transferSyntaxInfo(i.transferSyntaxUid)?.video;
}

/**
 * {@link isRenderable} as a query filter, for every query that picks instances to draw (the series
 * thumbnail job, and reconcile deciding which series should have one), so the two always agree.
 */
export const renderableWhere = {
  rows: { not: null },
  columns: { not: null },
  transferSyntaxUid: { notIn: supportedTransferSyntaxes().filter((t) => t.video).map((t) => t.uid) },
} satisfies Prisma.InstanceWhereInput;

/**
 * `instance.thumbnail`: renders the instance's middle frame with its own window into a JPEG under
 * the practice's derived prefix, records it, then enqueues the instance's other derived work
 * (transcodes, second copy) so ingest only ever enqueues three jobs.
 */
export function instanceThumbnailHandler(deps: WorkerDeps, s: ThumbnailSettings) {
  return async (p: JobPayload<'instance.thumbnail'>) => {
    const inst = await deps.db.instance.findFirst({ where: { id: p.instanceId, practiceId: p.practiceId } });
    if (!inst) return { skipped: 'instance gone' };
    const base = { practiceId: p.practiceId, traceId: p.traceId, instanceId: inst.id, version: p.version };
    // Follow-ups first: a picture we cannot draw must not stop the second copy.
    if (deps.replica) await deps.jobs.enqueue('instance.replicate', base);
    for (const target of transcodeTargets(inst, s.transcode)) {
      await deps.jobs.enqueue('instance.transcode', { ...base, version: inst.version, targetTransferSyntaxUid: target });
    }
    if (!isRenderable(inst)) return { skipped: 'no image' };
    let jpeg: Buffer;
    try {
      jpeg = (await renderThumbnail(deps.store, inst, { size: s.size })).data;
    } catch (err) {
      if (err instanceof ImageDecodeError) throw new PermanentJobError(err.message);
      throw err;
    }
    const key = derivedKeys.instanceThumbnail(p.practiceId, inst.sopInstanceUid);
    const put = await deps.store.put(key, jpeg, { contentType: 'image/jpeg' });
    await upsertInstanceDerived(deps.db, inst.id, inst.seriesId, { practiceId: p.practiceId, kind: 'THUMBNAIL', objectKey: key, sha256: put.sha256, byteSize: put.size });
    await deps.db.instance.updateMany({ where: { id: inst.id, practiceId: p.practiceId }, data: { thumbnailObjectKey: key } });
    return { key, bytes: put.size };
  };
}

/**
 * `series.thumbnail`: the series' representative image is the thumbnail of its middle image
 * (by Instance Number, then SOP Instance UID); a single multi-frame image shows its middle frame.
 * Reuses the instance's stored thumbnail when there is one.
 */
export function seriesThumbnailHandler(deps: WorkerDeps, s: ThumbnailSettings) {
  return async (p: JobPayload<'series.thumbnail'>) => {
    const series = await deps.db.series.findFirst({ where: { id: p.seriesId, practiceId: p.practiceId } });
    if (!series) return { skipped: 'series gone' };
    // Only what rendering needs: the metadata column of a 2,000-slice CT is megabytes.
    const images = await deps.db.instance.findMany({
      where: { seriesId: series.id, practiceId: p.practiceId, ...renderableWhere },
      orderBy: [{ instanceNumber: { sort: 'asc', nulls: 'last' } }, { sopInstanceUid: 'asc' }],
      select: { id: true, rows: true, columns: true, transferSyntaxUid: true, objectKey: true, byteSize: true, numberOfFrames: true, pixelDataOffset: true, frameOffsets: true, thumbnailObjectKey: true },
    });
    const middle = images[Math.floor((images.length - 1) / 2)];
    if (!middle) return { skipped: 'no image in series' };
    let jpeg: Buffer;
    if (middle.thumbnailObjectKey && (await deps.store.head(middle.thumbnailObjectKey))) {
      jpeg = await readAll(deps.store, middle.thumbnailObjectKey);
    } else {
      try {
        jpeg = (await renderThumbnail(deps.store, middle, { size: s.size })).data;
      } catch (err) {
        if (err instanceof ImageDecodeError) throw new PermanentJobError(err.message);
        throw err;
      }
    }
    const key = derivedKeys.seriesThumbnail(p.practiceId, series.seriesInstanceUid);
    const put = await deps.store.put(key, jpeg, { contentType: 'image/jpeg' });
    await upsertSeriesDerived(deps.db, series.id, { practiceId: p.practiceId, kind: 'THUMBNAIL', objectKey: key, sha256: put.sha256, byteSize: put.size });
    await deps.db.series.updateMany({ where: { id: series.id, practiceId: p.practiceId }, data: { thumbnailObjectKey: key } });
    return { key, instanceId: middle.id };
  };
}
