/**
 * Stands in for the worker's `series.metadata` job in benchmarks: writes each series' metadata
 * document (gzip JSON array of the instances' stored DICOM JSON, BulkDataURIs still carrying the
 * placeholder) to the object store and points `series.metadata_object_key` / `metadata_version`
 * at it, so the metadata phase can be measured on the precomputed fast path.
 *
 *   node --import tsx apps/server/bench/precompute-metadata.ts --database-url … --objects <fs root> --practice <id>
 */
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createDb } from '@vetpacs/db';
import { FsObjectStore } from '@vetpacs/storage';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, objects: { type: 'string' }, practice: { type: 'string' } } });
const db = createDb(values['database-url']!, { maxConnections: 2 });
const store = new FsObjectStore(values.objects!);
const series = await db.series.findMany({ where: { practiceId: values.practice! }, select: { id: true, numberOfInstances: true } });
let bytes = 0;
for (const se of series) {
  const [row] = await db.$queryRaw<{ json: string; n: number }[]>`
    SELECT '[' || string_agg(metadata::text, ',' ORDER BY instance_number NULLS LAST, created_at) || ']' AS json, count(*)::int AS n
    FROM instance WHERE series_id = ${se.id}::uuid`;
  const gz = gzipSync(row!.json);
  bytes += gz.length;
  const key = `practices/${values.practice}/derived/series-metadata/${se.id}-v${row!.n}.json.gz`;
  await store.put(key, gz);
  await db.series.update({ where: { id: se.id }, data: { metadataObjectKey: key, metadataVersion: row!.n } });
}
process.stderr.write(`precomputed ${series.length} series metadata documents (${(bytes / 1e6).toFixed(1)} MB gzip)\n`);
await db.close();
