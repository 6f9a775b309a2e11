/**
 * Runs the worker's `series.metadata` job (apps/worker/src/metadata/handler.ts) for every series of
 * a practice, so benchmarks measure the metadata phase on the precomputed fast path with exactly
 * the document production serves. The handler gets only what it uses: the database, the object
 * store and a job producer that enqueues nothing (no follow-up rebuilds in a benchmark).
 *
 *   node --import tsx apps/server/bench/precompute-metadata.ts --database-url … --objects <fs root> --practice <id>
 */
import { parseArgs } from 'node:util';
import { createDb } from '@vetpacs/db';
import { FsObjectStore } from '@vetpacs/storage';
import type { WorkerDeps } from '../../worker/src/deps';
import { seriesMetadataHandler } from '../../worker/src/metadata/handler';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, objects: { type: 'string' }, practice: { type: 'string' } } });
const practiceId = values.practice!;
const db = createDb(values['database-url']!, { maxConnections: 2 });
const store = new FsObjectStore(values.objects!);
const jobs = { enqueue: async () => undefined } as unknown as WorkerDeps['jobs'];
const deps: Pick<WorkerDeps, 'db' | 'store' | 'jobs'> = { db, store, jobs };
const precompute = seriesMetadataHandler(deps as WorkerDeps);
const series = await db.series.findMany({ where: { practiceId }, select: { id: true } });
let bytes = 0;
for (const se of series) {
  await precompute({ practiceId, seriesId: se.id, traceId: 'bench-precompute-metadata' });
  const row = await db.series.findFirst({ where: { id: se.id }, select: { metadataObjectKey: true } });
  const head = row?.metadataObjectKey ? await store.head(row.metadataObjectKey) : null;
  bytes += head?.size ?? 0;
}
process.stderr.write(`precomputed ${series.length} series metadata documents (${(bytes / 1e6).toFixed(1)} MB gzip)\n`);
await db.close();
