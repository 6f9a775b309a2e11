/**
 * Postgres alone under the `many` ingest workload: writes batches of new tiny instances (each its
 * own study and series; a patient pool of a third of the instances, as gen_dataset.py makes them)
 * through manual_ingest_batch, as IngestRepo sends them, into a fresh database, one backend, and
 * prints the backend's CPU and the wall time per instance. A report, not a test.
 *
 *   node --import tsx scripts/bench/ingest-replay.ts                       # 5,000 instances, batches of 10
 *   INSTANCES=3000 BATCH=20 EXTRA_SQL=/tmp/variant.sql node --import tsx scripts/bench/ingest-replay.ts
 *   VARIANTS=-,/tmp/a.sql,/tmp/b.sql node --import tsx scripts/bench/ingest-replay.ts
 *
 * STREAM=1: each batch is written as the record stream writes a request at concurrency 1: calls of
 * 1, 2, 4 … items pipelined in one transaction, the audit event with the last (record-stream.ts).
 * WHOLE=0: the requests' audit events count their receipt rows (tus, streams) instead of the call.
 * EXTRA_SQL: a file run after the migrations (a variant of a function, an index dropped…).
 * VARIANTS: several at once (`-`: the migrations alone), one database and backend each, their
 * batches interleaved (batch k of every variant, then batch k+1), so that this machine's noise
 * falls on all of them alike: the same variant twice then agrees within ~2 %, where runs one after
 * another differed by up to 50 %. PARALLEL=1 runs the variants' backends side by side instead.
 * REPLAY_FILE: batches a server really wrote instead of made-up ones, one `[items, requests,
 * metadata]` JSON per line — manual_ingest_batch's three parameters (capture them with a line in
 * IngestRepo.writeBatch that appends `JSON.stringify([order.map((i) => items[i]),
 * parts.map(toRequest), order.map((i) => JSON.parse(metadata[i]))])` to a file: each metadata
 * is its JSON text there). PERF_OUT: a
 * `perf record -g` of the first variant's backend. BENCH_DATABASE_ADMIN_URL: where to create the
 * throwaway databases (as for serve-for-bench.ts).
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createApiToken, createDb, createPractice } from '@vetpacs/db';
import { migrate } from '@vetpacs/db/migrate';
import { createDatabaseIfMissing, dropDatabase, withDatabase } from '@vetpacs/devservices';
import { studyQidoText } from '../../apps/server/src/ingest/study-qido-text';

const instances = Number(process.env.INSTANCES ?? 5000);
const batch = Number(process.env.BATCH ?? 10);
const admin = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const extraSql = process.env.EXTRA_SQL;
const captured = process.env.REPLAY_FILE;
const perfOut = process.env.PERF_OUT;
// Requests as a STOW-RS request written in one part sends them (`whole`: the audit event counted
// from the call); WHOLE=0 counts the upload's receipts with a query, as a tus upload or a stream does.
const whole = process.env.WHOLE !== '0';
const stream = process.env.STREAM === '1';
const dbName = `vetpacs_replay_${randomBytes(4).toString('hex')}`;

/** A DICOM JSON of the size a tiny instance has (~2.6 KB): stored as the instance's metadata. */
function metadataOf(sop: string): Record<string, unknown> {
  const meta: Record<string, unknown> = { '00080018': { vr: 'UI', Value: [sop] } };
  for (let t = 0; t < 45; t++) meta[`0008${(0x1000 + t).toString(16).toUpperCase()}`] = { vr: 'LO', Value: [`value ${t} ${'x'.repeat(t % 20)}`] };
  return meta;
}

