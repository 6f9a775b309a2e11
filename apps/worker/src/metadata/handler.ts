import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { JobPayload } from '@vetpacs/jobs';
import type { WorkerDeps } from '../deps';
import { upsertSeriesDerived } from '../lib/derived';
import { derivedKeys } from '../lib/keys';

const PAGE = 250;

/**
 * `series.metadata`: precomputes the WADO-RS series metadata response (PS3.18 §10.4.1.4, a JSON
 * array of DICOM JSON data sets, §F.2) as one gzip object, so a viewer opening a 1,000-slice CT gets
 * one stored object instead of 1,000 JSON rows aggregated per request. BulkDataURIs keep the
 * `{{DICOMWEB_ROOT}}` placeholder; the server resolves it when serving.
 *
 * The blob is valid for the instance count it records (`series.metadataVersion`); readers serve it
 * only when that equals `series.numberOfInstances` and aggregate the rows otherwise. Instances are
 * streamed page by page into gzip and on to the store: memory stays constant for any series size.
 */
export function seriesMetadataHandler(deps: WorkerDeps) {
  return async (p: JobPayload<'series.metadata'>) => {
    const series = await deps.db.series.findFirst({
      where: { id: p.seriesId, practiceId: p.practiceId },
      select: { id: true, seriesInstanceUid: true, numberOfInstances: true, metadataObjectKey: true, metadataVersion: true },
    });
    if (!series) return { skipped: 'series gone' };
    if (series.metadataObjectKey && series.metadataVersion === series.numberOfInstances && (await deps.store.head(series.metadataObjectKey))) {
      return { skipped: 'up to date', count: series.metadataVersion };
    }
    // Ids first (small even for 2,000 slices): the blob then holds exactly these instances, however
    // many arrive while it is written, and its name and metadataVersion carry that count.
    const ids = (
      await deps.db.instance.findMany({
        where: { seriesId: series.id, practiceId: p.practiceId },
        orderBy: [{ instanceNumber: { sort: 'asc', nulls: 'last' } }, { sopInstanceUid: 'asc' }],
        select: { id: true },
      })
    ).map((r) => r.id);
    const count = ids.length;
    const db = deps.db;
    async function* json() {
      yield '[';
      for (let at = 0; at < ids.length; at += PAGE) {
        const chunk = ids.slice(at, at + PAGE);
        const rows = await db.instance.findMany({ where: { id: { in: chunk }, practiceId: p.practiceId }, select: { id: true, metadata: true } });
        const byId = new Map(rows.map((r) => [r.id, r.metadata]));
        // Instances are never deleted; if one were, the count in the name would lie: fail and retry.
        if (byId.size !== chunk.length) throw new Error('series changed while its metadata was written');
        yield (at ? ',' : '') + chunk.map((id) => JSON.stringify(byId.get(id))).join(',');
      }
      yield ']';
    }
    const key = derivedKeys.seriesMetadata(p.practiceId, series.seriesInstanceUid, count);
    const gz = createGzip();
    const writing = deps.store.put(key, gz, { contentType: 'application/gzip' });
    const [put] = await Promise.all([writing, pipeline(Readable.from(json()), gz)]);

    await upsertSeriesDerived(deps.db, series.id, { practiceId: p.practiceId, kind: 'SERIES_METADATA', objectKey: key, sha256: put.sha256, byteSize: put.size });
    await deps.db.series.updateMany({ where: { id: series.id, practiceId: p.practiceId }, data: { metadataObjectKey: key, metadataVersion: count } });
    // Readers fall back to the rows if they race with this delete; older blobs are dead weight.
    if (series.metadataObjectKey && series.metadataObjectKey !== key) await deps.store.delete(series.metadataObjectKey);

    // An instance that arrived while we streamed already scheduled a follow-up rebuild (the job is
    // deduplicated with keepLastIfActive); enqueueing once more covers an enqueue that failed.
    const now = await deps.db.series.findFirst({ where: { id: series.id }, select: { numberOfInstances: true } });
    if (now && now.numberOfInstances > count) await deps.jobs.enqueue('series.metadata', p);
    return { key, count };
  };
}
