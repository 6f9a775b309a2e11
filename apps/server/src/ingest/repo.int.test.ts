import { randomBytes, randomUUID } from 'node:crypto';
import { createApiToken, createDb, createPractice, type Db } from '@vetpacs/db';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IngestRepo } from './repo';
import type { IngestContext, InstanceRecord, PartResult } from './types';

let db: Db;
let repo: IngestRepo;
let ctx: () => IngestContext;

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // observed by the repository
  return { promise, resolve, reject };
}

function record(): InstanceRecord {
  const uid = () => `2.25.${BigInt(`0x${randomBytes(12).toString('hex')}`)}`;
  const sop = uid();
  return {
    patient: {
      patientId: `P-${randomUUID()}`, issuer: '', rawPatientName: 'Smith^Rex', petName: 'Rex', ownerName: 'Smith', ownerFamilyName: 'Smith',
      speciesDescription: null, speciesCode: null, breedDescription: null, breedCode: null, breedRegistration: [], sex: null,
      neutered: 'UNKNOWN', birthDate: null, microchip: null, responsiblePersonRole: null, responsibleOrganization: null, searchText: 'rex smith',
    },
    study: { studyInstanceUid: uid(), studyDate: null, studyDateValue: null, studyTime: null, accessionNumber: null, studyDescription: null, referringPhysician: null, studyId: null, institutionName: null },
    series: { seriesInstanceUid: uid(), modality: 'DX', seriesNumber: 1, seriesDescription: null, bodyPartExamined: null },
    instance: {
      sopInstanceUid: sop, sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1', instanceNumber: 1, transferSyntaxUid: '1.2.840.10008.1.2.1',
      byteSize: 100, sha256: randomBytes(32).toString('hex'), objectKey: `test/${sop}.dcm`, numberOfFrames: 1, rows: 1, columns: 1,
      bitsAllocated: 16, pixelDataOffset: 0, pixelDataLength: 2, frameOffsets: null, metadata: {},
    },
  } as unknown as InstanceRecord;
}

const visible = async (rec: InstanceRecord) => (await db.instance.count({ where: { sopInstanceUid: rec.instance.sopInstanceUid } })) === 1;

/**
 * Waits (without a clock) until `n` of the repository's transactions hold their rows open: 'open';
 * or until `settled` settles first (the writes did not wait): 'settled'.
 */
async function openTransactions(n: number, settled: Promise<unknown>): Promise<'open' | 'settled'> {
  let done = false;
  void settled.then(
    () => (done = true),
    () => (done = true),
  );
  for (;;) {
    const rows = await db.$queryRaw<{ count: bigint }[]>`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`;
    if (Number(rows[0]?.count) >= n) return 'open';
    if (done) return 'settled';
    await new Promise((r) => setImmediate(r));
  }
}

beforeAll(async () => {
  db = createDb(inject('databaseUrl'), { maxConnections: 6 });
  const practice = await createPractice(db, { name: 'Repo', slug: `repo-${randomUUID().slice(0, 8)}` }, { type: 'CLI', id: 'test' });
  await createApiToken(db, practice.id, { name: 't', role: 'VET' }, { type: 'CLI', id: 'test' });
  const token = await db.apiToken.findFirstOrThrow({ where: { practiceId: practice.id } });
  ctx = () => ({ practiceId: practice.id, siteId: null, actor: { type: 'API_TOKEN', id: token.id }, uploadId: `up-${randomUUID()}`, traceId: 't' });
  repo = new IngestRepo(db);
});

afterAll(async () => {
  await db.close();
});

describe('IngestRepo with objects still being written', () => {
  it('writes the rows meanwhile but commits only once the object is durable', async () => {
    const rec = record();
    const object = deferred();
    const writing = repo.writePart({ ctx: ctx(), records: [rec], durable: [object.promise], receipts: [], audit: true });
    expect(await openTransactions(1, writing)).toBe('open');
    expect(await visible(rec)).toBe(false);
    object.resolve();
    const result = await writing;
    expect(result.outcomes[0]).toMatchObject({ kind: 'created' });
    expect(result.audited).toBe(true);
    expect(await visible(rec)).toBe(true);
  });

  it('fails the record whose object write failed, leaving no row, and commits the rest of its batch', async () => {
    // A batch holds the lane, so the next two parts are written together as one batch.
    const holder = deferred();
    const held = repo.writePart({ ctx: ctx(), records: [record()], durable: [holder.promise], receipts: [], audit: false });
    expect(await openTransactions(1, held)).toBe('open');
    const failing = record();
    const sibling = record();
    const good = record();
    const broken = deferred();
    const fine = deferred();
    const failingCtx = ctx();
    const results = [
      repo.writePart({ ctx: failingCtx, records: [failing, sibling], durable: [broken.promise, fine.promise], receipts: [], audit: true }),
      repo.writePart({ ctx: ctx(), records: [good], durable: [fine.promise], receipts: [], audit: true }),
    ].map((p) => p.then((r: PartResult) => r, (e: Error) => e));
    holder.resolve();
    await held;
    expect(await openTransactions(1, Promise.allSettled(results))).toBe('open');
    fine.resolve();
    broken.reject(new Error('disk failed'));
    const [failed, written] = (await Promise.all(results)) as PartResult[];
    expect(failed!.outcomes[0]).toBeInstanceOf(Error);
    expect((failed!.outcomes[0] as Error).message).toBe('disk failed');
    expect(failed!.outcomes[1]).toMatchObject({ kind: 'created' });
    expect(written!.outcomes[0]).toMatchObject({ kind: 'created' });
    expect(await visible(failing)).toBe(false);
    expect(await visible(sibling)).toBe(true);
    expect(await visible(good)).toBe(true);
    // Nothing of the failed record: no receipt, no patient, study or series row; its request's
    // audit event counts what was stored.
    expect((await db.receipt.findMany({ where: { uploadId: failingCtx.uploadId } })).map((r) => r.sopInstanceUid)).toEqual([sibling.instance.sopInstanceUid]);
    expect(await db.study.count({ where: { studyInstanceUid: failing.study.studyInstanceUid } })).toBe(0);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { entityId: failingCtx.uploadId } });
    expect(audit.details).toMatchObject({ stored: 1 });
  });
});
