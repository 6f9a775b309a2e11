/**
 * Worker benchmark (report, not a test). Prints:
 *  1. thumbnails/s for 10 MB radiographs (2500x2000, 16-bit) and 0.5 MB CT slices (512x512, 16-bit),
 *     object store = local directory, so this measures decode + window + resize + JPEG;
 *  2. transcode MB/s (uncompressed 10 MB radiograph → JPEG-LS lossless, including the lossless
 *     re-decode check);
 *  3. last-instance-stored → series metadata and thumbnail ready (p50/p95) while 300-slice CT series
 *     are ingested over STOW-RS, with a real server, worker, Postgres, Redis and s3rver.
 * Run: node --import tsx apps/worker/bench/thumbnails.ts   (env: BENCH_RUNS=6 series, 0 = only parts 1-2;
 *      BENCH_DATABASE_ADMIN_URL, REDIS_URL)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiToken, createDb, createPractice } from '@vetpacs/db';
import { migrate } from '@vetpacs/db/migrate';
import { HeaderCollector } from '@vetpacs/dicom';
import { makeDicom } from '@vetpacs/dicom/testing';
import { createDatabaseIfMissing, dropDatabase, ensureRedis, startS3rver, withDatabase } from '@vetpacs/devservices';
import { initCodecs, renderThumbnail, type StoredImage, transcodeVerified, LOSSLESS_COPY_SYNTAX } from '@vetpacs/imaging';
import { FsObjectStore } from '@vetpacs/storage';
import pino from 'pino';
import { buildServer } from '../../server/src/app';
import { parseServerConfig } from '../../server/src/config';
import { closeServerDeps, createServerDeps } from '../../server/src/deps';
import { startWorker } from '../src/app';
import { parseWorkerConfig } from '../src/config';
import { closeWorkerDeps, createWorkerDeps } from '../src/deps';

const work = await mkdtemp(path.join(tmpdir(), 'vetpacs-wbench-'));
const fs = new FsObjectStore(work);
await initCodecs();

async function stored(key: string, file: Buffer): Promise<StoredImage> {
  const c = new HeaderCollector();
  c.push(file);
  const p = c.finish();
  await fs.put(key, file);
  return { objectKey: key, transferSyntaxUid: p.transferSyntaxUid, byteSize: file.length, numberOfFrames: p.numberOfFrames, pixelDataOffset: p.pixelData?.offset ?? null, frameOffsets: p.pixelData?.frames ?? null };
}

async function thumbsPerSecond(label: string, file: Buffer, n: number) {
  const img = await stored(`bench/${label}.dcm`, file);
  await renderThumbnail(fs, img); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await renderThumbnail(fs, img);
  const s = (performance.now() - t0) / 1000;
  console.log(`thumbnails ${label} (${(file.length / 1e6).toFixed(1)} MB): ${(n / s).toFixed(1)}/s (${n} in ${s.toFixed(1)} s)`);
}

const radiograph = makeDicom({ seed: 1, modality: 'DX', rows: 2500, columns: 2000 });
const ct = makeDicom({ seed: 2, modality: 'CT', rows: 512, columns: 512 });
await thumbsPerSecond('radiograph', radiograph, 20);
await thumbsPerSecond('ct-slice', ct, 100);
{
  await transcodeVerified(ct, LOSSLESS_COPY_SYNTAX);
  const n = 5;
  const t0 = performance.now();
  let out = 0;
  for (let i = 0; i < n; i++) out = (await transcodeVerified(radiograph, LOSSLESS_COPY_SYNTAX)).bytes.length;
  const s = (performance.now() - t0) / 1000;
  console.log(`transcode radiograph → JPEG-LS lossless (verified): ${((n * radiograph.length) / 1e6 / s).toFixed(1)} MB/s of original, ratio ${(radiograph.length / out).toFixed(1)}:1 (synthetic image compresses better than real ones)`);
}

if (process.env.BENCH_RUNS === '0') {
  await rm(work, { recursive: true, force: true });
  process.exit(0);
}

// 3. End to end: STOW 300 CT slices per series; time from the last slice's 200 to metadata + thumbnail ready.
const admin = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `vetpacs_wbench_${Date.now().toString(36)}`;
await createDatabaseIfMissing(admin, dbName);
const databaseUrl = withDatabase(admin, dbName);
await migrate(databaseUrl);
const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const s3 = await startS3rver({ directory: path.join(work, 's3'), buckets: ['wbench'] });
const env = {
  NODE_ENV: 'production', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, REDIS_URL: redis.url, QUEUE_PREFIX: dbName,
  STORAGE_BACKEND: 's3', S3_ENDPOINT: s3.endpoint, S3_BUCKET: 'wbench', S3_REGION: s3.region, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  UPLOAD_STAGING_DIR: path.join(work, 'staging'), PORT: '0', SCRUB_INTERVAL_HOURS: '0', RECONCILE_INTERVAL_MINUTES: '0',
};
const serverConfig = parseServerConfig(env);
const serverDeps = createServerDeps(serverConfig);
const app = await buildServer({ config: serverConfig, deps: serverDeps, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
const workerConfig = parseWorkerConfig(env);
const workerDeps = createWorkerDeps(workerConfig, pino({ level: 'silent' }));
const worker = await startWorker(workerConfig, workerDeps);
const db = createDb(databaseUrl);
const practice = await createPractice(db, { name: 'Bench', slug: 'bench' }, { type: 'SYSTEM', id: 'bench' });
const token = (await createApiToken(db, practice.id, { name: 'bench', role: 'VET' }, { type: 'SYSTEM', id: 'bench' })).token;

const runs = Number(process.env.BENCH_RUNS ?? 6);
const samples: { meta: number; thumb: number }[] = [];
for (let run = 0; run < runs; run++) {
  const seriesUid = `1.2.826.0.1.3680043.10.1000.99.${run}.1`;
  const slices = Array.from({ length: 300 }, (_, i) =>
    makeDicom({ seed: 100 + run, modality: 'CT', rows: 512, columns: 512, instanceNumber: i + 1, studyInstanceUid: `1.2.826.0.1.3680043.10.1000.99.${run}`, seriesInstanceUid: seriesUid }),
  );
  for (let i = 0; i < slices.length; i += 10) {
    const boundary = `b${i}`;
    const body = Buffer.concat([...slices.slice(i, i + 10).flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n')]), Buffer.from(`--${boundary}--\r\n`)]);
    const res = await fetch(`${base}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` }, body });
    if (res.status !== 200) throw new Error(`STOW ${res.status}`);
  }
  const t0 = performance.now();
  const lastStored = new Date();
  let meta = 0;
  let thumb = 0;
  while (!meta || !thumb) {
    const s = await db.series.findFirst({ where: { practiceId: practice.id, seriesInstanceUid: seriesUid } });
    const now = performance.now() - t0;
    if (!meta && s?.metadataObjectKey && s.metadataVersion === 300) meta = now;
    // The series thumbnail may have been drawn mid-ingest; count the rebuild after the last slice.
    const t = s && (await db.derivedObject.findFirst({ where: { seriesId: s.id, instanceId: null, kind: 'THUMBNAIL', createdAt: { gte: lastStored } } }));
    if (!thumb && t) thumb = now;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Let the per-instance thumbnails of this series drain before the next series is sent.
  while ((await workerDeps.jobs.counts()).media!.waiting! + (await workerDeps.jobs.counts()).media!.prioritized! > 0) await new Promise((r) => setTimeout(r, 200));
  samples.push({ meta, thumb });
  console.log(`series ${run + 1}: metadata ready ${meta.toFixed(0)} ms, series thumbnail ready ${thumb.toFixed(0)} ms after the last slice was stored`);
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const m = samples.map((s) => s.meta);
const t = samples.map((s) => s.thumb);
console.log(`300-slice CT, last instance → metadata ready: p50 ${pct(m, 50).toFixed(0)} ms, p95 ${pct(m, 95).toFixed(0)} ms; → series thumbnail: p50 ${pct(t, 50).toFixed(0)} ms, p95 ${pct(t, 95).toFixed(0)} ms (n=${runs})`);

await worker.stop();
await closeWorkerDeps(workerDeps);
await app.close();
await closeServerDeps(serverDeps);
await db.close();
await s3.stop();
await redis.stop();
await dropDatabase(admin, dbName);
await rm(work, { recursive: true, force: true });
