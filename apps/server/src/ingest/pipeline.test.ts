import { describe, expect, it } from 'vitest';
import { IngestPipeline, type PartStream, type PartWriter } from './pipeline';
import { CommitOutcomeUnknown, recordError } from './record-errors';
import type { InstanceReceipt, InstanceRecord, PartResult, RecordOutcome, RequestPart } from './types';

const rec = (sop: string) => ({ instance: { sopInstanceUid: sop }, series: { seriesInstanceUid: `${sop}.s` } }) as unknown as InstanceRecord;
const created = (sop: string): RecordOutcome => ({ kind: 'created', instanceId: sop, seriesId: 's', studyId: 't', version: 1 });
const tick = () => new Promise((r) => setImmediate(r));

/** A writer that records every part and answers each record as created unless told otherwise. */
function recordingWriter(fail: (sop: string, attempt: number) => string | undefined = () => undefined) {
  const parts: Omit<RequestPart, 'ctx'>[] = [];
  const attempts = new Map<string, number>();
  const write: PartWriter = async (part) => {
    parts.push(part);
    await tick();
    let failed = false;
    const outcomes = part.records.map((r) => {
      const sop = r.instance.sopInstanceUid;
      const attempt = (attempts.get(sop) ?? 0) + 1;
      attempts.set(sop, attempt);
      const error = fail(sop, attempt);
      if (error) failed = true;
      return error ? recordError(error, r.series.seriesInstanceUid) : created(sop);
    });
    return { outcomes, audited: part.audit && !failed } satisfies PartResult;
  };
  return { parts, write };
}

/** An instance that takes `delay` ticks to "store", then records itself. */
const instance = (sop: string, delay = 1) => async (io: { consumed: () => void; record: (r: InstanceRecord) => Promise<RecordOutcome> }): Promise<InstanceReceipt> => {
  io.consumed();
  for (let i = 0; i < delay; i++) await tick();
  const outcome = await io.record(rec(sop));
  return { status: 'STORED', sopInstanceUid: sop, version: outcome.version };
};

/** A stream that records what it was given; `close` commits, or fails when told to. */
function recordingStream(failClose = false) {
  const added: string[] = [];
  const closes: { receipts: InstanceReceipt[]; audit: boolean }[] = [];
  const stream: PartStream = {
    add: (r) => {
      added.push(r.instance.sopInstanceUid);
    },
    close: async (receipts, audit) => {
      closes.push({ receipts, audit });
      await tick();
      if (failClose) throw new Error('could not commit');
      return { outcomes: added.map(created), audited: audit };
    },
  };
  return { added, closes, stream };
}

