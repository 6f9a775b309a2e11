/**
 * Postgres alone under the `many` ingest workload: writes batches of new tiny instances (each its
 * own study and series; a patient pool of a third of the instances, as gen_dataset.py makes them)
 * through manual_ingest_batch, as IngestRepo sends them, into a fresh database, one backend, and
 * prints the backend's CPU and the wall time per instance. A report, not a test.
 *
 *   node --import tsx scripts/bench/ingest-replay.ts                       # 5,000 instances, batches of 10
 *   INSTANCES=3000 BATCH=20 EXTRA_SQL=/tmp/variant.sql node --import tsx scripts/bench/ingest-replay.ts
 *
 * EXTRA_SQL: a file run after the migrations (a variant of a function, an index dropped…), to
 * compare variants alternately on this noisy machine. BENCH_DATABASE_ADMIN_URL: where to create
 * the throwaway database (as for serve-for-bench.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createApiToken, createDb, createPractice } from '@vetpacs/db';
import { migrate } from '@vetpacs/db/migrate';
import { createDatabaseIfMissing, dropDatabase, withDatabase } from '@vetpacs/devservices';

const instances = Number(process.env.INSTANCES ?? 5000);
const batch = Number(process.env.BATCH ?? 10);
const admin = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const extraSql = process.env.EXTRA_SQL;
const dbName = `vetpacs_replay_${randomBytes(4).toString('hex')}`;
const url = withDatabase(admin, dbName);

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
  return {
    req: 0,
    practice,
    site: null,
    actor: `api_token:${token}`,
    patient: {
      patientId: `PID${p}`, issuer: '', rawPatientName: `Owner${p}^Pet${p}`, petName: `Pet${p}`, ownerName: `Owner${p}`,
      ownerFamilyName: `Owner${p}`, speciesDescription: 'Canine', breedRegistration: [], neutered: 'UNKNOWN', searchText: `pet${p} owner${p}`,
    },
    study: { studyInstanceUid: `${root}.1`, studyDate: '20240101', studyDateValue: '2024-01-01', studyTime: '101010', accessionNumber: `A${k}`, studyDescription: 'Thorax' },
    series: { seriesInstanceUid: `${root}.2`, modality: ['DX', 'CR', 'US'][k % 3], seriesNumber: 1 },
    instance: {
      sopInstanceUid: sop, sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1', instanceNumber: 1, transferSyntaxUid: '1.2.840.10008.1.2.1',
      byteSize: 9384, sha256: randomBytes(32).toString('hex'), objectKey: `practices/${practice}/originals/abc/${sop}.dcm`,
      numberOfFrames: 1, rows: 64, columns: 64, bitsAllocated: 16, pixelDataOffset: 1000, pixelDataLength: 8192, frameOffsets: null,
      metadata: metadataOf(sop),
    },
  };
}

await createDatabaseIfMissing(admin, dbName);
try {
  await migrate(url);
  const db = createDb(url, { maxConnections: 1 });
  try {
    const practice = (await createPractice(db, { name: 'Replay', slug: 'replay' }, { type: 'CLI', id: 'replay' })).id;
    await createApiToken(db, practice, { name: 'replay', role: 'VET' }, { type: 'CLI', id: 'replay' });
    const token = (await db.apiToken.findFirstOrThrow({ where: { practiceId: practice } })).id;
    // One backend for the whole replay (the pool's only connection), as IngestRepo's one lane.
    const client = await db.pool.connect();
    try {
      if (extraSql) await client.query(readFileSync(extraSql, 'utf8'));
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // utime + stime of the backend, in clock ticks (10 ms).
      const cpuTicks = () => {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return Number(fields[11]) + Number(fields[12]);
      };
      const started = performance.now();
      const ticks = cpuTicks();
      let notCreated = 0;
      for (let k = 0; k < instances; k += batch) {
        const items = Array.from({ length: Math.min(batch, instances - k) }, (_, j) => itemOf(k + j, practice, token));
        // IngestRepo's lock order: patient, then study.
        items.sort((a, b) => (a.patient.patientId + a.study.studyInstanceUid < b.patient.patientId + b.study.studyInstanceUid ? -1 : 1));
        const request = { practice, upload: `replay-${randomUUID()}`, gateway: null, user: null, token, receipts: [], audit: { actorType: 'API_TOKEN', actorId: token, sourceIp: null, siteId: null } };
        await client.query('BEGIN');
        const { rows } = await client.query<{ kind: string }>({
          name: 'ingest_batch',
          text: 'SELECT * FROM manual_ingest_batch($1::jsonb, $2::jsonb)',
          values: [JSON.stringify(items), JSON.stringify([request])],
        });
        await client.query('COMMIT');
        notCreated += rows.filter((r) => r.kind !== 'created' && r.kind !== 'audit').length;
      }
      const wallUs = ((performance.now() - started) * 1000) / instances;
      const cpuUs = ((cpuTicks() - ticks) * 10_000) / instances;
      const counts = (
        await client.query(`SELECT (SELECT count(*) FROM instance)::int AS instances, (SELECT count(*) FROM study)::int AS studies,
                                   (SELECT count(*) FROM patient)::int AS patients, (SELECT count(*) FROM receipt)::int AS receipts`)
      ).rows[0];
      console.log(
        `${instances} instances, batches of ${batch}${extraSql ? `, with ${extraSql}` : ''}: Postgres CPU ${cpuUs.toFixed(0)} µs/instance, ` +
          `wall ${wallUs.toFixed(0)} µs/instance; not created: ${notCreated}; rows ${JSON.stringify(counts)}`,
      );
    } finally {
      client.release();
    }
  } finally {
    await db.close();
  }
} finally {
  await dropDatabase(admin, dbName);
}
