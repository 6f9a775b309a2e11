import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDb, type Db } from '@vetpacs/db';
import { afterAll, beforeAll, inject } from 'vitest';
// Test-only reach into the server's own test helpers: the gateway itself talks to it over HTTP only.
import { createTestPractice, type TestPractice, testEnv } from '../../server/test/harness';
import { freePort, type ServerProcess, spawnServer } from '../../server/test/process';

const root = path.resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The cloud: the real server as a separate process, restartable on the same port and staging dir. */
export interface Cloud {
  url: string;
  port: number;
  db: Db;
  practice: TestPractice;
  keyId: string;
  secret: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startCloud(): Promise<Cloud> {
  const staging = await mkdtemp(path.join(tmpdir(), 'gw-cloud-staging-'));
  const port = await freePort();
  const env = testEnv({ UPLOAD_STAGING_DIR: staging });
  let proc: ServerProcess | undefined = await spawnServer(env, port);
  const db = createDb(inject('databaseUrl'));
  const practice = await createTestPractice(db, 'Gateway Vets');
  const [keyId, secret] = Buffer.from(practice.gatewayAuth.slice(6), 'base64').toString('utf8').split(':') as [string, string];
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    practice,
    keyId,
    secret,
    async stop() {
      await proc?.stop();
      proc = undefined;
    },
    async start() {
      proc ??= await spawnServer(env, port);
    },
    async close() {
      await proc?.stop();
      await db.close();
      await rm(staging, { recursive: true, force: true });
    },
  };
}

/**
 * A cloud for the enclosing describe block: started in beforeAll, closed (and the temp dirs
 * removed) in afterAll. Call it first in the block: vitest runs afterAll hooks in reverse order, so
 * the block's own teardown (stopping its gateway) runs while the cloud is still up. The returned
 * object is filled in by the time the block's own beforeAll and tests run.
 */
export function useCloud(): Cloud {
  const cloud = {} as Cloud;
  let started = false;
  beforeAll(async () => {
    Object.assign(cloud, await startCloud());
    started = true;
  });
  afterAll(async () => {
    if (started) await cloud.close();
    await removeTempDirs();
  });
  return cloud;
}

export interface GatewayProcess {
  proc: ChildProcess;
  dimsePort: number;
  statusPort: number;
  dataDir: string;
  configFile: string;
  logs(): string;
  status(): Promise<Status>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export type Status = {
  queue: { queued: number; uploading: number; verified: number; failedTransient: number; failedPermanent: number; pendingInstances: number; pendingBytes: number };
  studies: { complete: number; incomplete: number };
  permanentFailures: { sopInstanceUid: string; code: string | null; reason: string | null }[];
  lastCStoreByAe: { callingAe: string; stores: number }[];
  commitments: { pending: number; delivered: number };
};

/** Writes a gateway config for the cloud (ports 0: the gateway reports what it bound). */
export async function writeGatewayConfig(dir: string, cloudUrl: string, cloud: { keyId: string; secret: string }, extra: Record<string, unknown> = {}): Promise<string> {
  const config = {
    dataDir: path.join(dir, 'data'),
    cloud: { url: cloudUrl, keyId: cloud.keyId, secret: cloud.secret },
    dimse: { aeTitle: 'VETPACS', host: '127.0.0.1', port: 0 },
    status: { host: '127.0.0.1', port: 0 },
    storage: { budgetBytes: '1GB', minFreeBytes: '10MB' },
    retention: { keepDays: 7, cacheBytes: '500MB' },
    upload: { backoffBaseMs: 200, backoffMaxMs: 2000, chunkBytes: '1MiB' },
    heartbeat: { intervalMs: 1000 },
    logLevel: 'info',
    ...extra,
  };
  const file = path.join(dir, 'gateway.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/** Runs the gateway exactly as in production (`main.ts start --config`), as a child process. */
export async function spawnGateway(configFile: string): Promise<GatewayProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'apps/gateway/src/main.ts'), 'start', '--config', configFile], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const started = await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`gateway exited: ${out.slice(-3000)}`);
    const line = out.split('\n').find((l) => l.includes('"gateway started"'));
    return line ? (JSON.parse(line) as { dimsePort: number; statusPort: number }) : undefined;
  }, 60_000);
  const dataDir = (JSON.parse(await readFile(configFile, 'utf8')) as { dataDir: string }).dataDir;
  const exited = () => new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
  return {
    proc,
    dimsePort: started.dimsePort,
    statusPort: started.statusPort,
    dataDir,
    configFile,
    logs: () => out,
    async status() {
      const res = await fetch(`http://127.0.0.1:${started.statusPort}/status.json`);
      return (await res.json()) as Status;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited();
    },
    async stop() {
      proc.kill('SIGTERM');
      await exited();
    },
  };
}

/** Polls until `fn` returns a value (not a timing assertion: only a generous upper bound). */
export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
      if (err instanceof Error && err.message.startsWith('gateway exited')) throw err;
    }
    if (Date.now() > until) throw new Error(`waitFor timed out${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** dcmtk storescu against the gateway; returns its combined output (never throws on DIMSE failures). */
export async function storescu(port: number, files: string[], flags: string[] = [], aet = 'XRAY1'): Promise<{ code: number; output: string }> {
  try {
    const r = await run('storescu', ['-v', '-aet', aet, '-aec', 'VETPACS', ...flags, '127.0.0.1', String(port), ...files], { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: `${e.stdout}${e.stderr}` };
  }
}

/** Cloud lookup of stored SHA-256 per SOP Instance UID (the gateway's own credentials). */
export async function cloudLookup(cloud: Cloud, sops: string[]): Promise<Map<string, string>> {
  const res = await fetch(`${cloud.url}/api/receipts/lookup`, {
    method: 'POST',
    headers: { authorization: cloud.practice.gatewayAuth, 'content-type': 'application/json' },
    body: JSON.stringify({ sopInstanceUids: sops }),
  });
  const body = (await res.json()) as { instances: { sopInstanceUid: string; sha256: string }[] };
  return new Map(body.instances.map((i) => [i.sopInstanceUid, i.sha256]));
}

const tempDirs: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder {@link tempDir} made in this test file (call after the gateways stopped). */
export async function removeTempDirs(): Promise<void> {
  for (const d of tempDirs.splice(0)) await rm(d, { recursive: true, force: true });
}
