import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDicom } from '@vetpacs/dicom/testing';
import { JOBS } from '@vetpacs/jobs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from '../../server/test/harness';
import { ownPrefix, stow, waitFor, workerEnv } from './helpers';
import { startS3Gate } from './s3-gate';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs the real worker entry point (apps/worker/src/main.ts) as a child process. */
function spawnWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode ? r(c.exitCode) : c.once('exit', (code) => r(code))));

describe('worker killed mid-job', () => {
  let server: TestServer;
  let practice: TestPractice;
  let gate: Awaited<ReturnType<typeof startS3Gate>>;
  let child: ChildProcess | undefined;
  let prefix: string;

  beforeAll(async () => {
    prefix = ownPrefix();
    server = await startTestServer({ QUEUE_PREFIX: prefix });
    practice = await createTestPractice(server.deps.db, 'Kill Vets');
    gate = await startS3Gate(inject('s3').endpoint);
  });
  afterAll(async () => {
    if (child && child.exitCode === null && !child.signalCode) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await gate?.close();
    await server?.close();
  });

  it('completes the job after a SIGKILL once a worker runs again', async () => {
    // The worker reads originals through the gate, which holds them: its thumbnail job is then
    // provably in flight (active, original requested, nothing written) when we kill it.
    gate.holdGets(/\/originals\//);
    const env = workerEnv(prefix, { S3_ENDPOINT: gate.endpoint, JOB_LOCK_MS: '2000', MEDIA_CONCURRENCY: '1' });
    child = spawnWorker(env);
    expect(await stow(server, practice.bearer, [makeDicom({ seed: 8400, rows: 200, columns: 160 })])).toEqual([200]);
    const inst = await server.deps.db.instance.findFirstOrThrow({ where: { practiceId: practice.id } });

    await waitFor('the worker to request the original', async () => gate.heldCount > 0);
    const media = server.deps.jobs.queue(JOBS['instance.thumbnail'].queue);
    // Whichever thumbnail job got there first (the series one renders the middle image itself when
    // no instance thumbnail exists yet) is active and stuck reading the original.
    const [active] = await media.getActive();
    expect(['instance.thumbnail', 'series.thumbnail']).toContain(active?.name);
    child.kill('SIGKILL');
    expect(await exited(child)).toBeNull();
    expect((await server.deps.db.instance.findUniqueOrThrow({ where: { id: inst.id } })).thumbnailObjectKey).toBeNull();

    // A new worker picks the stalled job up once the dead one's lock expires.
    gate.release();
    child = spawnWorker(env);
    const done = await waitFor('thumbnails after restart', async () => {
      const i = await server.deps.db.instance.findUniqueOrThrow({ where: { id: inst.id }, include: { series: true } });
      return i.thumbnailObjectKey && i.series.thumbnailObjectKey ? i : undefined;
    });
    expect(await server.deps.store.head(done.thumbnailObjectKey!)).not.toBeNull();
    expect(await server.deps.store.head(done.series.thumbnailObjectKey!)).not.toBeNull();
    // The very job that was killed finished (it was not lost, nor replaced by a copy).
    expect(await (await media.getJob(active!.id!))?.getState()).toBe('completed');

    // Graceful stop: SIGTERM ends the process cleanly.
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });
});
