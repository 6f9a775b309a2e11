import { ingestFollowUps, type JobProducer, type PendingJob } from '@vetpacs/jobs';
import type { ObjectStore } from '@vetpacs/storage';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { makeDicom } from '@vetpacs/dicom/testing';
import { IngestPipeline } from './pipeline';
import { CommitOutcomeUnknown } from './record-errors';
import type { IngestRepo } from './repo';
import { IngestService } from './service';
import type { IngestContext } from './types';

const tick = () => new Promise((r) => setImmediate(r));
/** Resolves after every timer of the same delay set before it (Node runs them in order). */
const afterTimers = () => new Promise((r) => setTimeout(r, 0));

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

const context = (): IngestContext => ({ practiceId: 'p', siteId: null, actor: { type: 'API_TOKEN', id: 'x' }, uploadId: 'u', traceId: 't' });

describe('IngestService follow-up jobs', () => {
  it('answers a request without waiting for its follow-up jobs, and close() waits for them', async () => {
    const { added, open, jobs } = gatedJobs();
    const log = { warn: () => {} } as unknown as FastifyBaseLogger;
    const service = new IngestService({ repo: {} as IngestRepo, store: {} as ObjectStore, jobs, log }, { maxInstanceBytes: 1 }, { followUpDelayMs: 0 });
    const instance = { instanceId: 'i', version: 1, seriesId: 's' };
    const ctx: IngestContext = { ...context(), followUps: [instance] };
    const pipeline = new IngestPipeline(async () => ({ outcomes: [], audited: true }));

    // The request is finished before its adds start (after the buffer's delay, here 0 ms: after
    // this turn, once the caller has answered), and they are still pending (the gate is shut).
    expect(await service.finishRequest(ctx, pipeline)).toEqual([]);
    expect(added).toEqual([]);
    await tick();
    await afterTimers();
    // One instance: its own three jobs.
    expect(added).toEqual([ingestFollowUps({ practiceId: 'p', traceId: 't' }, [instance])]);
    expect(added[0]!.map((j) => j.name)).toEqual(['instance.thumbnail', 'series.metadata', 'series.thumbnail']);

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

  it("queues a request's several new instances as one ingest.followups job per thousand, at once when a job is full", async () => {
    const { added, open, jobs } = gatedJobs();
    open();
    const log = { warn: () => {} } as unknown as FastifyBaseLogger;
    const service = new IngestService({ repo: {} as IngestRepo, store: {} as ObjectStore, jobs, log }, { maxInstanceBytes: 1 });
    const instances = Array.from({ length: 1001 }, (_, i) => ({ instanceId: `i${i}`, version: 1, seriesId: `s${i % 2}` }));
    const ctx: IngestContext = { ...context(), followUps: [...instances] };
    await service.finishRequest(ctx, new IngestPipeline(async () => ({ outcomes: [], audited: true })));
    // The default delay is 100 ms; a full job does not wait for it.
    await tick();
    expect(added.length).toBe(1);
    await service.close();
    const expected: PendingJob[] = [
      { name: 'ingest.followups', payload: { practiceId: 'p', traceId: 't', instances: instances.slice(0, 1000) } },
      { name: 'ingest.followups', payload: { practiceId: 'p', traceId: 't', instances: instances.slice(1000) } },
    ];
    expect(added).toEqual([expected]);
    expect(ctx.followUps).toEqual([]);
  });
});

describe('IngestService record streams', () => {
  it('offers a stream only to a lone uploader, after a few requests in a row without overlap', async () => {
    let offered = 0;
    const repo = {
      openStream: () => {
        offered++;
        return undefined;
      },
      writePart: async (part: { records: unknown[]; audit: boolean }) => ({
        outcomes: part.records.map(() => ({ kind: 'created', instanceId: 'i', seriesId: 's', studyId: 't', version: 1 })),
        audited: part.audit,
      }),
    } as unknown as IngestRepo;
    const { jobs, open } = gatedJobs();
    open();
    const service = new IngestService({ repo, store: {} as ObjectStore, jobs, log: { warn: () => {} } as unknown as FastifyBaseLogger }, { maxInstanceBytes: 1 });
    const oneInstance = async (pipeline: IngestPipeline) =>
      pipeline.add(async (io) => {
        io.consumed();
        await io.record({} as never);
        return { status: 'STORED' };
      });
    const lone = async () => {
      const ctx: IngestContext = { ...context(), followUps: [] };
      const pipeline = service.pipelineFor(ctx);
      await oneInstance(pipeline);
      await service.finishRequest(ctx, pipeline);
    };

    for (let i = 0; i < 4; i++) await lone();
    expect(offered).toBe(0); // not yet known to be alone
    await lone();
    expect(offered).toBe(1);

    // Two requests at once: neither is offered one, nor the requests right after them.
    const [a, b] = [{ ...context(), followUps: [] }, { ...context(), followUps: [] }];
    const [pa, pb] = [service.pipelineFor(a), service.pipelineFor(b)];
    await oneInstance(pa);
    await oneInstance(pb);
    await service.finishRequest(a, pa);
    await service.finishRequest(b, pb);
    await lone();
    await lone();
    expect(offered).toBe(1);
    await lone();
    expect(offered).toBe(2);
    await service.close();
  });
});

describe('IngestService when recording fails', () => {
  /** Ingests one small instance whose record fails with `failure`; returns the keys deleted. */
  async function ingestFailing(failure: Error, repo = {} as IngestRepo): Promise<{ deleted: string[]; error: unknown }> {
    const deleted: string[] = [];
    const store = {
      put: async (key: string) => ({ key }),
      delete: async (key: string) => {
        deleted.push(key);
      },
    } as unknown as ObjectStore;
    const { jobs, open } = gatedJobs();
    open();
    const service = new IngestService({ repo, store, jobs, log: { warn: () => {}, info: () => {} } as unknown as FastifyBaseLogger }, { maxInstanceBytes: 1 << 30 });
    const ctx: IngestContext = { ...context(), followUps: [] };
    const pipeline = new IngestPipeline(async () => {
      throw failure;
    });
    await pipeline.add((io) => service.ingestInstance(Readable.from([makeDicom({ seed: 7 })]), ctx, 'OWNER_PET', {}, io));
    const error = await service.finishRequest(ctx, pipeline).then(
      () => undefined,
      (e: unknown) => e,
    );
    await service.close();
    return { deleted, error };
  }

  it('removes the object when nothing was committed', async () => {
    const { deleted, error } = await ingestFailing(new Error('connection refused'));
    expect((error as Error).message).toBe('connection refused');
    expect(deleted).toHaveLength(1);
  });

  it('keeps the object when the commit was not confirmed: a row may refer to it', async () => {
    const { deleted, error } = await ingestFailing(new CommitOutcomeUnknown(new Error('Connection terminated unexpectedly')));
    expect(error).toBeInstanceOf(CommitOutcomeUnknown);
    expect(deleted).toEqual([]);
  });

  it('removes the object of an unconfirmed commit once Postgres says the transaction rolled back, keeps it if it committed', async () => {
    const lost = () => new CommitOutcomeUnknown(new Error('Connection terminated unexpectedly'), '4711');
    const asked: string[] = [];
    const repoSaying = (status: 'aborted' | 'committed') =>
      ({
        transactionStatus: async (xid: string) => {
          asked.push(xid);
          return status;
        },
      }) as unknown as IngestRepo;
    // close() makes the last check (the background one would come a second later).
    const rolledBack = await ingestFailing(lost(), repoSaying('aborted'));
    expect(rolledBack.error).toBeInstanceOf(CommitOutcomeUnknown);
    expect(rolledBack.deleted).toHaveLength(1);
    expect(rolledBack.deleted[0]).toMatch(/^practices\/p\/originals\/.+\.dcm$/);
    const committed = await ingestFailing(lost(), repoSaying('committed'));
    expect(committed.deleted).toEqual([]);
    expect(asked).toEqual(['4711', '4711']);
  });
});

describe('IngestService with an instance already in memory (a STOW part that arrived whole)', () => {
  /** Ingests `bytes` from `source` and returns the receipt and the record written. */
  async function ingestOnce(source: (bytes: Buffer) => Readable | Buffer, bytes: Buffer, maxInstanceBytes = 1 << 30) {
    const written: unknown[] = [];
    const store = { put: async (key: string) => ({ key }), delete: async () => {} } as unknown as ObjectStore;
    const { jobs, open } = gatedJobs();
    open();
    const service = new IngestService({ repo: {} as IngestRepo, store, jobs, log: { warn: () => {} } as unknown as FastifyBaseLogger }, { maxInstanceBytes });
    const ctx: IngestContext = { ...context(), followUps: [] };
    const pipeline = new IngestPipeline(async (part) => {
      written.push(...part.records.map((r) => ({ ...r, instance: { ...r.instance, objectKey: 'k' } })));
      return { outcomes: part.records.map(() => ({ kind: 'created', instanceId: 'i', seriesId: 's', studyId: 't', version: 1 }) as const), audited: part.audit };
    });
    await pipeline.add((io) => service.ingestInstance(source(bytes), ctx, 'OWNER_PET', {}, io));
    const receipts = await service.finishRequest(ctx, pipeline);
    await service.close();
    return { receipts, written };
  }
  const asStream = (b: Buffer) => Readable.from([b.subarray(0, 100), b.subarray(100)]);
  const asBytes = (b: Buffer) => b;

  it('records and answers exactly as from a stream of the same bytes', async () => {
    const bytes = makeDicom({ seed: 11, species: 'Canine', patientName: 'Smith^Rex' });
    const fromStream = await ingestOnce(asStream, bytes);
    const fromBytes = await ingestOnce(asBytes, bytes);
    expect(fromBytes.receipts[0]!.status).toBe('STORED');
    expect(fromBytes).toEqual(fromStream);
  });

  it('rejects what a stream would reject, with the same reasons', async () => {
    const bytes = makeDicom({ seed: 12 });
    for (const [input, max] of [
      [Buffer.from('not a DICOM file at all'), 1 << 30],
      [bytes.subarray(0, bytes.length - 10), 1 << 30],
      [bytes, 100],
    ] as const) {
      const fromStream = await ingestOnce(asStream, input, max);
      const fromBytes = await ingestOnce(asBytes, input, max);
      expect(fromBytes.receipts[0]!.status).toBe('REJECTED');
      expect(fromBytes.receipts).toEqual(fromStream.receipts);
      expect(fromBytes.written).toEqual([]);
    }
  });
});
