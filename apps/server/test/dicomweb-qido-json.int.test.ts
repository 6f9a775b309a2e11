import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';

type Json = Record<string, { vr: string; Value?: unknown[] }>;

/**
 * The DICOM JSON that Postgres writes for QIDO-RS results (qido-json.ts), on index rows written
 * directly so that edge values (empty strings, '=' name groups, quotes, backslashes, unknown
 * neutered state) are exercised exactly.
 */
describe('QIDO-RS results as DICOM JSON written by SQL', () => {
  let server: TestServer;
  let practice: TestPractice;
  const query = async (path: string) => {
    const res = await fetch(`${server.url}/dicomweb${path}`, { headers: { authorization: practice.bearer, accept: 'application/dicom+json' } });
    expect(res.status).toBe(200);
    return { text: await res.clone().text(), json: (await res.json()) as Json[], warning: res.headers.get('warning') };
  };

  beforeAll(async () => {
    server = await startTestServer();
    practice = await createTestPractice(server.deps.db);
    await server.deps.db.$executeRawUnsafe(
      `WITH p AS (
         INSERT INTO patient (id, practice_id, patient_id, issuer, raw_patient_name, sex, neutered, birth_date, search_text, created_at, updated_at)
         VALUES (gen_random_uuid(), $1::uuid, 'P-"1"\\x', '', 'Yamada^Tarou=山田^太郎', '', 'UNKNOWN', '2019-02-03', 'yamada tarou', now(), now())
         RETURNING id)
       INSERT INTO study (id, practice_id, patient_ref_id, study_instance_uid, study_date, study_date_value, study_time, study_description,
         modalities_in_study, number_of_series, number_of_instances, created_at, updated_at)
       SELECT gen_random_uuid(), $1::uuid, p.id, '1.2.3.' || g, '2024010' || g, date '2024-01-01' + g, '', CASE WHEN g = 1 THEN 'Thorax "lateral"' END,
         CASE WHEN g = 1 THEN ARRAY['DX', 'CR'] ELSE ARRAY[]::text[] END, g, 2 * g, now(), now()
       FROM p, generate_series(1, 3) g`,
      practice.id,
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it('writes valid DICOM JSON: tag order, zero-length attributes, PN groups, escaped strings', async () => {
    const { text, json } = await query('/studies?StudyInstanceUID=1.2.3.1&includefield=PatientSexNeutered');
    expect(json).toHaveLength(1);
    const ds = json[0]!;
    const keys = Object.keys(ds);
    expect(keys).toEqual([...keys].sort());
    expect(ds['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }] });
    expect(ds['00100020']).toEqual({ vr: 'LO', Value: ['P-"1"\\x'] });
    expect(ds['00081030']).toEqual({ vr: 'LO', Value: ['Thorax "lateral"'] });
    expect(ds['00080061']).toEqual({ vr: 'CS', Value: ['DX', 'CR'] });
    expect(ds['00201206']).toEqual({ vr: 'IS', Value: [1] });
    expect(ds['00201208']).toEqual({ vr: 'IS', Value: [2] });
    expect(ds['00100030']).toEqual({ vr: 'DA', Value: ['20190203'] });
    // Empty in the index → the attribute with its VR only (PS3.4 §C.2.2.1.2).
    expect(ds['00080030']).toEqual({ vr: 'TM' });
    expect(ds['00100040']).toEqual({ vr: 'CS' });
    expect(ds['00102203']).toEqual({ vr: 'CS' });
    expect(ds['00080090']).toEqual({ vr: 'PN' });
    expect(ds['00080005']).toEqual({ vr: 'CS', Value: ['ISO_IR 192'] });
    expect(ds['00080056']).toEqual({ vr: 'CS', Value: ['ONLINE'] });
    expect(ds['00081190']).toEqual({ vr: 'UR', Value: [`${server.url}/dicomweb/studies/1.2.3.1`] });
    expect(text.startsWith('[{"00080005":')).toBe(true);
  });

  it('empty modality list and description are zero-length; pages keep order and announce the server maximum only when capped', async () => {
    const all = await query('/studies?PatientName=yamada*');
    expect(all.json.map((s) => s['0020000D']!.Value![0])).toEqual(['1.2.3.3', '1.2.3.2', '1.2.3.1']);
    expect(all.json[0]!['00080061']).toEqual({ vr: 'CS' });
    expect(all.json[0]!['00081030']).toEqual({ vr: 'LO' });
    const page = await query('/studies?PatientName=yamada*&limit=2&offset=1');
    expect(page.json.map((s) => s['0020000D']!.Value![0])).toEqual(['1.2.3.2', '1.2.3.1']);
    expect(page.warning).toBeNull();
    expect((await query('/studies?PatientName=nobody*')).text).toBe('[]');
  });

  it('answers default study searches from the stored text: byte-identical to the text written per request, kept current by the triggers', async () => {
    const db = server.deps.db;
    const stored = await db.$queryRawUnsafe<{ json: string | null }[]>(`SELECT qido_json AS json FROM study WHERE practice_id = $1::uuid`, practice.id);
    expect(stored).toHaveLength(3);
    for (const r of stored) expect(r.json).toContain('"00081190":{"vr":"UR","Value":["{{DICOMWEB_ROOT}}/studies/1.2.3.');
    // Default attributes → the stored texts; one more attribute (InstitutionName, empty here) → the
    // text written by the statement itself. Apart from that attribute, the bytes must be the same.
    const fromStore = await query('/studies?PatientName=yamada*');
    const written = await query('/studies?PatientName=yamada*&includefield=00080080');
    expect(written.text).toContain(',"00080080":{"vr":"LO"}');
    expect(fromStore.text).toBe(written.text.replaceAll(',"00080080":{"vr":"LO"}', ''));
    expect(fromStore.json[0]!['00081190']).toEqual({ vr: 'UR', Value: [`${server.url}/dicomweb/studies/1.2.3.3`] });

    // A patient correction and a study update reach the stored texts.
    await db.$executeRawUnsafe(`UPDATE patient SET raw_patient_name = 'Suzuki^Hanako', sex = 'F' WHERE practice_id = $1::uuid`, practice.id);
    await db.$executeRawUnsafe(`UPDATE study SET number_of_instances = 42 WHERE practice_id = $1::uuid AND study_instance_uid = '1.2.3.2'`, practice.id);
    const after = await query('/studies?StudyInstanceUID=1.2.3.2');
    expect(after.json[0]!['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Suzuki^Hanako' }] });
    expect(after.json[0]!['00100040']).toEqual({ vr: 'CS', Value: ['F'] });
    expect(after.json[0]!['00201208']).toEqual({ vr: 'IS', Value: [42] });
    const rewritten = await query('/studies?StudyInstanceUID=1.2.3.2&includefield=00080080');
    expect(after.text).toBe(rewritten.text.replaceAll(',"00080080":{"vr":"LO"}', ''));
  });
});
