/**
 * `npm start`: bring up everything a newcomer needs on one machine — Postgres (DATABASE_URL, or an
 * embedded Postgres in .data/), Redis (REDIS_URL, or a redis-server from PATH), object storage
 * (S3_ENDPOINT, or a local s3rver in .data/) — migrate, seed the demo practice, start server and
 * worker, and print the URL and demo login. Ctrl-C stops every process it started.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { migrate } from '@vetpacs/db/migrate';
import { ensureRedis, startEmbeddedPostgres, startS3rver } from '@vetpacs/devservices';
import { SERVER_ENTRY, SERVER_ENV_DEFAULTS, SERVER_NODE_FLAGS, WORKER_ENTRY, WORKER_NODE_FLAGS } from './runtime';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = path.join(root, '.data');
const stops: (() => Promise<void>)[] = [];
const children: ChildProcess[] = [];
const log = (msg: string) => process.stdout.write(`[start] ${msg}\n`);

async function main() {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  env.PORT ??= '8080';
  env.HOST ??= '127.0.0.1';

  if (!env.DATABASE_URL) {
    log('no DATABASE_URL: starting embedded Postgres in .data/postgres');
    const pg = await startEmbeddedPostgres(path.join(dataDir, 'postgres'));
    stops.push(pg.stop);
    env.DATABASE_URL = pg.url;
  }
  const redis = await ensureRedis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  stops.push(redis.stop);
  env.REDIS_URL = redis.url;

  env.STORAGE_BACKEND ??= 's3';
  if (env.STORAGE_BACKEND === 's3' && !env.S3_ENDPOINT) {
    log('no S3_ENDPOINT: starting a local S3 server (s3rver) in .data/s3');
    const s3 = await startS3rver({ directory: path.join(dataDir, 's3'), buckets: ['vetpacs'], port: Number(env.S3_PORT ?? 4569) });
    stops.push(s3.stop);
    Object.assign(env, {
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: 'vetpacs',
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    });
  }
  if (env.STORAGE_BACKEND === 'fs' && !env.STORAGE_FS_ROOT) {
    // The store never creates its root (an unmounted volume must fail, not fill the system disk);
    // the dev default lives in .data/.
    env.STORAGE_FS_ROOT = path.join(dataDir, 'objects');
    await mkdir(env.STORAGE_FS_ROOT, { recursive: true });
  }
  // Ingest overlaps fsyncs of several instances; libuv's default 4 threads would serialise them.
  for (const [k, v] of Object.entries(SERVER_ENV_DEFAULTS)) env[k] ??= v;
  env.UPLOAD_STAGING_DIR ??= path.join(dataDir, 'uploads');

  const { applied } = await migrate(env.DATABASE_URL);
  log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema up to date');

  // The portal and the OHIF viewer are static builds the server serves (fast when unchanged).
  log('building the portal and viewer (apps/web)');
  const build = spawnSync('pnpm', ['--filter', '@vetpacs/web', 'build'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('portal build failed (pnpm --filter @vetpacs/web build)');

  // Server and worker run as bundled JavaScript (scripts/bundle.ts), not through tsx: ~60 MB less
  // resident memory per process, and no compile step at every start.
  log('bundling the server and worker');
  const bundle = spawnSync('pnpm', ['--filter', '@vetpacs/server', '--filter', '@vetpacs/worker', 'build'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (bundle.status !== 0) throw new Error('bundling failed (pnpm --filter @vetpacs/server --filter @vetpacs/worker build)');

  const server = launch('server', SERVER_ENTRY, env, SERVER_NODE_FLAGS);
  const baseUrl = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`;
  await waitForReady(baseUrl, server);
  launch('worker', WORKER_ENTRY, env, WORKER_NODE_FLAGS);

  const seed = await runNode('apps/server/src/demo/seed-cli.ts', { ...env, SEED_SERVER_URL: baseUrl });
  process.stdout.write(`\n  Vet PACS is running at ${env.PUBLIC_URL ?? baseUrl}\n${seed}\n  Press Ctrl-C to stop.\n\n`);
}

function launch(name: string, entry: string, env: Record<string, string>, flags: string[]): ChildProcess {
  const child = spawn(process.execPath, [...flags, entry], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      log(`${name} exited (${signal ?? code}); stopping everything`);
      void shutdown(1);
    }
  });
  return child;
}

function runNode(entry: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${entry} exited with ${code}`))));
  });
}

async function waitForReady(baseUrl: string, server: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (server.exitCode !== null) throw new Error('server exited during start-up');
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready at ${baseUrl}/readyz after 60 s`);
}

let shuttingDown = false;
async function shutdown(code: number): Promise<never> {
  shuttingDown = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), 15_000);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  );
  for (const stop of stops.reverse()) await stop().catch((err) => log(`stop failed: ${err.message}`));
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch(async (err) => {
  log(`failed: ${err.message}`);
  await shutdown(1);
});
