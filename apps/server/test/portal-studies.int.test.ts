import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSite } from '@vetpacs/db';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';
import { addUser, login, session, stow } from './portal-helpers';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const ROOT = '1.2.826.0.1.3680043.10.1000.6';

interface StudyJson {
  studyInstanceUid: string;
  studyDate: string;
  status: string;
  instanceCount: number;
  thumbnailUrl: string | null;
  patient: { petName: string; ownerFamilyName: string; speciesGroup: string };
  site: { id: string } | null;
}
type Page = { total: number; studies: StudyJson[] };

describe('portal study API', () => {
  let server: TestServer;
  let a: TestPractice;
  let b: TestPractice;
  let api: ReturnType<typeof session>;
  let apiB: ReturnType<typeof session>;
  const files: Record<string, Uint8Array[]> = {};

  const animals = [
    { key: 'rex1', owner: 'Smith^Jane', pet: 'Rex', id: 'P-100', chip: '985112345678901', species: 'Hund', breed: 'Labrador Retriever', date: '20240110', mod: 'DX', n: 3 },
    { key: 'rex2', owner: 'Smith^Jane', pet: 'Rex', id: 'P-100', chip: '985112345678901', species: 'Hund', breed: 'Labrador Retriever', date: '20250301', mod: 'US', n: 1 },
    { key: 'tom', owner: 'Müller^Hans', pet: 'Tom', id: 'P-200', chip: '276098100000042', species: 'Feline', breed: 'Maine Coon', date: '20250115', mod: 'CT', n: 2 },
    { key: 'star', owner: 'Jones^Ann', pet: 'Star', id: 'P-300', chip: null, species: 'Horse', breed: 'Arab', date: '20231105', mod: 'CR', n: 1 },
  ];

  beforeAll(async () => {
    server = await startTestServer();
    a = await createTestPractice(server.deps.db, 'Practice A');
    b = await createTestPractice(server.deps.db, 'Practice B');
    for (const [i, x] of animals.entries()) {
      files[x.key] = Array.from({ length: x.n }, (_, k) =>
        makeDicom({
          seed: 600 + i,
          studyInstanceUid: `${ROOT}.${i}`,
          seriesInstanceUid: `${ROOT}.${i}.1`,
          sopInstanceUid: `${ROOT}.${i}.1.${k + 1}`,
          instanceNumber: k + 1,
          patientName: `${x.owner.split('^')[0]}^${x.pet}`,
          responsiblePerson: x.owner,
          patientId: x.id,
          otherPatientIds: x.chip ? [{ id: x.chip, type: 'RFID' }] : [],
          species: x.species,
          breed: x.breed,
          studyDate: x.date,
          accessionNumber: `ACC-${x.key}`,
          modality: x.mod,
          rows: 32,
          columns: 32,
        }),
      );
      await stow(server, a.gatewayAuth, files[x.key]!);
    }
    const vet = await addUser(server.deps.db, a.id, 'VET');
    api = session(server, (await login(server, vet.email, vet.password)).cookie);
    const vetB = await addUser(server.deps.db, b.id, 'VET');
    apiB = session(server, (await login(server, vetB.email, vetB.password)).cookie);
  });
  afterAll(async () => {
    await server.close();
  });

  const search = async (q: string, as = api) => {
    const res = await as(`/api/studies?${q}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };
  const pets = (p: Page) => p.studies.map((s) => `${s.patient.petName}@${s.studyDate}`);

  it('lists newest first with the animal, site and a verified "safe in cloud" status', async () => {
    const page = await search('');
    expect(page.total).toBe(4);
    expect(pets(page)).toEqual(['Rex@2025-03-01', 'Tom@2025-01-15', 'Rex@2024-01-10', 'Star@2023-11-05']);
    expect(page.studies.every((s) => s.status === 'SAFE')).toBe(true);
    expect(page.studies[0]!.site?.id).toBe(a.siteId);
    expect(page.studies[1]!.patient.speciesGroup).toBe('Feline');
  });

  it('filters by fuzzy owner surname, pet, IDs, microchip digits, accession, species synonyms, breed, modality, dates, site', async () => {
    expect(pets(await search('owner=smyth'))).toEqual(['Rex@2025-03-01', 'Rex@2024-01-10']);
    expect(pets(await search('owner=muller'))).toEqual(['Tom@2025-01-15']);
    expect(pets(await search('pet=sta'))).toEqual(['Star@2023-11-05']);
    expect(pets(await search('patientId=P-2'))).toEqual(['Tom@2025-01-15']);
    expect(pets(await search('microchip=0000042'))).toEqual(['Tom@2025-01-15']);
    expect(pets(await search('accession=ACC-rex1'))).toEqual(['Rex@2024-01-10']);
    expect((await search('species=dog')).total).toBe(2);
    expect(pets(await search('species=Equine'))).toEqual(['Star@2023-11-05']);
    expect(pets(await search('breed=coon'))).toEqual(['Tom@2025-01-15']);
    expect(pets(await search('modality=ct'))).toEqual(['Tom@2025-01-15']);
    expect(pets(await search('from=2024-01-01&to=2025-01-31'))).toEqual(['Tom@2025-01-15', 'Rex@2024-01-10']);
    expect((await search(`site=${a.siteId}`)).total).toBe(4);
    expect(pets(await search('q=labrador'))).toEqual(['Rex@2025-03-01', 'Rex@2024-01-10']);
    // LIKE wildcards in input are literal.
    expect((await search('pet=%25')).total).toBe(0);
  });

  it('pages with a stable total and rejects bad filters with 400', async () => {
    const p1 = await search('pageSize=3&page=1');
    const p2 = await search('pageSize=3&page=2');
    expect(p1.total).toBe(4);
    expect(p1.studies).toHaveLength(3);
    expect(p2.studies).toHaveLength(1);
    expect(new Set([...pets(p1), ...pets(p2)]).size).toBe(4);
    expect((await api('/api/studies?from=yesterday')).status).toBe(400);
    expect((await api('/api/studies?pageSize=5000')).status).toBe(400);
  });

  it('shows a study with series, per-instance SHA-256 and receipts, priors across sites, and its audit trail', async () => {
    const other = await createSite(server.deps.db, a.id, { name: 'North', code: 'NORTH' }, { type: 'SYSTEM', id: 'test' });
    // The prior came in at another branch: it still belongs to the same animal.
    const rex2 = await server.deps.db.study.findFirstOrThrow({ where: { practiceId: a.id, studyInstanceUid: `${ROOT}.1` } });
    await server.deps.db.study.update({ where: { id: rex2.id }, data: { siteId: other.id } });

    const res = await api(`/api/studies/${ROOT}.0`);
    expect(res.status).toBe(200);
    const study = (await res.json()) as { series: { seriesInstanceUid: string; instanceCount: number }[] };
    expect(study.series).toEqual([expect.objectContaining({ seriesInstanceUid: `${ROOT}.0.1`, instanceCount: 3 })]);

    const inst = (await (await api(`/api/studies/${ROOT}.0/series/${ROOT}.0.1/instances`)).json()) as {
      instances: { sha256: string; receipts: { status: string; sha256: string; via: string }[] }[];
    };
    expect(inst.instances.map((i) => i.sha256)).toEqual(files.rex1!.map(sha));
    expect(inst.instances[0]!.receipts).toEqual([expect.objectContaining({ status: 'STORED', sha256: sha(files.rex1![0]!), via: 'gateway' })]);

    // Same chip under another branch's patient ID is the same animal; a chip shared by a differently
    // named animal (a device default) is not.
    const chipped = (uid: string, pet: string, id: string) =>
      makeDicom({ seed: 650, studyInstanceUid: uid, seriesInstanceUid: `${uid}.1`, sopInstanceUid: `${uid}.1.1`, patientName: `Smith^${pet}`, patientId: id, otherPatientIds: [{ id: '985112345678901', type: 'RFID' }], studyDate: '20220101', rows: 16, columns: 16 });
    await stow(server, b.gatewayAuth, [chipped(`${ROOT}.80`, 'Rex', 'ELSEWHERE-1')]);
    await stow(server, a.gatewayAuth, [chipped(`${ROOT}.81`, 'Rex', 'HB-555'), chipped(`${ROOT}.82`, 'Bella', 'P-999')]);
    const priors = (await (await api(`/api/studies/${ROOT}.0/priors`)).json()) as { studies: StudyJson[] };
    expect(priors.studies.map((s) => [s.studyInstanceUid, s.site?.id])).toEqual([
      [`${ROOT}.1`, other.id],
      [`${ROOT}.81`, a.siteId],
    ]);

    const audit = (await (await api(`/api/studies/${ROOT}.0/audit`)).json()) as { events: { action: string }[] };
    expect(audit.events.map((e) => e.action)).toContain('ingest.upload');
  });

  it('downloads the originals byte-identical in a ZIP with a DICOMDIR and SHA256SUMS, and audits it', async () => {
    const res = await api(`/api/studies/${ROOT}.0/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const dir = mkdtempSync(path.join(tmpdir(), 'portal-zip-'));
    try {
      writeFileSync(path.join(dir, 'study.zip'), Buffer.from(await res.arrayBuffer()));
      execFileSync('unzip', ['-q', 'study.zip'], { cwd: dir });
      for (const [k, f] of files.rex1!.entries()) {
        const got = readFileSync(path.join(dir, 'DICOM', 'SE000001', `IM${String(k + 1).padStart(6, '0')}`));
        expect(sha(got)).toBe(sha(f));
      }
      const dump = execFileSync('dcmdump', ['-q', path.join(dir, 'DICOMDIR')], { encoding: 'utf8' });
      expect(dump).toContain(`[DICOM\\SE000001\\IM000003]`);
      expect(dump).toContain(`[${ROOT}.0.1.3]`);
      // The receiver can check every file with `sha256sum -c SHA256SUMS`.
      execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const row = await server.deps.db.auditEvent.findFirst({ where: { practiceId: a.id, action: 'study.download' } });
    expect(row?.details).toMatchObject({ studyInstanceUid: `${ROOT}.0` });
  });

  it('refuses to finish a download whose stored bytes no longer match their SHA-256', async () => {
    const inst = await server.deps.db.instance.findFirstOrThrow({ where: { practiceId: a.id, sopInstanceUid: `${ROOT}.3.1.1` } });
    await server.deps.store.put(inst.objectKey, Buffer.concat([Buffer.from(files.star![0]!), Buffer.from([0])]));
    const res = await api(`/api/studies/${ROOT}.3/download`);
    const done = await res.arrayBuffer().then(
      (b) => ({ ok: true, bytes: b.byteLength }),
      () => ({ ok: false, bytes: 0 }),
    );
    // Either the transfer breaks or the archive lacks its central directory: never a valid ZIP.
    if (done.ok) expect(done.bytes).toBeLessThan(files.star![0]!.length + 200);
    await server.deps.store.put(inst.objectKey, Buffer.from(files.star![0]!));
  });

  it("keeps practices apart: another practice's user sees no studies and gets 404 for known UIDs", async () => {
    // B holds only its own study (same chip as A's Rex: still not A's data).
    expect((await search('', apiB)).studies.map((s) => s.studyInstanceUid)).toEqual([`${ROOT}.80`]);
    expect((await apiB(`/api/studies/${ROOT}.80/priors`).then((r) => r.json())) as { studies: unknown[] }).toEqual({ studies: [] });
    for (const p of [`/api/studies/${ROOT}.0`, `/api/studies/${ROOT}.0/priors`, `/api/studies/${ROOT}.0/audit`, `/api/studies/${ROOT}.0/download`, `/api/studies/${ROOT}.0/series/${ROOT}.0.1/instances`]) {
      expect((await apiB(p)).status, p).toBe(404);
    }
    expect((await fetch(`${server.url}/api/studies`)).status).toBe(401);
  });
});
