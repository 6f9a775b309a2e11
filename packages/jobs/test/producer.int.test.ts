import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { JobProducer, JOBS, redisConnectionOptions } from '../src/index';

describe('JobProducer coalescing cache (real Redis)', () => {
  const producer = new JobProducer(redisConnectionOptions(inject('redisUrl')), `${inject('redisPrefix')}-jobs-${randomBytes(4).toString('hex')}`);
  const queue = producer.queue(JOBS['series.metadata'].queue);
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await producer.close();
  });

  it('does not remember a coalesced enqueue whose add failed, so the next call adds it', async () => {
    const payload = { practiceId: randomUUID(), traceId: 't', seriesId: randomUUID() };
    const add = vi.spyOn(queue, 'add').mockRejectedValueOnce(new Error('redis unavailable'));
    await expect(producer.enqueue('series.metadata', payload)).rejects.toThrow('redis unavailable');
    add.mockRestore();
    await producer.enqueue('series.metadata', payload);
    expect(await queue.getJobCountByTypes('delayed', 'waiting')).toBe(1);
  });

  it('the same for enqueueMany (addBulk)', async () => {
    const payload = { practiceId: randomUUID(), traceId: 't', seriesId: randomUUID() };
    const before = await queue.getJobCountByTypes('delayed', 'waiting');
    const addBulk = vi.spyOn(queue, 'addBulk').mockRejectedValueOnce(new Error('redis unavailable'));
    await expect(producer.enqueueMany([{ name: 'series.metadata', payload }])).rejects.toThrow('redis unavailable');
    addBulk.mockRestore();
    await producer.enqueueMany([{ name: 'series.metadata', payload }, { name: 'series.metadata', payload }]);
    expect(await queue.getJobCountByTypes('delayed', 'waiting')).toBe(before + 1);
  });
});
