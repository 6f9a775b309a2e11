/**
 * Starts one server for a DICOMweb benchmark on a fresh database and empty filesystem storage,
 * and prints `BASE=… TOKEN=… PID=… DATABASE_URL=… PRACTICE=…` for the harness. SIGTERM stops the
 * server, drops the database and deletes the objects. Used by apps/server/bench/run.sh.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiToken, createDb, createPractice } from '@vetpacs/db';
import { migrate } from '@vetpacs/db/migrate';
import { createDatabaseIfMissing, dropDatabase, withDatabase } from '@vetpacs/devservices';
import { SERVER_ENTRY, SERVER_ENV_DEFAULTS, SERVER_NODE_FLAGS } from '../../../scripts/runtime';

const root = path.resolve(import.meta.dirname, '../../..');
const admin = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `vetpacs_dwbench_${Date.now().toString(36)}`;
const port = process.env.BENCH_PORT ?? '18090';
const work = await mkdtemp(path.join(process.env.BENCH_TMP ?? tmpdir(), 'vetpacs-dwbench-'));

await createDatabaseIfMissing(admin, dbName);
const databaseUrl = withDatabase(admin, dbName);
await migrate(databaseUrl);
await mkdir(path.join(work, 'objects'), { recursive: true });
const env: Record<string, string> = {
  ...SERVER_ENV_DEFAULTS,
  ...(process.env as Record<string, string>),
  DATABASE_URL: databaseUrl,
  QUEUE_PREFIX: dbName,
  UPLOAD_STAGING_DIR: path.join(work, 'staging'),
  STORAGE_BACKEND: 'fs',
  STORAGE_FS_ROOT: path.join(work, 'objects'),
  HOST: '127.0.0.1',
  PORT: port,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
};
const db = createDb(databaseUrl, { maxConnections: 1 });
const practice = await createPractice(db, { name: 'Bench Vets', slug: 'bench' }, { type: 'CLI', id: 'bench' });
const { token } = await createApiToken(db, practice.id, { name: 'bench', role: 'VET' }, { type: 'CLI', id: 'bench' });
await db.close();

// The server runs as in production (`npm start`): the bundle with the production Node flags
// (scripts/runtime.ts; run.sh builds it). The flags matter: a 1 MB young generation took 2–3× less
// CPU per retrieved byte than V8's default in an A/B run. BENCH_TSX=1 runs the sources instead.
const args = process.env.BENCH_TSX === '1' ? ['--import', 'tsx', path.join(root, 'apps/server/src/main.ts')] : [...SERVER_NODE_FLAGS, path.join(root, SERVER_ENTRY)];
const server = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
for (let i = 0; i < 300; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}
process.stdout.write(`BASE=http://127.0.0.1:${port}/dicomweb TOKEN=${token} PID=${server.pid} DATABASE_URL=${databaseUrl} PRACTICE=${practice.id} OBJECTS=${path.join(work, 'objects')}\n`);

const stop = async () => {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await dropDatabase(admin, dbName);
  await rm(work, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