describe('IngestPipeline with a record stream', () => {
  it('sends each record to the stream as it comes and closes it once, with the receipts and the audit event', async () => {
    const w = recordingWriter();
    const s = recordingStream();
    let offers = 0;
    const p = new IngestPipeline(w.write, { depth: 16, openStream: () => (offers++, s.stream) });
    await p.add(instance('7.1', 0));
    await tick();
    // The first record went to the stream at once, without waiting for the rest of the request.
    expect(s.added).toEqual(['7.1']);
    await p.add(async () => ({ status: 'REJECTED', code: 'NOT_DICOM', reason: 'not DICOM' }));
    await p.add(instance('7.2', 2));
    const receipts = await p.finish();
    expect(receipts.map((r) => r.status)).toEqual(['STORED', 'REJECTED', 'STORED']);
    expect(s.added).toEqual(['7.1', '7.2']);
    expect(s.closes).toHaveLength(1);
    expect(s.closes[0]!.audit).toBe(true);
    expect(s.closes[0]!.receipts.map((r) => r.code)).toEqual(['NOT_DICOM']);
    expect(w.parts).toEqual([]);
    expect(offers).toBe(1);
  });

  it('writes the records in batches, as without a stream, when the stream could not commit', async () => {
    const w = recordingWriter();
    const s = recordingStream(true);
    const p = new IngestPipeline(w.write, { depth: 16, openStream: () => s.stream });
    for (let i = 1; i <= 3; i++) await p.add(instance(`8.${i}`, 1));
    const receipts = await p.finish();
    expect(receipts.map((r) => r.status)).toEqual(['STORED', 'STORED', 'STORED']);
    expect(s.closes).toHaveLength(1);
    expect(w.parts.flatMap((part) => part.records.map((r) => r.instance.sopInstanceUid)).sort()).toEqual(['8.1', '8.2', '8.3']);
    expect(w.parts.at(-1)!.audit).toBe(true);
  });

  it('does not write the records again when the stream’s commit was not confirmed', async () => {
    const w = recordingWriter();
    const s = recordingStream();
    s.stream.close = async () => {
      throw new CommitOutcomeUnknown(new Error('Connection terminated unexpectedly'));
    };
    const p = new IngestPipeline(w.write, { depth: 16, openStream: () => s.stream });
    for (let i = 1; i <= 2; i++) await p.add(instance(`10.${i}`, 1));
    await expect(p.finish()).rejects.toBeInstanceOf(CommitOutcomeUnknown);
    // Written again, a committed record would read as a duplicate of itself (and lose its object).
    expect(w.parts.flatMap((part) => part.records)).toEqual([]);
  });

  it('writes in batches when no stream is offered', async () => {
    const w = recordingWriter();
    const p = new IngestPipeline(w.write, { depth: 16, openStream: () => undefined });
    for (let i = 1; i <= 3; i++) await p.add(instance(`9.${i}`, 1));
    await p.finish();
    expect(w.parts.flatMap((part) => part.records)).toHaveLength(3);
  });
});

