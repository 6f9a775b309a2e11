/**
 * Brings up what a practice would run: a throwaway Postgres database (migrated), Redis (run-unique
 * prefix), an S3 server, the built portal + viewer, and the server and the worker as real
 * processes. Used by the e2e global setup and the portal benchmark.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from '@vetpacs/db/migrate';
import { createDatabaseIfMissing, deleteRedisPrefix, dropDatabase, ensureRedis, startS3rver, withDatabase } from '@vetpacs/devservices';
import { SERVER_ENTRY, SERVER_ENV_DEFAULTS, SERVER_NODE_FLAGS, WORKER_ENTRY, WORKER_NODE_FLAGS } from '../../scripts/runtime';

const root = path.resolve(import.meta.dirname, '..', '..');
const log = (m: string) => process.stdout.write(`[e2e] ${m}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a bundled app exactly as `npm start` and the container image do (scripts/runtime.ts). */
function launch(name: string, entry: string, env: NodeJS.ProcessEnv, flags: string[]): ChildProcess {
  const child = spawn(process.execPath, [...flags, entry], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') log(`${name} exited (${signal ?? code})`);
  });
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface Stack {
  baseUrl: string;
  databaseUrl: string;
  runId: string;
  env: NodeJS.ProcessEnv;
  hasWorker: boolean;
  stop(): Promise<void>;
}

/** Starts everything; `seedDemo` also seeds the demo practice through STOW (as `npm start` does). */
export async function startStack(opts: { seedDemo: boolean; build?: boolean }): Promise<Stack> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbName = `vetpacs_e2e_${runId}`;
  const queuePrefix = `vetpacs-e2e-${runId}`;
  await createDatabaseIfMissing(adminUrl, dbName);
  const databaseUrl = withDatabase(adminUrl, dbName);
  await migrate(databaseUrl);
  const redis = await ensureRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const s3Dir = await mkdtemp(path.join(tmpdir(), 'vetpacs-e2e-s3-'));
  const s3 = await startS3rver({ directory: s3Dir, buckets: ['vetpacs-e2e'] });
  const staging = await mkdtemp(path.join(tmpdir(), 'vetpacs-e2e-staging-'));
  await mkdir(path.join(import.meta.dirname, '..', 'artifacts'), { recursive: true });

  if (opts.build !== false) {
    // The portal and the OHIF viewer are served from apps/web/dist: build them (the viewer is cached).
    log('building the portal and the viewer');
    const build = spawnSync('pnpm', ['--filter', '@vetpacs/web', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('apps/web build failed');
  }
  // The browser tests run the production bundles (scripts/bundle.ts), so CI proves they work.
  log('bundling the server and the worker');
  const bundle = spawnSync('pnpm', ['--filter', '@vetpacs/server', '--filter', '@vetpacs/worker', 'build'], { cwd: root, stdio: 'inherit' });
  if (bundle.status !== 0) throw new Error('server/worker bundle failed');

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...SERVER_ENV_DEFAULTS,
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: queuePrefix,
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: 'vetpacs-e2e',
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    UPLOAD_STAGING_DIR: staging,
  };
  const server = launch('server', SERVER_ENTRY, env, SERVER_NODE_FLAGS);
  let worker: ChildProcess | undefined;
  const stopAll = async () => {
    await stop(worker);
    await stop(server);
    await s3.stop();
    await rm(s3Dir, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
    if (!process.env.KEEP_TEST_DB) await deleteRedisPrefix(redis.url, queuePrefix).catch(() => {});
    await redis.stop();
    if (!process.env.KEEP_TEST_DB) await dropDatabase(adminUrl, dbName);
  };
  try {
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error('server exited during start-up');
      const ok = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600) throw new Error('server not ready after 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Thumbnails come from the worker (apps/worker); without it studies show placeholders.
    worker = launch('worker', WORKER_ENTRY, env, WORKER_NODE_FLAGS);

    if (opts.seedDemo) {
      log('seeding the demo practice through STOW');
      // Asynchronously: the S3 server runs in this process and must keep serving while the seed runs.
      const seed = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/demo/seed-cli.ts'], {
        cwd: root,
        env: { ...env, SEED_SERVER_URL: baseUrl },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const seedCode = await new Promise<number | null>((resolve) => seed.on('exit', resolve));
      if (seedCode !== 0) throw new Error(`demo seed failed (${seedCode})`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { baseUrl, databaseUrl, runId, env, hasWorker: Boolean(worker), stop: stopAll };
}