function itemOf(k: number, practice: string, token: string) {
  const p = k % Math.max(1, Math.floor(instances / 3));
  const root = `1.2.826.0.1.3680043.8.498.${k}`;
  const sop = `${root}.3`;
  const patient = {
    patientId: `PID${p}`, issuer: '', rawPatientName: `Owner${p}^Pet${p}`, petName: `Pet${p}`, ownerName: `Owner${p}`,
    ownerFamilyName: `Owner${p}`, speciesDescription: 'Canine', breedRegistration: [], neutered: 'UNKNOWN', searchText: `pet${p} owner${p}`,
    sex: null, birthDate: null,
  };
  const study = {
    studyInstanceUid: `${root}.1`, studyDate: '20240101', studyDateValue: '2024-01-01', studyTime: '101010', accessionNumber: `A${k}`,
    studyDescription: 'Thorax', referringPhysician: null, studyId: null,
  };
  const series = { seriesInstanceUid: `${root}.2`, modality: ['DX', 'CR', 'US'][k % 3]!, seriesNumber: 1 };
  return {
    req: 0,
    practice,
    site: null,
    actor: `api_token:${token}`,
    patient,
    // Each item is a new study: its stored QIDO-RS text goes with it, as IngestRepo.writeBatch sends it.
    study: { ...study, qidoJson: studyQidoText({ study, series, patient }) },
    series,
    instance: {
      sopInstanceUid: sop, sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1', instanceNumber: 1, transferSyntaxUid: '1.2.840.10008.1.2.1',
      byteSize: 9384, sha256: randomBytes(32).toString('hex'), objectKey: `practices/${practice}/originals/abc/${sop}.dcm`,
      numberOfFrames: 1, rows: 64, columns: 64, bitsAllocated: 16, pixelDataOffset: 1000, pixelDataLength: 8192, frameOffsets: null,
      metadata: metadataOf(sop),
    },
  };
}

type Batch = [items: Record<string, unknown>[], requests: Record<string, unknown>[]];

/** Batches of new tiny instances made up here, as gen_dataset.py's `many` would send them. */
function syntheticBatches(practice: string, token: string): Batch[] {
  const batches: Batch[] = [];
  for (let k = 0; k < instances; k += batch) {
    const items = Array.from({ length: Math.min(batch, instances - k) }, (_, j) => itemOf(k + j, practice, token));
    // IngestRepo's lock order: patient, then study.
    items.sort((a, b) => (a.patient.patientId + a.study.studyInstanceUid < b.patient.patientId + b.study.studyInstanceUid ? -1 : 1));
    const request = {
      practice, upload: `replay-${randomUUID()}`, gateway: null, user: null, token, receipts: [], whole,
      audit: { actorType: 'API_TOKEN', actorId: token, sourceIp: null, siteId: null },
    };
    batches.push([items, [request]]);
  }
  return batches;
}

/**
 * Batches a server wrote (REPLAY_FILE: one `[items, requests, metadata]` JSON per line, as IngestRepo
 * passes them to manual_ingest_batch), moved to this database's practice and token. Each item gets
 * its metadata back (writeBatch sends it as the database's function asks).
 */
function capturedBatches(file: string, practice: string, token: string): Batch[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [items, requests, metadata] = JSON.parse(line) as [...Batch, unknown[]];
      items.forEach((item, i) => {
        Object.assign(item, { practice, site: null, actor: `api_token:${token}` });
        Object.assign(item.instance as object, { metadata: metadata[i] });
      });
      for (const r of requests) {
        Object.assign(r, { practice, gateway: null, user: null, token });
        if (r.audit) Object.assign(r.audit as object, { actorType: 'API_TOKEN', actorId: token, siteId: null });
      }
      return [items, requests];
    });
}

/** One database replayed into: its own backend and CPU counter. */
interface Replica {
  label: string;
  dbName: string;
  db: ReturnType<typeof createDb>;
  client: Awaited<ReturnType<ReturnType<typeof createDb>['pool']['connect']>>;
  batches: Batch[];
  /** utime + stime of the backend, in clock ticks (10 ms). */
  cpuTicks: () => number;
  pid: number;
  ticks: number;
  wallMs: number;
  notCreated: number;
  /** The database's manual_ingest_batch takes the metadata in its own parameter (as IngestRepo sends it). */
  separateMetadata: boolean;
}

async function openReplica(sql: string | undefined, n: number): Promise<Replica> {
  const name = `${dbName}_${n}`;
  const url = withDatabase(admin, name);
  await createDatabaseIfMissing(admin, name);
  await migrate(url);
  const db = createDb(url, { maxConnections: 1 });
  const practice = (await createPractice(db, { name: 'Replay', slug: 'replay' }, { type: 'CLI', id: 'replay' })).id;
  await createApiToken(db, practice, { name: 'replay', role: 'VET' }, { type: 'CLI', id: 'replay' });
  const token = (await db.apiToken.findFirstOrThrow({ where: { practiceId: practice } })).id;
  // One backend for the whole replay (the pool's only connection), as IngestRepo's one lane.
  const client = await db.pool.connect();
  if (sql) await client.query(readFileSync(sql, 'utf8'));
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const cpuTicks = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const batches = captured ? capturedBatches(captured, practice, token) : syntheticBatches(practice, token);
  // Variants may be older functions: call manual_ingest_batch the way the database's own asks.
  const { rows } = await client.query<{ n: number }>(`SELECT max(pronargs)::int AS n FROM pg_proc WHERE proname = 'manual_ingest_batch'`);
  const separateMetadata = rows[0]!.n >= 3;
  return { label: sql ?? 'migrations', dbName: name, db, client, batches, cpuTicks, pid, ticks: 0, wallMs: 0, notCreated: 0, separateMetadata };
}

