import { randomUUID } from 'node:crypto';
import { JOBS, JobProducer, type JobPayload } from '@vetpacs/jobs';
import { type Job, Worker } from 'bullmq';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { redisConnectionOptions } from '@vetpacs/jobs';
import { ownPrefix, waitFor } from './helpers';

describe('series.metadata coalescing (registry options on real Redis)', () => {
  const prefix = ownPrefix();
  const connection = redisConnectionOptions(inject('redisUrl'));
  // Only for inspecting the queue: every enqueue below goes through a fresh producer, as the
  // server's and workers' separate processes would, so JobProducer's per-process cache cannot
  // hide a missing BullMQ deduplication.
  const producer = new JobProducer(connection, prefix);
  let worker: Worker | undefined;
  async function enqueueFromNewProcess(payload: JobPayload<'series.metadata'>): Promise<void> {
    const p = new JobProducer(connection, prefix);
    try {
      await p.enqueue('series.metadata', payload);
    } finally {
      await p.close();
    }
  }
  afterAll(async () => {
    await worker?.close();
    await producer.close();
  });

  it('runs one rebuild per burst, and one more when instances arrive during a rebuild', async () => {
    const payload = { practiceId: randomUUID(), traceId: 't', seriesId: randomUUID() };
    const runs: Job[] = [];
    let releaseFirst!: () => void;
    const firstMayFinish = new Promise<void>((r) => (releaseFirst = r));
    // A burst of 20 instances before any worker runs: one pending job.
    for (let i = 0; i < 20; i++) await enqueueFromNewProcess(payload);
    const queue = producer.queue(JOBS['series.metadata'].queue);
    expect(await queue.getJobCountByTypes('delayed', 'waiting')).toBe(1);

    worker = new Worker(
      queue.name,
      async (job) => {
        runs.push(job);
        if (runs.length === 1) await firstMayFinish;
      },
      { connection, prefix },
    );
    await waitFor('first rebuild to start', async () => runs.length === 1);
    // Instances arriving while the rebuild runs must not be lost: exactly one follow-up.
    for (let i = 0; i < 5; i++) await enqueueFromNewProcess(payload);
    releaseFirst();
    await waitFor('follow-up rebuild', async () => runs.length === 2);
    await waitFor('queue drained', async () => (await queue.getJobCountByTypes('delayed', 'waiting', 'active')) === 0);
    expect(runs).toHaveLength(2);

    // A later burst (the completed jobs are still kept for the dashboard) still runs.
    await enqueueFromNewProcess(payload);
    await waitFor('next burst', async () => runs.length === 3);
  });
});
