import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, stowParts, type TestPractice, type TestServer } from './harness';

/**
 * A new study's stored QIDO-RS text is written by ingest (study-qido-text.ts) instead of by the
 * study's insert trigger. It must be byte for byte what Postgres's manual_qido_study_json writes for
 * the same rows, or a default study search would answer differently from one with includefield.
 */
describe('stored QIDO-RS text of studies created by ingest', () => {
  let server: TestServer;
  let practice: TestPractice;

  // Awkward values: name groups (empty ones too), quotes, non-ASCII, empty and absent attributes,
  // a birth date, no modality.
  const studies = [
    { patientName: 'Müller^Bärli=山田^太郎', patientId: 'Q-"1"', referringPhysicianName: 'Vet^Anna==Fonetik', studyDescription: 'Thorax "lateral" ½' },
    { patientName: '==', patientId: 'Q-2', referringPhysicianName: '', accessionNumber: 'ACC "7"', birthDate: '20190203', sex: 'F' },
    { patientName: '=Ideo', patientId: 'Q-3', studyDate: '', studyTime: '', studyDescription: '' },
    { patientName: 'Owner^Pet', patientId: 'Q-4', modality: '', sex: '' },
    { patientName: '', patientId: 'Q-5', referringPhysicianName: 'a=b=c=d' },
  ];

  beforeAll(async () => {
    server = await startTestServer();
    practice = await createTestPractice(server.deps.db);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Runs `fn` with the study's insert trigger off: a stored text then can only be ingest's. */
  const withoutInsertTrigger = async (fn: () => Promise<void>) => {
    const db = server.deps.db;
    await db.$executeRawUnsafe('ALTER TABLE study DISABLE TRIGGER manual_study_qido_json_insert');
    try {
      await fn();
    } finally {
      await db.$executeRawUnsafe('ALTER TABLE study ENABLE TRIGGER manual_study_qido_json_insert');
    }
  };

  it('is the text manual_qido_study_json writes, for every study STOW-RS creates', async () => {
    const db = server.deps.db;
    const files = studies.map((o, k) => ({ body: makeDicom({ seed: 9700 + k, ...o }) }));
    await withoutInsertTrigger(async () => {
      expect((await stowParts(server, practice.bearer, files)).status).toBe(200);
    });
    const rows = await db.$queryRawUnsafe<{ uid: string; stored: string | null; computed: string }[]>(
      `SELECT st.study_instance_uid AS uid, st.qido_json AS stored, manual_qido_study_json(st, p) AS computed
         FROM study st JOIN patient p ON p.id = st.patient_ref_id WHERE st.practice_id = $1::uuid`,
      practice.id,
    );
    expect(rows).toHaveLength(studies.length);
    for (const r of rows) {
      expect(r.stored, r.uid).toBe(r.computed);
      JSON.parse(r.stored!);
    }
  });

  it('comes from ingest, not from the insert trigger (which still fills a study inserted without it)', async () => {
    const db = server.deps.db;
    const file = makeDicom({ seed: 9800, patientName: 'Trigger^Off=トリガー', patientId: 'Q-9', studyDescription: 'no "trigger"' });
    await withoutInsertTrigger(async () => {
      expect((await stowParts(server, practice.bearer, [{ body: file }])).status).toBe(200);
    });
    const [row] = await db.$queryRawUnsafe<{ stored: string | null; computed: string }[]>(
      `SELECT st.qido_json AS stored, manual_qido_study_json(st, p) AS computed
         FROM study st JOIN patient p ON p.id = st.patient_ref_id WHERE st.practice_id = $1::uuid AND p.patient_id = 'Q-9'`,
      practice.id,
    );
    expect(row?.stored).not.toBeNull();
    expect(row?.stored).toBe(row?.computed);

    // A second instance of that study updates its counters: the update trigger rewrites the text.
    const more = makeDicom({ seed: 9800, patientName: 'Trigger^Off=トリガー', patientId: 'Q-9', sopInstanceUid: '1.2.826.0.1.3680043.8.498.98001' });
    expect((await stowParts(server, practice.bearer, [{ body: more }])).status).toBe(200);
    const [after] = await db.$queryRawUnsafe<{ stored: string }[]>(
      `SELECT st.qido_json AS stored FROM study st JOIN patient p ON p.id = st.patient_ref_id WHERE st.practice_id = $1::uuid AND p.patient_id = 'Q-9'`,
      practice.id,
    );
    expect(after?.stored).toContain('"00201208":{"vr":"IS","Value":[2]}');

    // Without the text (a row written by other code), the insert trigger writes it.
    await db.$executeRawUnsafe(
      `INSERT INTO study (id, practice_id, patient_ref_id, study_instance_uid, number_of_series, number_of_instances, created_at, updated_at)
       SELECT gen_random_uuid(), practice_id, id, '1.2.3.9801', 0, 0, now(), now() FROM patient WHERE practice_id = $1::uuid AND patient_id = 'Q-9'`,
      practice.id,
    );
    const [direct] = await db.$queryRawUnsafe<{ stored: string | null }[]>(`SELECT qido_json AS stored FROM study WHERE study_instance_uid = '1.2.3.9801'`);
    expect(direct?.stored).toContain('"0020000D":{"vr":"UI","Value":["1.2.3.9801"]}');
  });
});
