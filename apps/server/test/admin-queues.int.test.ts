import { randomBytes, randomUUID } from 'node:crypto';
import { createApiToken, createPractice, recordAudit } from '@vetpacs/db';
import { JOBS } from '@vetpacs/jobs';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisConnectionOptions } from '@vetpacs/jobs';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';

describe('queue admin: dashboard, failed jobs, integrity alerts', () => {
  let server: TestServer;
  let practice: TestPractice;
  let other: TestPractice;
  let admin: string;
  let otherAdmin: string;
  let operatorAdmin: string;
  const operatorSlug = `ops-${randomBytes(4).toString('hex')}`;
  const prefix = `${inject('redisPrefix')}-qa-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    server = await startTestServer({ QUEUE_PREFIX: prefix, OPERATOR_PRACTICE_SLUG: operatorSlug });
    practice = await createTestPractice(server.deps.db, 'Admin Vets');
    other = await createTestPractice(server.deps.db, 'Other Vets');
    const actor = { type: 'SYSTEM' as const, id: 'test' };
    admin = `Bearer ${(await createApiToken(server.deps.db, practice.id, { name: 'admin', role: 'OWNER_ADMIN' }, actor)).token}`;
    otherAdmin = `Bearer ${(await createApiToken(server.deps.db, other.id, { name: 'admin', role: 'OWNER_ADMIN' }, actor)).token}`;
    const operator = await createPractice(server.deps.db, { name: 'Installation operator', slug: operatorSlug }, actor);
    operatorAdmin = `Bearer ${(await createApiToken(server.deps.db, operator.id, { name: 'ops', role: 'OWNER_ADMIN' }, actor)).token}`;
  });
  afterAll(() => server?.close());

  const get = (path: string, auth?: string) => fetch(`${server.url}${path}`, { headers: auth ? { authorization: auth } : {} });

  it("mounts bull-board (every practice's jobs) for the installation operator's admins only", async () => {
    expect((await get('/admin/queues')).status).toBe(401);
    expect((await get('/admin/queues', practice.bearer)).status).toBe(403);
    expect((await get('/admin/queues', admin)).status).toBe(403);
    expect((await get('/admin/queues/api/queues', otherAdmin)).status).toBe(403);
    const page = await get('/admin/queues', operatorAdmin);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('VetPACS jobs');
    const api = await get('/admin/queues/api/queues', operatorAdmin);
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] }).queues.map((q) => [q.name, q.readOnlyMode]);
    expect(names.sort()).toEqual([['integrity', true], ['media', true], ['metadata', true]]);
  });

  it("lists a practice's own failed jobs with the reason, never another practice's", async () => {
    const queue = server.deps.jobs.queue(JOBS['instance.thumbnail'].queue);
    const connection = redisConnectionOptions(inject('redisUrl'));
    const worker = new Worker(queue.name, async (job) => {
      throw new Error(`cannot decode ${job.data.instanceId}`);
    }, { connection, prefix });
    try {
      const mine = { practiceId: practice.id, traceId: 't', instanceId: randomUUID(), version: 1 };
      const theirs = { practiceId: other.id, traceId: 't', instanceId: randomUUID(), version: 1 };
      await queue.add('instance.thumbnail', mine, { attempts: 1 });
      await queue.add('instance.thumbnail', theirs, { attempts: 1 });
      for (let i = 0; i < 300 && (await queue.getFailedCount()) < 2; i++) await new Promise((r) => setTimeout(r, 100));
      const res = await get('/api/admin/queues/failed', admin);
      const { failed } = (await res.json()) as { failed: { name: string; failedReason: string; data: { instanceId: string } }[] };
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ name: 'instance.thumbnail', failedReason: `cannot decode ${mine.instanceId}` });
      const counts = (await (await get('/api/admin/queues', admin)).json()) as { queues: Record<string, Record<string, number>> };
      expect(counts.queues.media?.failed).toBe(2);
      expect((await get('/api/admin/queues/failed', practice.bearer)).status).toBe(403);
    } finally {
      await worker.close();
    }
  });

  it('shows integrity alerts of the practice only', async () => {
    const actor = { type: 'SYSTEM' as const, id: 'worker' };
    await recordAudit(server.deps.db, { practiceId: practice.id, actor, action: 'integrity.mismatch', entityType: 'instance', entityId: randomUUID(), details: { kind: 'hash', repaired: true } });
    await recordAudit(server.deps.db, { practiceId: other.id, actor, action: 'integrity.mismatch', entityType: 'instance', entityId: randomUUID(), details: { kind: 'missing', repaired: false } });
    const mine = (await (await get('/api/admin/integrity', admin)).json()) as { alerts: { details: { kind: string } }[] };
    expect(mine.alerts.map((a) => a.details.kind)).toEqual(['hash']);
    const theirs = (await (await get('/api/admin/integrity', otherAdmin)).json()) as { alerts: { details: { kind: string } }[] };
    expect(theirs.alerts.map((a) => a.details.kind)).toEqual(['missing']);
  });
});