/** Writes one batch as IngestRepo does, counting its backend's CPU and its wall time. */
async function writeBatch(r: Replica, [items, requests]: Batch): Promise<void> {
  // STREAM=1: the batch's items go as the record stream sends a request's records at concurrency
  // 1 (record-stream.ts): calls of 1, 2, 4 … items in one transaction, the audit event with the last.
  const calls: [Record<string, unknown>[], Record<string, unknown>[]][] = [];
  if (stream) {
    for (let at = 0, size = 1; at < items.length; at += size, size *= 2) {
      const last = at + size >= items.length;
      calls.push([items.slice(at, at + size), requests.map((q) => (last ? q : { ...q, audit: null }))]);
    }
  } else calls.push([items, requests]);
  const values = calls.map(([its, reqs]) => {
    const metadata = its.map((item) => (item.instance as { metadata?: unknown }).metadata);
    return r.separateMetadata
      ? [JSON.stringify(its.map(({ instance, ...rest }) => ({ ...rest, instance: { ...(instance as object), metadata: undefined } }))), JSON.stringify(reqs), JSON.stringify(metadata)]
      : [JSON.stringify(its), JSON.stringify(reqs)];
  });
  const ticks = r.cpuTicks();
  const started = performance.now();
  await r.client.query('BEGIN');
  const answers = await Promise.all(
    values.map((v) =>
      r.client.query<{ kind: string }>({
        name: 'ingest_batch',
        text: r.separateMetadata ? 'SELECT * FROM manual_ingest_batch($1::jsonb, $2::jsonb, $3::json)' : 'SELECT * FROM manual_ingest_batch($1::jsonb, $2::jsonb)',
        values: v,
      }),
    ),
  );
  await r.client.query('COMMIT');
  r.wallMs += performance.now() - started;
  r.ticks += r.cpuTicks() - ticks;
  for (const { rows } of answers) r.notCreated += rows.filter((x) => x.kind !== 'created' && x.kind !== 'audit').length;
}

// VARIANTS=a.sql,b.sql (`-` for the migrations alone): one database each, their batches
// interleaved (batch k of every variant, then batch k+1), so the machine's noise falls on all alike.
const variants = process.env.VARIANTS ? process.env.VARIANTS.split(',').map((v) => (v === '-' ? undefined : v)) : [extraSql];
const replicas: Replica[] = [];
try {
  for (const [n, sql] of variants.entries()) replicas.push(await openReplica(sql, n));
  const perf = perfOut ? spawn('perf', ['record', '-g', '-p', String(replicas[0]!.pid), '-o', perfOut], { stdio: 'ignore' }) : undefined;
  if (perf) await new Promise((r) => setTimeout(r, 500));
  const count = replicas[0]!.batches.length;
  if (process.env.PARALLEL === '1') {
    await Promise.all(replicas.map(async (r) => {
      for (let k = 0; k < count; k++) await writeBatch(r, r.batches[k]!);
    }));
  } else {
    for (let k = 0; k < count; k++) {
      for (const r of k % 2 ? [...replicas].reverse() : replicas) await writeBatch(r, r.batches[k]!);
    }
  }
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
  }
  for (const r of replicas) {
    const total = r.batches.reduce((n, [items]) => n + items.length, 0);
    const counts = (
      await r.client.query(`SELECT (SELECT count(*) FROM instance)::int AS instances, (SELECT count(*) FROM study)::int AS studies,
                                   (SELECT count(*) FROM patient)::int AS patients, (SELECT count(*) FROM receipt)::int AS receipts`)
    ).rows[0];
    console.log(
      `${total} instances${captured ? ` from ${captured}` : `, batches of ${batch}`}, ${r.label}: Postgres CPU ${((r.ticks * 10_000) / total).toFixed(0)} µs/instance, ` +
        `wall ${((r.wallMs * 1000) / total).toFixed(0)} µs/instance; not created: ${r.notCreated}; rows ${JSON.stringify(counts)}`,
    );
  }
} finally {
  for (const r of replicas) {
    r.client.release();
    await r.db.close();
    await dropDatabase(admin, r.dbName);
  }
}
