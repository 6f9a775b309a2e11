import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DicomwebClient, dicomwebClient, type Fixture, type Json, practiceAFixtures, practiceBFixtures, stow } from './dicomweb-fixtures';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';

describe('QIDO-RS matching (PS3.4 C.2.2.2) against dicomweb-client and raw URLs', () => {
  let server: TestServer;
  let practice: TestPractice;
  let client: DicomwebClient;
  let fx: Fixture[];
  let S1: string;
  let S2: string;
  let S3: string;
  const query = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/dicomweb${path}`, { headers: { authorization: practice.bearer, accept: 'application/dicom+json', ...headers } });
    return { status: res.status, headers: res.headers, json: res.status === 200 ? ((await res.json()) as Json[]) : [], text: res.status === 200 ? '' : await res.text() };
  };
  const studies = async (qs: string) => {
    const r = await query(`/studies?${qs}`);
    expect(r.status, qs).toBe(200);
    return r.json.map((s) => s['0020000D']!.Value![0]).sort();
  };

  beforeAll(async () => {
    server = await startTestServer();
    practice = await createTestPractice(server.deps.db);
    const other = await createTestPractice(server.deps.db, 'Other Vets');
    fx = practiceAFixtures();
    [S1, S2, S3] = [fx[0]!.study, fx[2]!.study, fx.at(-1)!.study];
    expect(await stow(server, practice.bearer, fx.map((f) => f.bytes))).toBe(200);
    // The other practice holds a patient with the same name and ID: it must never show up.
    expect(await stow(server, other.bearer, practiceBFixtures().map((f) => f.bytes))).toBe(200);
    client = dicomwebClient(server.url, practice.bearer);
  });
  afterAll(async () => {
    await server.close();
  });

  it('returns the default study attributes in DICOM JSON (PN as Alphabetic, counts, modalities)', async () => {
    const all = await client.searchForStudies();
    expect(all).toHaveLength(3);
    const s2 = all.find((s) => s['0020000D']!.Value![0] === S2)!;
    expect(s2['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Müller^Bärli' }] });
    expect(s2['00080061']).toEqual({ vr: 'CS', Value: ['CT'] });
    expect(s2['00201206']).toEqual({ vr: 'IS', Value: [4] });
    expect(s2['00201208']).toEqual({ vr: 'IS', Value: [4] });
    expect(s2['00081190']!.Value).toEqual([`${server.url}/dicomweb/studies/${S2}`]);
    expect(s2['00080020']!.Value).toEqual(['20230110']);
    expect(s2['00080005']!.Value).toEqual(['ISO_IR 192']);
    expect(s2['00100030']!.Value).toEqual(['20180704']);
    // Newest study first.
    expect(all.map((s) => s['0020000D']!.Value![0])).toEqual([S3, S1, S2]);
  });

  it('single value matching is exact (case-sensitive for non-PN keys)', async () => {
    expect(await studies('PatientID=PA-002')).toEqual([S2]);
    expect(await studies('AccessionNumber=ACC-1001')).toEqual([S1]);
    expect(await studies('AccessionNumber=acc-1001')).toEqual([]);
    expect(await studies('00100020=PA-001')).toEqual([S1, S3].sort());
  });

  it('wildcard matching with * and ?', async () => {
    expect(await studies('AccessionNumber=ACC-?00?')).toEqual([S1, S2, S3].sort());
    expect(await studies('AccessionNumber=*3')).toEqual([S3]);
    expect(await studies('StudyDescription=*ultra*')).toEqual([S3]);
    expect(await studies('PatientName=Smi*')).toEqual([S1, S3].sort());
    expect(await studies('PatientName=M%3Fller*')).toEqual([S2]);
    // OHIF's study list sends *x* patterns.
    expect(await studies('PatientName=*rex*&limit=101&offset=0&fuzzymatching=false')).toEqual([S1, S3].sort());
  });

  it('person names match case- and accent-insensitively; fuzzymatching matches any name component', async () => {
    expect(await studies('PatientName=MULLER^BARLI')).toEqual([S2]);
    expect(await studies('PatientName=barli')).toEqual([]);
    expect(await studies('PatientName=barli&fuzzymatching=true')).toEqual([S2]);
    expect(await studies('PatientName=b%C3%A4r&fuzzymatching=true')).toEqual([S2]);
    expect(await studies('PatientName=rex%5Esmith&fuzzymatching=true')).toEqual([S1, S3].sort());
    expect(await studies('ReferringPhysicianName=herriot*')).toEqual([S1, S2, S3].sort());
  });

  it('date and time range matching', async () => {
    expect(await studies('StudyDate=20240101-20241231')).toEqual([S1, S3].sort());
    expect(await studies('StudyDate=-20231231')).toEqual([S2]);
    expect(await studies('StudyDate=20240401-')).toEqual([S3]);
    expect(await studies('StudyDate=20240315')).toEqual([S1]);
    expect(await studies('StudyTime=100000-120000')).toEqual([S1]);
    expect(await studies('StudyTime=1500-')).toEqual([S3]);
    expect(await studies('StudyDate=20240101-20241231&StudyTime=-1200')).toEqual([S1]);
    expect(await studies('PatientBirthDate=20180101-20181231')).toEqual([S1, S2, S3].sort());
    const bad = await query('/studies?StudyDate=2024-13-45');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('StudyDate');
  });

  it('UID list matching, comma or backslash separated', async () => {
    expect(await studies(`StudyInstanceUID=${S1},${S3}`)).toEqual([S1, S3].sort());
    expect(await studies(`StudyInstanceUID=${S1}%5C${S2}`)).toEqual([S1, S2].sort());
    const series = await query(`/series?SeriesInstanceUID=${fx[2]!.series},${fx[3]!.series}`);
    expect(series.json).toHaveLength(2);
  });

  it('matches ModalitiesInStudy against any modality of the study, and lists', async () => {
    expect(await studies('ModalitiesInStudy=US')).toEqual([S3]);
    expect(await studies('ModalitiesInStudy=CT%5CUS')).toEqual([S2, S3].sort());
    expect(await studies('ModalitiesInStudy=MR')).toEqual([]);
  });

  it('matches veterinary keys: species, breed, responsible person, parsed owner and pet names', async () => {
    expect(await studies('PatientSpeciesDescription=Feline')).toEqual([S2]);
    expect(await studies('PatientBreedDescription=Labrador*')).toEqual([S1, S3].sort());
    expect(await studies('ResponsiblePerson=smith')).toEqual([S1, S3].sort());
    expect(await studies('ResponsiblePerson=hans^m%C3%BCller')).toEqual([S2]);
    expect(await studies('PetName=rex')).toEqual([S1, S3].sort());
    expect(await studies('OwnerName=muller')).toEqual([S2]);
    expect(await studies('PatientSexNeutered=ALTERED')).toEqual([S1, S2, S3].sort());
    expect(await studies('PatientSexNeutered=UNALTERED')).toEqual([]);
  });

  it('includefield: one %2C-encoded list, repeated, keywords, tags, and all', async () => {
    const [ohif] = (await query(`/studies?StudyInstanceUID=${S2}&includefield=00081030%2C00080060%2C00100021`)).json;
    expect(ohif!['00081030']!.Value).toEqual(['CT abdomen']);
    expect(ohif!['00100021']!.Value).toEqual(['RIVERSIDE']);
    const [vet] = await client.searchForStudies({ queryParams: { StudyInstanceUID: S2, includefield: ['PatientSpeciesDescription', 'ResponsiblePerson', 'PatientWeight'] } });
    expect(vet!['00102201']!.Value).toEqual(['Feline']);
    expect(vet!['00102297']!.Value).toEqual([{ Alphabetic: 'Müller^Hans' }]);
    expect(vet!['00101030']!.Value).toEqual([32.5]);
    const [all] = (await query(`/studies?StudyInstanceUID=${S2}&includefield=all`)).json;
    expect(all!['00102292']!.Value).toEqual(['Maine Coon']);
    expect(all!['00102297']!.Value).toEqual([{ Alphabetic: 'Müller^Hans' }]);
  });

  it('limit and offset page through a stable order; the last page is shorter', async () => {
    const page1 = await query('/studies?limit=2&offset=0');
    const page2 = await query('/studies?limit=2&offset=2');
    expect(page1.json).toHaveLength(2);
    expect(page2.json).toHaveLength(1);
    const ids = [...page1.json, ...page2.json].map((s) => s['0020000D']!.Value![0]);
    expect(new Set(ids).size).toBe(3);
    expect(page1.headers.get('warning')).toBeNull();
    expect((await query('/studies?limit=x')).status).toBe(400);
  });

  it('ignores unsupported keys with a Warning header; an empty result is 200 []', async () => {
    const r = await query('/studies?PatientWeight=32.5&PatientID=PA-002');
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(1);
    expect(r.headers.get('warning')).toMatch(/^299 .*PatientWeight/);
    const empty = await query('/studies?PatientID=nobody');
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual([]);
    expect((await query('/studies', { accept: 'application/dicom+xml' })).status).toBe(406);
  });

  it('a Warning naming an unsupported key outside Latin-1 is still a valid header (200, not 500)', async () => {
    const r = await query(`/studies?${encodeURIComponent('Gewicht€✓')}=1&PatientID=PA-002`);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toHaveLength(1);
    expect(r.headers.get('warning')).toMatch(/^299 vetpacs ".*Gewicht\?\?"$/);
  });

  it('series and instance levels: every resource of PS3.18 Table 10.6.1-2', async () => {
    const series = await client.searchForSeries({ studyInstanceUID: S2 });
    expect(series.map((s) => s['00200011']!.Value![0])).toEqual([1, 2, 3, 4]);
    expect(series[0]!['00080060']!.Value).toEqual(['CT']);
    expect(series[0]!['00201209']!.Value).toEqual([1]);
    expect(series[0]!['00081190']!.Value).toEqual([`${server.url}/dicomweb/studies/${S2}/series/${fx[2]!.series}`]);
    expect((await query('/series?Modality=US')).json.map((s) => s['0020000E']!.Value![0])).toEqual([fx.at(-1)!.series]);
    expect((await query('/series?PatientID=PA-002&SeriesNumber=3')).json).toHaveLength(1);
    const us = fx.at(-1)!;
    const [inst] = await client.searchForInstances({ studyInstanceUID: us.study, seriesInstanceUID: us.series });
    expect(inst!['00080018']!.Value).toEqual([us.sop]);
    expect(inst!['00280008']!.Value).toEqual([3]);
    expect(inst!['00280010']!.Value).toEqual([32]);
    expect(inst!['0020000E']!.Value).toEqual([us.series]);
    expect((await query(`/studies/${S1}/instances`)).json).toHaveLength(2);
    expect((await query(`/instances?SOPInstanceUID=${fx[3]!.sop}`)).json.map((i) => i['0020000D']!.Value![0])).toEqual([S2]);
    expect((await query(`/instances?InstanceNumber=2`)).json).toHaveLength(1);
  });
});
