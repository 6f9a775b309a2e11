import { randomBytes } from 'node:crypto';
import { JOBS, type JobName, type JobPayload } from '@vetpacs/jobs';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { inject } from 'vitest';
import { type TestServer, testEnv } from '../../server/test/harness';
import { type RunningWorker, startWorker } from '../src/app';
import { parseWorkerConfig, type WorkerConfig } from '../src/config';
import { closeWorkerDeps, createWorkerDeps, type WorkerDeps } from '../src/deps';

/**
 * A Redis key prefix of our own: worker tests flush Redis and kill workers, which must never touch
 * the queues of other test files running in parallel under the run's shared prefix.
 */
export function ownPrefix(): string {
  return `${inject('redisPrefix')}-wk-${randomBytes(4).toString('hex')}`;
}

/** Worker environment against the run's Postgres, Redis (given prefix) and S3 server: the server's test env plus worker settings. */
export function workerEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return testEnv({
    QUEUE_PREFIX: prefix,
    // Tests trigger scrubs and reconciles themselves.
    SCRUB_INTERVAL_HOURS: '0',
    RECONCILE_INTERVAL_MINUTES: '0',
    MEDIA_CONCURRENCY: '2',
    ...extra,
  });
}

export interface TestWorker {
  config: WorkerConfig;
  deps: WorkerDeps;
  running: RunningWorker;
  stop(): Promise<void>;
}

/** Starts a worker in this process (codecs, consumers, schedules) with its own deps. */
export async function startTestWorker(env: Record<string, string>): Promise<TestWorker> {
  const config = parseWorkerConfig(env);
  const deps = createWorkerDeps(config, pino({ level: env.LOG_LEVEL ?? 'silent' }));
  const running = await startWorker(config, deps);
  let stopped = false;
  return {
    config,
    deps,
    running,
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.stop();
      await closeWorkerDeps(deps);
    },
  };
}

/** Polls `probe` until it returns a truthy value (or throws after `timeoutMs`, naming `what`). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes every Redis key under `prefix` (SCAN + DEL): a "flush" that spares everyone else. */
export async function flushPrefix(prefix: string): Promise<number> {
  const redis = new Redis(inject('redisUrl'));
  let n = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return n;
}

/** STOW-RS of Part-10 files, in batches; returns the HTTP statuses. */
export async function stow(server: TestServer, auth: string, files: Uint8Array[], batch = 10): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < files.length; i += batch) {
    const boundary = `b-${randomBytes(8).toString('hex')}`;
    const chunks: Buffer[] = [];
    for (const f of files.slice(i, i + batch)) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(f), Buffer.from('\r\n'));
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await fetch(`${server.url}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
      body: Buffer.concat(chunks),
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

/** Adds a registry job through the worker's queues and waits for its result. */
export async function runJob<N extends JobName>(w: TestWorker, name: N, payload: JobPayload<N>, timeoutMs = 120_000): Promise<unknown> {
  const queue = w.deps.jobs.queue(JOBS[name].queue);
  const events = new QueueEvents(queue.name, { connection: w.deps.connection, prefix: w.config.QUEUE_PREFIX });
  try {
    await events.waitUntilReady();
    const job = await queue.add(name, payload);
    return await job.waitUntilFinished(events, timeoutMs);
  } finally {
    await events.close();
  }
}
