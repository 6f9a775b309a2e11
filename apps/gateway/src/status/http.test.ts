import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueueDb } from '../queue/db';
import { healthProblem, startStatusServer } from './http';
import type { StatusSnapshot } from './snapshot';

describe('/healthz', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gw-health-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is healthy while the queue database answers and the DICOM listener accepts', () => {
    const db = openQueueDb(dir);
    expect(healthProblem(db, () => true)).toBeNull();
    expect(healthProblem(db, () => false)).toMatch(/DICOM listener/);
    db.close();
    expect(healthProblem(db, () => true)).toMatch(/^queue database unavailable: /);
  });

  it('answers 200 "ok" when healthy and 503 with the reason otherwise', async () => {
    let problem: string | null = null;
    const snapshot = () => Promise.reject(new Error('not used')) as Promise<StatusSnapshot>;
    const { server, port } = await startStatusServer(snapshot, () => problem, '127.0.0.1', 0);
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('ok\n');
      problem = 'queue database unavailable: database is not open';
      const down = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.text()).toBe('queue database unavailable: database is not open\n');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
