import type { JobProducer, PendingJob } from '@vetpacs/jobs';
import type { ObjectStore } from '@vetpacs/storage';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { IngestPipeline } from './pipeline';
import type { IngestRepo } from './repo';
import { IngestService } from './service';
import type { IngestContext } from './types';

const tick = () => new Promise((r) => setImmediate(r));

/** A job producer whose adds finish only when the test lets them. */
function gatedJobs() {
  const added: PendingJob[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const jobs = { enqueueMany: async (list: PendingJob[]) => { added.push(list); await gate; } } as unknown as JobProducer;
  return { added, open, jobs };
}

describe('IngestService follow-up jobs', () => {
  it('answers a request without waiting for its follow-up jobs, and close() waits for them', async () => {
    const { added, open, jobs } = gatedJobs();
    const log = { warn: () => {} } as unknown as FastifyBaseLogger;
    const service = new IngestService({ repo: {} as IngestRepo, store: {} as ObjectStore, jobs, log }, { maxInstanceBytes: 1 });
    const job: PendingJob = { name: 'series.metadata', payload: { practiceId: 'p', traceId: 't', seriesId: 's' } };
    const ctx: IngestContext = { practiceId: 'p', siteId: null, actor: { type: 'API_TOKEN', id: 'x' }, uploadId: 'u', traceId: 't', followUps: [job] };
    const pipeline = new IngestPipeline(async () => ({ outcomes: [], audited: true }));

    // The adds are still pending (the gate is shut), yet the request is finished.
    expect(await service.finishRequest(ctx, pipeline)).toEqual([]);
    expect(added).toEqual([[job]]);

    let closed = false;
    const closing = service.close().then(() => {
      closed = true;
    });
    await tick();
    expect(closed).toBe(false);
    open();
    await closing;
    expect(closed).toBe(true);
  });
});
