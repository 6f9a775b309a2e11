import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb } from './client';
import { migrate } from './migrate';
import { createApiToken, createPractice } from './repos/index';

const adminUrl = inject('databaseAdminUrl');
const dbName = `vetpacs_plans_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

let practice: string;
let token: string;

/** One new tiny instance as IngestRepo sends it to manual_ingest_batch. */
function item(n: number, patientId: string) {
  const uid = (kind: number) => `2.25.${kind}${n}${Date.now()}`;
  const sop = uid(3);
  return {
    req: 0,
    practice,
    site: null,
    actor: `api_token:${token}`,
    patient: { patientId, issuer: 'SITEA', rawPatientName: 'Smith^Rex', petName: 'Rex', ownerName: 'Smith', ownerFamilyName: 'Smith', breedRegistration: [], neutered: 'UNKNOWN', searchText: 'rex smith' },
    study: { studyInstanceUid: uid(1), studyDate: '20240101', studyDateValue: '2024-01-01' },
    series: { seriesInstanceUid: uid(2), modality: 'DX', seriesNumber: 1 },
    instance: {
      sopInstanceUid: sop, sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1', transferSyntaxUid: '1.2.840.10008.1.2.1', byteSize: 100,
      sha256: randomBytes(32).toString('hex'), objectKey: `k/${sop}`, numberOfFrames: 1, metadata: {}, frameOffsets: null,
    },
  };
}

/** manual_ingest_batch as IngestRepo calls it: the instances' metadata in its own parameter. */
function ingestBatch(client: pg.Client, items: { instance: { metadata: unknown } }[], requests: unknown[]) {
  const rest = items.map(({ instance: { metadata: _, ...instance }, ...it }) => ({ ...it, instance }));
  return client.query('SELECT * FROM manual_ingest_batch($1::jsonb, $2::jsonb, $3::json)', [
    JSON.stringify(rest),
    JSON.stringify(requests),
    JSON.stringify(items.map((i) => i.instance.metadata)),
  ]);
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  await migrate(url);
  const db = createDb(url, { maxConnections: 1 });
  practice = (await createPractice(db, { name: 'Plans', slug: 'plans' }, { type: 'CLI', id: 'test' })).id;
  await createApiToken(db, practice, { name: 't', role: 'VET' }, { type: 'CLI', id: 'test' });
  token = (await db.apiToken.findFirstOrThrow({ where: { practiceId: practice } })).id;
  await db.close();
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
});

describe('manual_ingest_batch on a new database', () => {
  // PL/pgSQL keeps a statement's generic plan from its sixth call on. Made while the tables are
  // nearly empty, such a plan could look a key up through any index led by practice_id and keep
  // doing so as the tables grow (migration *_ingest_lookups_planned_per_call). The audit's count
  // is planned per call; the patient lookup keeps its cached plan, safe because the unique key is
  // the only index it can use (migration *_ingest_patient_lookup_cached).
  it('looks rows up by their unique keys in every call, also after the plans are cached', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const plans: string[] = [];
    client.on('notice', (n) => plans.push(n.message ?? ''));
    await client.query("LOAD 'auto_explain'");
    await client.query('SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET client_min_messages = log');
    const call = async (n: number) => {
        // The same patient again and again (its row exists, unchanged: looked up), and the request's
        // audit event counting the upload's receipts.
        const items = [item(n * 2, 'P1'), item(n * 2 + 1, 'P1')];
        const request = { practice, upload: `upload-${randomUUID()}`, gateway: null, user: null, token, receipts: [], audit: { actorType: 'API_TOKEN', actorId: token, sourceIp: null, siteId: null } };
        const { rows } = await ingestBatch(client, items, [request]);
        expect(rows.map((r) => r.error ?? r.kind)).toEqual(['created', 'created', 'audit']);
    };
    try {
      for (let n = 0; n < 8; n++) await call(n);
      // The practice grows (no ANALYZE runs meanwhile): other uploads' receipts, other patients.
      await client.query(`INSERT INTO receipt (id, practice_id, upload_id, sop_instance_uid, status, api_token_id)
        SELECT gen_random_uuid(), $1, 'other-' || (g % 50), '2.25.9' || g, 'STORED', $2 FROM generate_series(1, 20000) g`, [practice, token]);
      await client.query(`INSERT INTO patient (id, practice_id, patient_id, issuer, search_text, updated_at)
        SELECT gen_random_uuid(), $1, 'Q' || g, 'SITEA', '', now() FROM generate_series(1, 20000) g`, [practice]);
      plans.length = 0;
      for (let n = 8; n < 11; n++) await call(n);
    } finally {
      await client.end();
    }
    const audits = plans.filter((p) => p.includes('INSERT INTO audit_event'));
    const patientLookups = plans.filter((p) => /SELECT p\.id\s+FROM patient p/.test(p));
    expect(audits).toHaveLength(3);
    expect(patientLookups.length).toBeGreaterThanOrEqual(3);
    for (const plan of audits) expect(plan).toMatch(/receipt_practice_id_upload_id_idx/);
    for (const plan of patientLookups) expect(plan).toMatch(/patient_practice_id_patient_id_issuer_key/);
  });

  // Items of one patient, study and series reuse the rows the previous new item resolved; an item
  // that fails in between leaves nothing to reuse that it wrote.
  it('counts every instance of a study once when its items share rows, also around a failed item', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const first = item(900, 'P2');
      const slice = (n: number, frames: number | null) => ({
        ...first,
        instance: { ...first.instance, sopInstanceUid: `${first.instance.sopInstanceUid}.${n}`, objectKey: `k/${n}`, numberOfFrames: frames },
      });
      // A new study: the second item fails (NOT NULL), the others are recorded.
      const items = [slice(1, 1), slice(2, null), slice(3, 1), slice(4, 1)];
      const request = { practice, upload: `upload-${randomUUID()}`, gateway: null, user: null, token, receipts: [], audit: null };
      const { rows } = await ingestBatch(client, items, [request]);
      expect(rows.map((r) => r.kind)).toEqual(['created', 'error', 'created', 'created']);
      expect(new Set(rows.filter((r) => r.kind === 'created').map((r) => r.study_id)).size).toBe(1);
      // The failed item first in a new study: it created the study and series rows, then rolled them back.
      const other = item(901, 'P2');
      const next = [
        { ...other, instance: { ...other.instance, numberOfFrames: null } },
        { ...other, instance: { ...other.instance, sopInstanceUid: `${other.instance.sopInstanceUid}.2`, objectKey: 'k/x2' } },
      ];
      const again = await ingestBatch(client, next, [request]);
      expect(again.rows.map((r) => r.kind)).toEqual(['error', 'created']);
      const counts = await client.query(
        `SELECT st.study_instance_uid, st.number_of_instances AS study_n, st.number_of_series, st.modalities_in_study, se.number_of_instances AS series_n,
                (SELECT count(*) FROM instance i WHERE i.series_id = se.id)::int AS rows_n
           FROM study st JOIN series se ON se.study_id = st.id
          WHERE st.study_instance_uid IN ($1, $2) ORDER BY st.study_instance_uid = $1 DESC`,
        [first.study.studyInstanceUid, other.study.studyInstanceUid],
      );
      expect(counts.rows).toEqual([
        { study_instance_uid: first.study.studyInstanceUid, study_n: 3, number_of_series: 1, modalities_in_study: ['DX'], series_n: 3, rows_n: 3 },
        { study_instance_uid: other.study.studyInstanceUid, study_n: 1, number_of_series: 1, modalities_in_study: ['DX'], series_n: 1, rows_n: 1 },
      ]);
    } finally {
      await client.end();
    }
  });
});
