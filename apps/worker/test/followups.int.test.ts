import { randomUUID } from 'node:crypto';
import { JOBS, JobProducer, redisConnectionOptions } from '@vetpacs/jobs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ingestFollowUpsHandler } from '../src/ingest/followups';
import { ownPrefix } from './helpers';

describe('ingest.followups (real Redis)', () => {
  const prefix = ownPrefix();
  const connection = redisConnectionOptions(inject('redisUrl'));
  const producer = new JobProducer(connection, prefix);
  afterAll(() => producer.close());

  it("queues each instance's thumbnail and one metadata and thumbnail job per series, once even when run twice", async () => {
    const practiceId = randomUUID();
    const [s1, s2] = [randomUUID(), randomUUID()];
    const instances: { instanceId: string; version: number; seriesId: string; traceId?: string }[] = [s1, s1, s1, s2].map((seriesId) => ({ instanceId: randomUUID(), version: 1, seriesId }));
    // The last one came with another request than the job's first (FollowUpBuffer): its jobs keep its trace id.
    instances[3]!.traceId = 't2';
    const payload = { practiceId, traceId: 't', instances };
    const handler = ingestFollowUpsHandler({ jobs: producer });
    expect(await handler(payload)).toEqual({ instances: 4 });
    // A retried job (or a second worker) adds nothing new: ids and deduplication ids hold.
    await handler(payload);
    await ingestFollowUpsHandler({ jobs: new JobProducer(connection, prefix) })(payload);

    const media = producer.queue(JOBS['instance.thumbnail'].queue);
    const mediaJobs = await media.getJobs(['waiting', 'delayed', 'prioritized']);
    const thumbs = mediaJobs.filter((j) => j.name === 'instance.thumbnail').map((j) => j.id).sort();
    expect(thumbs).toEqual(instances.map((i) => `thumb-i-${i.instanceId}-v1`).sort());
    const traceOf = new Map(mediaJobs.filter((j) => j.name === 'instance.thumbnail').map((j) => [j.data.instanceId, j.data.traceId]));
    expect(instances.map((i) => traceOf.get(i.instanceId))).toEqual(['t', 't', 't', 't2']);
    const seriesThumbs = mediaJobs.filter((j) => j.name === 'series.thumbnail').map((j) => j.data.seriesId).sort();
    expect(seriesThumbs).toEqual([s1, s2].sort());
    const metadata = (await producer.queue(JOBS['series.metadata'].queue).getJobs(['waiting', 'delayed'])).filter((j) => j.name === 'series.metadata');
    expect(metadata.map((j) => j.data.seriesId).sort()).toEqual([s1, s2].sort());
    expect(metadata.every((j) => j.data.practiceId === practiceId)).toBe(true);
  });
});
