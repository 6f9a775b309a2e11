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

describe('JobProducer when Redis is unreachable', () => {
  it('reports the queue connection error to onError (not as a raw stack on stderr)', async () => {
    let report!: (r: { err: Error; queue: string }) => void;
    const reported = new Promise<{ err: Error; queue: string }>((resolve) => (report = resolve));
    // Port 1 on loopback: nothing listens there, so every connection attempt is refused.
    const producer = new JobProducer(redisConnectionOptions('redis://127.0.0.1:1'), 'unreachable', {
      onError: (err, queue) => report({ err, queue }),
    });
    producer.queue(JOBS['series.metadata'].queue);
    const { err, queue } = await reported;
    expect(queue).toBe(JOBS['series.metadata'].queue);
    expect(err.message).toMatch(/ECONNREFUSED/);
    await producer.close();
  });
});
