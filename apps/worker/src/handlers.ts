import type { JobHandlers } from '@vetpacs/jobs';
import type { WorkerConfig } from './config';
import type { WorkerDeps } from './deps';
import { ingestFollowUpsHandler } from './ingest/followups';
import { reconcileHandler } from './integrity/reconcile';
import { replicateHandler } from './integrity/replicate';
import { scrubHandler } from './integrity/scrub';
import { seriesMetadataHandler } from './metadata/handler';
import { instanceThumbnailHandler, seriesThumbnailHandler } from './thumbnails/handlers';
import { transcodeHandler } from './transcode/handler';

/** The settings handlers need, taken from the worker config. */
export type HandlerSettings = Pick<WorkerConfig, 'THUMBNAIL_SIZE' | 'TRANSCODE_MIN_BYTES' | 'TRANSCODE_MAX_BYTES' | 'UNINDEXED_GRACE_MINUTES'>;

/**
 * Every registry job → its handler. Typed `JobHandlers` (a `Record` over the job names), so a job
 * added to the registry without a handler here fails compilation, and `startWorkers` refuses to boot.
 */
export function buildHandlers(deps: WorkerDeps, c: HandlerSettings): JobHandlers {
  const transcode = { minCompressBytes: c.TRANSCODE_MIN_BYTES, maxBytes: c.TRANSCODE_MAX_BYTES };
  const thumbs = { size: c.THUMBNAIL_SIZE, transcode };
  return {
    'instance.thumbnail': instanceThumbnailHandler(deps, thumbs),
    'series.thumbnail': seriesThumbnailHandler(deps, thumbs),
    'instance.transcode': transcodeHandler(deps, transcode),
    'series.metadata': seriesMetadataHandler(deps),
    'ingest.followups': ingestFollowUpsHandler(deps),
    'instance.replicate': replicateHandler(deps),
    'integrity.scrub': scrubHandler(deps, { unindexedGraceMs: c.UNINDEXED_GRACE_MINUTES * 60_000 }),
    reconcile: reconcileHandler(deps, { transcode }),
  };
}
