import { createHash } from 'node:crypto';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, multipartBody, startTestServer, stowParts, type TestPractice, type TestServer } from './harness';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const stow = stowParts;

describe('STOW-RS ingest', () => {
  let server: TestServer;
  let practice: TestPractice;

  beforeAll(async () => {
    server = await startTestServer();
    practice = await createTestPractice(server.deps.db);
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores instances byte-identical, indexes veterinary identity, and records the site of origin', async () => {
    const files = [1, 2].map((n) =>
      makeDicom({
        seed: 101,
        instanceNumber: n,
        sopInstanceUid: `1.2.826.0.1.3680043.10.1000.777.${n}`,
        patientName: 'Smith^Rex',
        patientId: 'P-001',
        species: 'Canine',
        breed: 'Labrador Retriever',
        responsiblePerson: 'Smith^Jane',
        neutered: 'ALTERED',
        otherPatientIds: [{ id: '985112345678901', type: 'RFID' }],
        modality: 'DX',
        rows: 64,
        columns: 64,
      }),
    );
    const res = await stow(server, practice.gatewayAuth, files.map((body) => ({ body })));
    expect(res.status).toBe(200);
    expect(res.json['00081199']?.Value).toHaveLength(2);

    const instances = await server.deps.db.instance.findMany({ where: { practiceId: practice.id }, orderBy: { instanceNumber: 'asc' } });
    expect(instances.map((i) => i.sha256)).toEqual(files.map(sha));
    for (const [i, inst] of instances.entries()) {
      const { body } = await server.deps.store.get(inst.objectKey);
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      expect(sha(Buffer.concat(chunks))).toBe(sha(files[i]!));
    }
    const patient = await server.deps.db.patient.findFirstOrThrow({ where: { practiceId: practice.id } });
    expect(patient).toMatchObject({ petName: 'Rex', ownerFamilyName: 'Smith', speciesDescription: 'Canine', breedDescription: 'Labrador Retriever', neutered: 'ALTERED', microchip: '985112345678901' });
    const study = await server.deps.db.study.findFirstOrThrow({ where: { practiceId: practice.id } });
    expect(study).toMatchObject({ siteId: practice.siteId, numberOfInstances: 2, numberOfSeries: 1, modalitiesInStudy: ['DX'] });
  });

  it('group-commits parallel instances but rejects only the one whose series is in another study', async () => {
    // Three requests at once, several parts each: their records share database transactions
    // (GroupCommit); one part's failure must not take the others of its batch with it.
    const series = '1.2.826.0.1.3680043.10.1000.9100.1';
    const owner = makeDicom({ seed: 9100, studyInstanceUid: '1.2.826.0.1.3680043.10.1000.9100', seriesInstanceUid: series, sopInstanceUid: `${series}.1`, rows: 16, columns: 16 });
    expect((await stow(server, practice.bearer, [{ body: owner }])).status).toBe(200);
    const stray = makeDicom({ seed: 9101, studyInstanceUid: '1.2.826.0.1.3680043.10.1000.9101', seriesInstanceUid: series, sopInstanceUid: `${series}.2`, rows: 16, columns: 16 });
    const good = (r: number, n: number) =>
      makeDicom({ seed: 9200 + r, studyInstanceUid: `1.2.826.0.1.3680043.10.1000.92${r}`, seriesInstanceUid: `1.2.826.0.1.3680043.10.1000.92${r}.1`, sopInstanceUid: `1.2.826.0.1.3680043.10.1000.92${r}.1.${n}`, instanceNumber: n, rows: 16, columns: 16 });
    const requests = [0, 1, 2].map((r) => [1, 2, 3, 4, 5].map((n) => (r === 1 && n === 3 ? stray : good(r, n))));
    const responses = await Promise.all(requests.map((files) => stow(server, practice.bearer, files.map((body) => ({ body })))));
    expect(responses.map((r) => r.status)).toEqual([200, 202, 200]);
    expect(responses[1]!.json['00081199']?.Value).toHaveLength(4);
    expect(responses[1]!.json['00081198']?.Value).toEqual([expect.objectContaining({ '00081155': { vr: 'UI', Value: [`${series}.2`] } })]);
    for (const r of [0, 1, 2]) {
      expect(await server.deps.db.instance.count({ where: { practiceId: practice.id, sopInstanceUid: { startsWith: `1.2.826.0.1.3680043.10.1000.92${r}.1.` } } })).toBe(r === 1 ? 4 : 5);
    }
    expect(await server.deps.db.instance.count({ where: { practiceId: practice.id, sopInstanceUid: `${series}.2` } })).toBe(0);
    expect(await server.deps.db.study.count({ where: { practiceId: practice.id, studyInstanceUid: '1.2.826.0.1.3680043.10.1000.9101' } })).toBe(0);
    const keys: string[] = [];
    for await (const o of server.deps.store.list(`practices/${practice.id}/originals/`)) keys.push(o.key);
    expect(keys.filter((k) => k.includes(`/${series}.2.`))).toEqual([]);
    // Receipts and the audit event of the request with the failed part: the failed record left no
    // STORED receipt behind, its rejection was written later, and the counts come from the rows.
    const uploadId = responses[1]!.headers.get('x-receipts')!.split('/').pop()!;
    const receipts = await server.deps.db.receipt.findMany({ where: { practiceId: practice.id, uploadId } });
    expect(receipts.map((r) => r.status).sort()).toEqual(['REJECTED', 'STORED', 'STORED', 'STORED', 'STORED']);
    expect(receipts.find((r) => r.status === 'REJECTED')).toMatchObject({ sopInstanceUid: `${series}.2`, reason: expect.stringContaining('another study') });
    const audit = await server.deps.db.auditEvent.findMany({ where: { practiceId: practice.id, action: 'ingest.upload', entityId: uploadId } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ stored: 4, duplicate: 0, conflict: 0, rejected: 1 });
    expect(((audit[0]!.details as { studies: string[] }).studies).sort()).toEqual(['1.2.826.0.1.3680043.10.1000.9101', '1.2.826.0.1.3680043.10.1000.921']);
  });

  it('keeps study and series counters exact: new rows count their first instance, existing rows count the rest', async () => {
    const root = '1.2.826.0.1.3680043.10.1000.9300';
    const dicom = (seed: number, study: string, series: string, sop: string, modality = 'DX') =>
      makeDicom({ seed, studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: sop, modality, rows: 8, columns: 8 });
    const counters = async (uid: string) => {
      const st = await server.deps.db.study.findFirstOrThrow({ where: { practiceId: practice.id, studyInstanceUid: uid }, include: { series: { orderBy: { seriesInstanceUid: 'asc' } } } });
      return { instances: st.numberOfInstances, series: st.numberOfSeries, modalities: st.modalitiesInStudy, perSeries: st.series.map((x) => x.numberOfInstances) };
    };
    // One request opens the study and two series; a second adds to both series and a third modality series.
    const first = await stow(server, practice.bearer, [
      { body: dicom(9301, root, `${root}.1`, `${root}.1.1`) },
      { body: dicom(9302, root, `${root}.1`, `${root}.1.2`) },
      { body: dicom(9303, root, `${root}.2`, `${root}.2.1`, 'CR') },
    ]);
    expect(first.status).toBe(200);
    expect(await counters(root)).toEqual({ instances: 3, series: 2, modalities: ['DX', 'CR'], perSeries: [2, 1] });
    const second = await stow(server, practice.bearer, [
      { body: dicom(9304, root, `${root}.2`, `${root}.2.2`, 'CR') },
      { body: dicom(9305, root, `${root}.3`, `${root}.3.1`, 'US') },
    ]);
    expect(second.status).toBe(200);
    expect(await counters(root)).toEqual({ instances: 5, series: 3, modalities: ['DX', 'CR', 'US'], perSeries: [2, 2, 1] });
    // The same SOP Instance UID under another study is kept as a new version of the existing
    // instance: the study and series this request opened hold no instance and count none.
    const elsewhere = `${root}9`;
    const moved = await stow(server, practice.bearer, [{ body: dicom(9306, elsewhere, `${elsewhere}.1`, `${root}.1.1`) }]);
    expect(moved.status).toBe(202);
    expect(await counters(elsewhere)).toEqual({ instances: 0, series: 0, modalities: [], perSeries: [0] });
    expect(await counters(root)).toEqual({ instances: 5, series: 3, modalities: ['DX', 'CR', 'US'], perSeries: [2, 2, 1] });
  });

  it('commits no row for an object that failed to store, and still records the others of its batch', async () => {
    // An object that cannot be written is an infrastructure failure (500), not a rejection: it
    // must leave no row, and the other instances of the request are still stored and recorded.
    const root = '1.2.826.0.1.3680043.10.1000.9400';
    const files = [1, 2, 3].map((n) => makeDicom({ seed: 9400 + n, studyInstanceUid: root, seriesInstanceUid: `${root}.1`, sopInstanceUid: `${root}.1.${n}`, rows: 8, columns: 8 }));
    const store = server.deps.store;
    const put = store.put.bind(store);
    store.put = (async (key, body, opts) => {
      if (key.includes(`/${root}.1.2.`)) {
        await new Promise((r) => setTimeout(r, 100));
        throw new Error('disk failed');
      }
      return put(key, body, opts);
    }) as typeof store.put;
    try {
      const res = await stow(server, practice.bearer, files.map((body) => ({ body })));
      expect(res.status).toBe(500);
    } finally {
      store.put = put;
    }
    const rows = await server.deps.db.instance.findMany({ where: { practiceId: practice.id, sopInstanceUid: { startsWith: `${root}.1.` } }, orderBy: { sopInstanceUid: 'asc' } });
    expect(rows.map((r) => r.sopInstanceUid)).toEqual([`${root}.1.1`, `${root}.1.3`]);
    const keys: string[] = [];
    for await (const o of store.list(`practices/${practice.id}/originals/`)) keys.push(o.key);
    expect(keys.filter((k) => k.includes(`/${root}.1.`)).map((k) => k.split('/').pop()!.split('.dcm')[0]!.replace(/\.[^.]+$/, '')).sort()).toEqual([`${root}.1.1`, `${root}.1.3`]);
    for (const r of rows) expect(keys).toContain(r.objectKey);
    expect(await server.deps.db.study.findFirstOrThrow({ where: { practiceId: practice.id, studyInstanceUid: root } })).toMatchObject({ numberOfInstances: 2 });
  });

  it('answers a re-send as success without new rows or objects', async () => {
    const file = makeDicom({ seed: 202, sopInstanceUid: '1.2.826.0.1.3680043.10.1000.888.1', rows: 32, columns: 32 });
    const first = await stow(server, practice.bearer, [{ body: file }]);
    expect(first.status).toBe(200);
    const before = await server.deps.db.instanceVersion.count({ where: { practiceId: practice.id } });
    const again = await stow(server, practice.bearer, [{ body: file }]);
    expect(again.status).toBe(200);
    expect(await server.deps.db.instanceVersion.count({ where: { practiceId: practice.id } })).toBe(before);
    const keys: string[] = [];
    for await (const o of server.deps.store.list(`practices/${practice.id}/originals/`)) keys.push(o.key);
    expect(keys.filter((k) => k.includes('/1.2.826.0.1.3680043.10.1000.888.1.'))).toHaveLength(1);
  });

  it('reports every bad part in FailedSOPSequence and still stores the good ones', async () => {
    const good = makeDicom({ seed: 303, sopInstanceUid: '1.2.826.0.1.3680043.10.1000.999.1', rows: 16, columns: 16 });
    const res = await stow(server, practice.bearer, [{ body: good }, { body: Buffer.from('this is not DICOM at all, just text'.repeat(10)) }]);
    expect(res.status).toBe(202);
    expect(res.json['00081199']?.Value).toHaveLength(1);
    expect(res.json['00081198']?.Value).toHaveLength(1);
    expect(res.json['00081198']?.Value?.[0]?.['00081197']?.Value).toEqual([0xc000]);
  });

  it('rejects unauthenticated, read-only and wrong media type requests', async () => {
    const file = makeDicom({ seed: 404, rows: 8, columns: 8 });
    const { body, contentType } = multipartBody([{ body: file }]);
    expect((await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { 'content-type': contentType }, body })).status).toBe(401);
    expect((await stow(server, practice.readOnlyBearer, [{ body: file }])).status).toBe(403);
    const wrong = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { authorization: practice.bearer, 'content-type': 'application/json' }, body: '{}' });
    expect(wrong.status).toBe(415);
  });
});
