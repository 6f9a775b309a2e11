import { randomBytes, randomUUID } from 'node:crypto';
import { createApiToken, createDb, createPractice, type Db } from '@vetpacs/db';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CommitOutcomeUnknown } from './record-errors';
import { INGEST_CONNECTIONS, IngestRepo } from './repo';
import type { IngestContext, InstanceRecord, PartResult } from './types';

let db: Db;
let repo: IngestRepo;
let ctx: () => IngestContext;
/** Idle connections the pools reported lost (createDb's onIdleConnectionLost). */
const lost: Error[] = [];

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
      bitsAllocated: 16, pixelDataOffset: 0, pixelDataLength: 2, frameOffsets: null, metadata: '{}',
    },
  } as unknown as InstanceRecord;
}

const visible = async (rec: InstanceRecord) => (await db.instance.count({ where: { sopInstanceUid: rec.instance.sopInstanceUid } })) === 1;

/**
 * Polls (without a clock) until `count` (a query of one count) is at least `atLeast`: true; or until
 * `settled` settles first: false. Without `settled`, until the count is reached.
 */
async function reached(count: () => Promise<{ count: bigint }[]>, atLeast = 1, settled?: Promise<unknown>): Promise<boolean> {
  let done = false;
  void settled?.then(
    () => (done = true),
    () => (done = true),
  );
  for (;;) {
    if (Number((await count())[0]?.count) >= atLeast) return true;
    if (done) return false;
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Waits until `n` of the repository's transactions hold their rows open: 'open'; or until
 * `settled` settles first (the writes did not wait): 'settled'.
 */
async function openTransactions(n: number, settled: Promise<unknown>): Promise<'open' | 'settled'> {
  const idle = () => db.$queryRaw<{ count: bigint }[]>`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`;
  return (await reached(idle, n, settled)) ? 'open' : 'settled';
}

beforeAll(async () => {
  db = createDb(inject('databaseUrl'), { maxConnections: 6, onIdleConnectionLost: (err) => lost.push(err) });
  const practice = await createPractice(db, { name: 'Repo', slug: `repo-${randomUUID().slice(0, 8)}` }, { type: 'CLI', id: 'test' });
  await createApiToken(db, practice.id, { name: 't', role: 'VET' }, { type: 'CLI', id: 'test' });
  const token = await db.apiToken.findFirstOrThrow({ where: { practiceId: practice.id } });
  ctx = () => ({ practiceId: practice.id, siteId: null, actor: { type: 'API_TOKEN', id: token.id }, uploadId: `up-${randomUUID()}`, traceId: 't' });
  repo = new IngestRepo(db);
});

afterAll(async () => {
  await repo.close();
  await db.close();
});

/** Waits until an open transaction of this database has inserted into `instance`. */
async function instanceRowsWrittenUncommitted(): Promise<void> {
  await reached(
    () => db.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND l.relation = 'instance'::regclass AND l.mode = 'RowExclusiveLock'`,
  );
}

/**
 * Terminates this database's other backends (only those of `applicationName`, if given) and waits
 * (without a clock) until they are gone, then one more turn of the event loop, so that the pools
 * have read their connections' end. Returns how many it terminated.
 */
async function terminateBackends(applicationName?: string): Promise<number> {
  const killed = await db.$queryRaw<{ pid: number }[]>`
    SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid()
       AND (${applicationName ?? null}::text IS NULL OR application_name = ${applicationName ?? null}::text)`;
  for (;;) {
    const left = await db.$queryRaw<{ count: bigint }[]>`SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(${killed.map((k) => k.pid)})`;
    if (Number(left[0]?.count) === 0) break;
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setImmediate(r));
  return killed.length;
}

describe('IngestRepo group-commit lane', () => {
  it('writes on a new connection after its own was lost between batches', async () => {
    const first = record();
    await repo.writePart({ ctx: ctx(), records: [first], durable: [Promise.resolve()], receipts: [], audit: true });
    // The lane's connection goes (as in a Postgres restart or a network cut) while it waits for work.
    expect(await terminateBackends(INGEST_CONNECTIONS.applicationName)).toBeGreaterThan(0);
    const second = record();
    const result = await repo.writePart({ ctx: ctx(), records: [second], durable: [Promise.resolve()], receipts: [], audit: true });
    expect(result.outcomes[0]).toMatchObject({ kind: 'created' });
    expect(await visible(second)).toBe(true);
  });
});

describe('IngestRepo when a COMMIT is lost', () => {
  /**
   * Waits until a transaction has answered all its statements (its last one
   * writes the audit event) and waits for its objects: idle in transaction, holding the audit
   * table's write lock. Only "idle in transaction" would not do: BEGIN, the transaction id and the
   * calls are pipelined, and the backend may idle between them; a cut there fails a statement
   * before the COMMIT, an outcome that is known (rolled back), not the case under test.
   * 'settled': `writing` settled first (the writes did not wait).
   */
  async function waitingForObjects(writing: Promise<unknown>): Promise<'waiting' | 'settled'> {
    const waiting = () => db.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) FROM pg_stat_activity a
       WHERE a.datname = current_database() AND a.state = 'idle in transaction'
         AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = 'audit_event'::regclass AND l.mode = 'RowExclusiveLock')`;
    return (await reached(waiting, 1, writing)) ? 'waiting' : 'settled';
  }

  /** Waits until the rows are written and the transaction waits for `object`, then cuts the connection. */
  async function loseTheCommit(writing: Promise<unknown>, object: ReturnType<typeof deferred>): Promise<CommitOutcomeUnknown> {
    expect(await waitingForObjects(writing)).toBe('waiting');
    expect(await terminateBackends(INGEST_CONNECTIONS.applicationName)).toBeGreaterThan(0);
    object.resolve(); // the COMMIT now goes to a connection that is gone
    const err = await writing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommitOutcomeUnknown);
    return err as CommitOutcomeUnknown;
  }

  it("a record stream's error names its transaction, whose outcome Postgres then tells", async () => {
    const stream = repo.openStream(ctx())!;
    const rec = record();
    const object = deferred();
    stream.add(rec, object.promise);
    const err = await loseTheCommit(stream.close([], true), object);
    expect(err.xid).toMatch(/^\d+$/);
    expect(await repo.transactionStatus(err.xid!)).toBe('aborted');
    expect(await visible(rec)).toBe(false);
  });

  it("a group-commit batch's error names its transaction too", async () => {
    const rec = record();
    const object = deferred();
    const err = await loseTheCommit(repo.writePart({ ctx: ctx(), records: [rec], durable: [object.promise], receipts: [], audit: true }), object);
    expect(await repo.transactionStatus(err.xid!)).toBe('aborted');
    expect(await visible(rec)).toBe(false);
  });

  it('tells committed, rolled-back and running transactions apart', async () => {
    const xidOf = async (c: { query: (q: string) => Promise<{ rows: { xid: string }[] }> }) => {
      await c.query('BEGIN');
      return (await c.query('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid;
    };
    const c = await db.pool.connect();
    try {
      const committed = await xidOf(c);
      await c.query('COMMIT');
      const rolledBack = await xidOf(c);
      await c.query('ROLLBACK');
      const running = await xidOf(c);
      expect(await repo.transactionStatus(committed)).toBe('committed');
      expect(await repo.transactionStatus(rolledBack)).toBe('aborted');
      expect(await repo.transactionStatus(running)).toBe('in progress');
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
  });
});

describe('IngestRepo record streams', () => {
  it('writes each record as it is added, in one transaction that commits at close once every object is durable', async () => {
    const c = ctx();
    const stream = repo.openStream(c)!;
    expect(stream).toBeDefined();
    const [a, b, d] = [record(), record(), record()];
    const object = deferred();
    stream.add(a, object.promise);
    // Written before the request ends, but not visible: nothing has committed.
    await instanceRowsWrittenUncommitted();
    expect(await visible(a)).toBe(false);
    stream.add(b, undefined);
    stream.add(d, Promise.resolve());
    const closing = stream.close([{ status: 'REJECTED', code: 'NOT_DICOM', reason: 'not DICOM' }], true);
    expect(await openTransactions(1, closing)).toBe('open');
    expect(await visible(b)).toBe(false);
    object.resolve();
    const result = await closing;
    expect(result.outcomes.map((o) => (o as { kind: string }).kind)).toEqual(['created', 'created', 'created']);
    expect(result.audited).toBe(true);
    for (const r of [a, b, d]) expect(await visible(r)).toBe(true);
    expect((await db.receipt.findMany({ where: { uploadId: c.uploadId } })).map((r) => r.status).sort()).toEqual(['REJECTED', 'STORED', 'STORED', 'STORED']);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { entityId: c.uploadId } });
    expect(audit.details).toMatchObject({ stored: 3, rejected: 1 });
  });

  it('rolls the whole stream back when an object write failed, and can stream again', async () => {
    const c = ctx();
    const stream = repo.openStream(c)!;
    const [failing, sibling] = [record(), record()];
    const broken = deferred();
    stream.add(failing, broken.promise);
    stream.add(sibling, Promise.resolve());
    const closing = stream.close([], true);
    broken.reject(new Error('disk failed'));
    await expect(closing).rejects.toThrow('disk failed');
    expect(await visible(failing)).toBe(false);
    expect(await visible(sibling)).toBe(false);
    expect(await db.receipt.count({ where: { uploadId: c.uploadId } })).toBe(0);
    expect(await db.auditEvent.count({ where: { entityId: c.uploadId } })).toBe(0);
    const again = repo.openStream(ctx());
    expect(again).toBeDefined();
    await again!.close([], false);
  });

  it('survives the loss of every idle connection of both pools (a Postgres restart), then streams again', async () => {
    const first = repo.openStream(ctx())!;
    first.add(record(), Promise.resolve());
    await first.close([], true); // its connection now waits in the pipeline pool
    // Every other connection of this database goes, as in a Postgres restart: the stream's idle one,
    // the lane's and the main pool's. An idle connection's error is emitted on its pool; unheard,
    // it ended the process.
    expect(await terminateBackends()).toBeGreaterThan(0);
    expect(lost.some((e) => /terminat/i.test(e.message))).toBe(true);
    const again = repo.openStream(ctx())!;
    const rec = record();
    again.add(rec, Promise.resolve());
    const result = await again.close([], true);
    expect(result.outcomes[0]).toMatchObject({ kind: 'created' });
    expect(await visible(rec)).toBe(true);
  });

  it('offers no stream while another is open or a batch is being written', async () => {
    const first = repo.openStream(ctx())!;
    expect(repo.openStream(ctx())).toBeUndefined();
    await first.close([], false);
    const object = deferred();
    const writing = repo.writePart({ ctx: ctx(), records: [record()], durable: [object.promise], receipts: [], audit: true });
    expect(repo.openStream(ctx())).toBeUndefined();
    object.resolve();
    await writing;
    const later = repo.openStream(ctx());
    expect(later).toBeDefined();
    await later!.close([], false);
  });
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

describe('IngestRepo audit events', () => {
  // A STOW request written in one part counts its audit event from the call (migration
  // *_ingest_audit_from_the_call); any other counts the upload's receipt rows. Both must agree.
  it('counts a whole request from the call exactly as from the receipt rows', async () => {
    const write = async (whole: boolean) => {
      const base = ctx();
      const c: IngestContext = { ...base, newUpload: whole };
      const [a, b, other] = [record(), record(), record()];
      // b is a second instance of a's study, `other` in a study of its own; a's duplicate comes too.
      const bInStudy = { ...b, study: a.study } as InstanceRecord;
      const first = await repo.writePart({ ctx: c, records: [a], receipts: [], audit: false, first: true });
      expect(first.outcomes.map((o) => (o instanceof Error ? o.message : o.kind))).toEqual(['created']);
      // The request under test: its only part (first and audited), or not its first.
      const upload = `up-${randomUUID()}`;
      const again = { ...a, instance: { ...a.instance } } as InstanceRecord;
      const rejected = (n: number) => ({ status: 'REJECTED' as const, code: 'INVALID_UID', reason: 'bad', studyInstanceUid: '2.25.1', sopInstanceUid: `2.25.1.${n}` });
      const result = await repo.writePart({
        ctx: { ...c, uploadId: upload },
        records: [bInStudy, again, other],
        receipts: [rejected(1), rejected(2), rejected(3)],
        audit: true,
        first: whole,
      });
      expect(result.audited).toBe(true);
      const event = await db.auditEvent.findFirstOrThrow({ where: { practiceId: c.practiceId, action: 'ingest.upload', entityId: upload } });
      return { details: event.details as Record<string, unknown>, studies: [a.study.studyInstanceUid, other.study.studyInstanceUid, '2.25.1'].sort() };
    };
    const fromCall = await write(true);
    const fromRows = await write(false);
    expect(fromCall.details).toEqual({ stored: 2, duplicate: 1, conflict: 0, rejected: 3, studies: fromCall.studies, siteId: null });
    expect(fromRows.details).toEqual({ stored: 2, duplicate: 1, conflict: 0, rejected: 3, studies: fromRows.studies, siteId: null });
  });
});
