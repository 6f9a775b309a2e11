/**
 * Starts one server for a benchmark run on a fresh database and empty storage, and prints
 * `BASE=… TOKEN=… [TOKEN2=…] PID=… DATABASE_URL=… PRACTICE=… OBJECTS=…` for the bench scripts (OBJECTS: the
 * fs store's root, empty for s3). Storage: BENCH_STORAGE=s3 (local s3rver) or fs. Stops everything
 * (server, s3rver, database, files) on SIGTERM/SIGINT. Used by scripts/bench/ingest.sh and by the
 * DICOMweb benchmark (apps/server/bench/run.sh, metadata-encodings.sh).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiToken, createDb, createPractice } from '@vetpacs/db';
import { migrate } from '@vetpacs/db/migrate';
import { createDatabaseIfMissing, deleteRedisPrefix, dropDatabase, startS3rver, withDatabase } from '@vetpacs/devservices';
import { SERVER_ENTRY, SERVER_ENV_DEFAULTS, SERVER_NODE_FLAGS } from '../runtime';

const root = path.resolve(import.meta.dirname, '../..');
const admin = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `vetpacs_bench_${Date.now().toString(36)}`;
const backend = process.env.BENCH_STORAGE ?? 's3';
const port = process.env.BENCH_PORT ?? '18080';
const work = await mkdtemp(path.join(process.env.BENCH_TMP ?? tmpdir(), 'vetpacs-bench-'));

await createDatabaseIfMissing(admin, dbName);
const databaseUrl = withDatabase(admin, dbName);
await migrate(databaseUrl);
const env: Record<string, string> = {
  ...SERVER_ENV_DEFAULTS,
  ...(process.env as Record<string, string>),
  DATABASE_URL: databaseUrl,
  QUEUE_PREFIX: dbName,
  UPLOAD_STAGING_DIR: path.join(work, 'staging'),
  HOST: '127.0.0.1',
  PORT: port,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
};
let s3: Awaited<ReturnType<typeof startS3rver>> | undefined;
const objects = backend === 'fs' ? path.join(work, 'objects') : '';
if (backend === 'fs') {
  Object.assign(env, { STORAGE_BACKEND: 'fs', STORAGE_FS_ROOT: objects });
  await mkdir(objects, { recursive: true });
} else {
  s3 = await startS3rver({ directory: path.join(work, 's3'), buckets: ['bench'] });
  Object.assign(env, {
    STORAGE_BACKEND: 's3', S3_ENDPOINT: s3.endpoint, S3_BUCKET: 'bench', S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_FORCE_PATH_STYLE: 'true',
  });
}
const db = createDb(databaseUrl, { maxConnections: 1 });
const practice = await createPractice(db, { name: 'Bench Vets', slug: 'bench' }, { type: 'CLI', id: 'bench' });
const { token } = await createApiToken(db, practice.id, { name: 'bench', role: 'VET' }, { type: 'CLI', id: 'bench' });
// BENCH_SECOND_PRACTICE=1: a token of a second practice too (TOKEN2), to run a workload through
// the same process first without touching the benchmarked practice (a server in steady state:
// its JavaScript compiled, as after hours of traffic, instead of a fresh process).
let token2 = '';
if (process.env.BENCH_SECOND_PRACTICE === '1') {
  const second = await createPractice(db, { name: 'Bench Vets 2', slug: 'bench-2' }, { type: 'CLI', id: 'bench' });
  token2 = (await createApiToken(db, second.id, { name: 'bench', role: 'VET' }, { type: 'CLI', id: 'bench' })).token;
}
await db.close();

// BENCH_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
// The server runs as in production (`npm start`): the bundle with the production flags. Build it
// first (`pnpm --filter @vetpacs/server build`; ingest.sh does). BENCH_TSX=1 runs the sources.
// BENCH_NODE_ARGS come after the production flags, so they can override them. BENCH_SERVER_ENTRY
// runs another bundle (A/B runs: `node --import tsx scripts/bundle.ts apps/server/src/main.ts /tmp/a.mjs`).
const args = process.env.BENCH_TSX === '1' ? [...nodeArgs, '--import', 'tsx', path.join(root, 'apps/server/src/main.ts')] : [...SERVER_NODE_FLAGS, ...nodeArgs, path.resolve(root, process.env.BENCH_SERVER_ENTRY ?? SERVER_ENTRY)];
const server = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
for (let i = 0; i < 300; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
process.stdout.write(
  `BASE=http://127.0.0.1:${port}/dicomweb TOKEN=${token}${token2 ? ` TOKEN2=${token2}` : ''} PID=${server.pid} S3PID=${process.pid} DATABASE_URL=${databaseUrl} PRACTICE=${practice.id} OBJECTS=${objects}\n`,
);

const stop = async () => {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await s3?.stop();
  await dropDatabase(admin, dbName);
  // The run's queues (no worker consumed them): ~15 keys per stored instance otherwise stay behind.
  await deleteRedisPrefix(env.REDIS_URL ?? 'redis://127.0.0.1:6379', dbName).catch((err) => process.stderr.write(`could not clear the run's Redis keys: ${err}\n`));
  // BENCH_KEEP_FILES=1 leaves the store for the caller to delete later: ext4 skips inodes deleted
  // in the last 60–300 s when it allocates new ones, so deleting thousands of files right before the
  // next run makes that run's file creation slower (measured, docs/benchmarks.md "Ingest").
  if (process.env.BENCH_KEEP_FILES !== '1') await rm(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