describe('IngestPipeline', () => {
  it('writes the records of instances running together in one batch, with the audit event', async () => {
    const w = recordingWriter();
    const p = new IngestPipeline(w.write, { depth: 16 });
    for (let i = 1; i <= 10; i++) await p.add(instance(`1.${i}`, i % 3));
    const receipts = await p.finish();
    expect(receipts.map((r) => r.sopInstanceUid)).toEqual(Array.from({ length: 10 }, (_, i) => `1.${i + 1}`));
    // Instances 3, 6 and 9 finished storing at once (no delay) and could not wait for the others
    // without waiting for storage: at most a few writes, and only the last one audits.
    expect(w.parts.length).toBeLessThanOrEqual(3);
    expect(w.parts.flatMap((part) => part.records.map((r) => r.instance.sopInstanceUid)).sort()).toEqual(receipts.map((r) => r.sopInstanceUid).sort());
    expect(w.parts.map((part) => part.audit)).toEqual([...w.parts.slice(1).map(() => false), true]);
  });

  it('writes all records in a single batch when they become ready together', async () => {
    const w = recordingWriter();
    const p = new IngestPipeline(w.write, { depth: 16 });
    for (let i = 1; i <= 10; i++) await p.add(instance(`2.${i}`, 2));
    await p.finish();
    expect(w.parts).toHaveLength(1);
    expect(w.parts[0]).toMatchObject({ audit: true, receipts: [] });
    expect(w.parts[0]!.records).toHaveLength(10);
  });

  it('carries rejected receipts and the request’s own receipts in the last write', async () => {
    const w = recordingWriter();
    const p = new IngestPipeline(w.write, { depth: 16 });
    await p.add(async () => ({ status: 'REJECTED', code: 'NOT_DICOM', reason: 'not DICOM' }));
    await p.add(instance('3.1', 2));
    const tail: InstanceReceipt = { status: 'REJECTED', code: 'MALFORMED_MULTIPART', reason: 'cut off' };
    const receipts = await p.finish([tail]);
    expect(receipts.map((r) => r.status)).toEqual(['REJECTED', 'STORED', 'REJECTED']);
    expect(w.parts).toHaveLength(1);
    expect(w.parts[0]!.receipts.map((r) => r.code).sort()).toEqual(['MALFORMED_MULTIPART', 'NOT_DICOM']);
    expect(w.parts[0]!.audit).toBe(true);
  });

  it('never waits longer than maxBatch records', async () => {
    const w = recordingWriter();
    const p = new IngestPipeline(w.write, { depth: 16, maxBatch: 4 });
    for (let i = 1; i <= 10; i++) await p.add(instance(`4.${i}`, 3));
    await p.finish();
    expect(w.parts.map((part) => part.records.length).filter((n) => n > 0)).toEqual([4, 4, 2]);
    // Batches still in flight when the last one was taken: the audit event follows on its own.
    expect(w.parts.at(-1)!.audit).toBe(true);
    expect(w.parts.filter((part) => part.audit)).toHaveLength(1);
  });

  it('audits only after a failed record has become a rejected receipt', async () => {
    const w = recordingWriter((sop) => (sop === '5.2' ? 'SERIES_IN_OTHER_STUDY' : undefined));
    const p = new IngestPipeline(w.write, { depth: 16 });
    const rejecting = async (io: Parameters<ReturnType<typeof instance>>[0]): Promise<InstanceReceipt> => {
      io.consumed();
      await tick();
      try {
        await io.record(rec('5.2'));
        return { status: 'STORED', sopInstanceUid: '5.2' };
      } catch (err) {
        return { status: 'REJECTED', code: (err as { code?: string }).code, sopInstanceUid: '5.2' };
      }
    };
    await p.add(instance('5.1', 1));
    await p.add(rejecting);
    const receipts = await p.finish();
    expect(receipts.map((r) => [r.sopInstanceUid, r.status, r.code])).toEqual([
      ['5.1', 'STORED', undefined],
      ['5.2', 'REJECTED', 'SERIES_IN_OTHER_STUDY'],
    ]);
    // The batch with the failure could not audit; a last write carries the rejection and the audit.
    const last = w.parts.at(-1)!;
    expect(last).toMatchObject({ records: [], audit: true });
    expect(last.receipts.map((r) => r.sopInstanceUid)).toEqual(['5.2']);
  });

  it('writes a record again after a deadlock', async () => {
    const w = recordingWriter((sop, attempt) => (sop === '6.1' && attempt === 1 ? 'deadlock detected' : undefined));
    const p = new IngestPipeline(w.write, { depth: 16 });
    await p.add(instance('6.1'));
    const receipts = await p.finish();
    expect(receipts).toEqual([expect.objectContaining({ status: 'STORED', sopInstanceUid: '6.1' })]);
    expect(w.parts.flatMap((part) => part.records.map((r) => r.instance.sopInstanceUid))).toEqual(['6.1', '6.1']);
    expect(w.parts.at(-1)!.audit).toBe(true);
  });

  it('fails the request when a write fails, after every instance has settled', async () => {
    const p = new IngestPipeline(async () => {
      throw new Error('database down');
    });
    await p.add(instance('7.1'));
    await expect(p.finish()).rejects.toThrow('database down');
  });

  it('keeps at most `depth` instances running: the reader waits for one to settle', async () => {
    const w = recordingWriter();
    const p = new IngestPipeline(w.write, { depth: 3 });
    let running = 0;
    let most = 0;
    const counted = (sop: string) => async (io: Parameters<ReturnType<typeof instance>>[0]) => {
      most = Math.max(most, ++running);
      try {
        return await instance(sop, 3)(io);
      } finally {
        running--;
      }
    };
    for (let i = 1; i <= 8; i++) await p.add(counted(`10.${i}`));
    expect((await p.finish()).map((r) => r.sopInstanceUid)).toEqual(Array.from({ length: 8 }, (_, i) => `10.${i + 1}`));
    expect(most).toBe(3);
  });

  it('writes nothing for a request without instances', async () => {
    const w = recordingWriter();
    const p = new IngestPipeline(w.write);
    expect(await p.finish()).toEqual([]);
    expect(w.parts).toEqual([]);
  });
});
