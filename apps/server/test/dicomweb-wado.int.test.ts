import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DicomwebClient, dicomwebClient, expectedFrames, type Fixture, type Json, practiceAFixtures, sha, stow } from './dicomweb-fixtures';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';


describe('WADO-RS against dicomweb-client', () => {
  let server: TestServer;
  let practice: TestPractice;
  let client: DicomwebClient;
  let fixtures: Fixture[];
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/dicomweb${path}`, { headers: { authorization: practice.bearer, ...headers } });

  beforeAll(async () => {
    server = await startTestServer();
    practice = await createTestPractice(server.deps.db);
    fixtures = practiceAFixtures();
    expect(await stow(server, practice.bearer, fixtures.map((f) => f.bytes))).toBe(200);
    client = dicomwebClient(server.url, practice.bearer);
  });
  afterAll(async () => {
    await server.close();
  });

  // dicomweb-client's default Accept names no transfer syntax: we answer with the stored bytes
  // (see docs/dicomweb-conformance.md); `transfer-syntax=*` is checked with raw requests below.
  it('retrieves every instance byte-identical to what was stored (SHA-256)', async () => {
    for (const f of fixtures) {
      const part = (await client.retrieveInstance({
        studyInstanceUID: f.study,
        seriesInstanceUID: f.series,
        sopInstanceUID: f.sop,
      }));
      expect(sha(new Uint8Array(part)), f.name).toBe(sha(f.bytes));
    }
  });

  it('retrieves a whole study and a series as multipart with one part per instance, bytes unchanged', async () => {
    const study = fixtures.filter((f) => f.study === fixtures[2]!.study);
    const parts = (await client.retrieveStudy({ studyInstanceUID: study[0]!.study }));
    expect(parts.map((p) => sha(new Uint8Array(p))).sort()).toEqual(study.map((f) => sha(f.bytes)).sort());
    const series = (await client.retrieveSeries({ studyInstanceUID: fixtures[0]!.study, seriesInstanceUID: fixtures[0]!.series }));
    expect(series.map((p) => sha(new Uint8Array(p)))).toEqual([sha(fixtures[0]!.bytes), sha(fixtures[1]!.bytes)]);
  });

  it('names the stored transfer syntax in each part and answers 406 for a syntax it cannot produce', async () => {
    const jpeg = fixtures.find((f) => f.name === 'JPEG baseline')!;
    const res = await get(`/studies/${jpeg.study}/series/${jpeg.series}`, { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Content-Type: application/dicom; transfer-syntax=${jpeg.transferSyntaxUid}`);
    // Lossy targets are never made on the fly (on-the-fly decoding: dicomweb-transcode.int.test.ts).
    const refused = await get(`/studies/${jpeg.study}/series/${jpeg.series}`, { accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.91' });
    expect(refused.status).toBe(406);
    const same = await get(`/studies/${jpeg.study}/series/${jpeg.series}`, { accept: `multipart/related; type="application/dicom"; transfer-syntax=${jpeg.transferSyntaxUid}` });
    expect(same.status).toBe(200);
  });

  it('serves frames equal to the stored pixel data, with the real transfer syntax in the part type', async () => {
    for (const f of fixtures) {
      const expected = expectedFrames(f.bytes);
      const numbers = expected.map((_, i) => i + 1);
      const frames = (await client.retrieveInstanceFrames({
        studyInstanceUID: f.study,
        seriesInstanceUID: f.series,
        sopInstanceUID: f.sop,
        frameNumbers: numbers,
        mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: '*' }],
      }));
      expect(frames.map((b) => sha(new Uint8Array(b))), f.name).toEqual(expected.map(sha));
    }
    const us = fixtures.find((f) => f.frames === 3)!;
    const res = await get(`/studies/${us.study}/series/${us.series}/instances/${us.sop}/frames/3,1`, {
      accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*',
    });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-type')).toMatch(/^multipart\/related/);
    expect(body.toString('latin1').match(/Content-Type: application\/octet-stream; transfer-syntax=1\.2\.840\.10008\.1\.2\.4\.50/g)).toHaveLength(2);
    expect(body.includes(expectedFrames(us.bytes)[2]!)).toBe(true);
  });

  it('serves compressed frames under their image media type and refuses encoding it cannot do', async () => {
    const ls = fixtures.find((f) => f.name === 'JPEG-LS')!;
    const path = `/studies/${ls.study}/series/${ls.series}/instances/${ls.sop}/frames/1`;
    const res = await get(path, { accept: 'multipart/related; type="image/jls"' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Content-Type: image/jls; transfer-syntax=1.2.840.10008.1.2.4.80');
    // JPEG baseline is lossy: never produced on the fly.
    expect((await get(path, { accept: 'multipart/related; type="image/jpeg"' })).status).toBe(406);
    expect((await get(`${path.slice(0, -1)}2`, { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' })).status).toBe(404);
    expect((await get(`${path.slice(0, -1)}x`)).status).toBe(400);
  });

  it('serves series, study and instance metadata whose BulkDataURIs resolve to the stored bytes', async () => {
    const us = fixtures.find((f) => f.frames === 3)!;
    const series = (await client.retrieveSeriesMetadata({ studyInstanceUID: us.study, seriesInstanceUID: us.series }));
    expect(series).toHaveLength(1);
    expect(series[0]!['00080018']!.Value).toEqual([us.sop]);
    expect(series[0]!['00102201']!.Value).toEqual(['Canine']);
    const pixelUri = series[0]!['7FE00010']!.BulkDataURI!;
    expect(pixelUri).toBe(`${server.url}/dicomweb/studies/${us.study}/series/${us.series}/instances/${us.sop}/frames`);
    const pixels = await fetch(pixelUri, { headers: { authorization: practice.bearer, accept: 'application/octet-stream; transfer-syntax=*' } });
    expect(pixels.status).toBe(200);
    expect(sha(Buffer.from(await pixels.arrayBuffer()))).toBe(sha(Buffer.concat(expectedFrames(us.bytes))));

    const study = (await client.retrieveStudyMetadata({ studyInstanceUID: fixtures[2]!.study }));
    expect(study.map((m) => m['00080018']!.Value![0]).sort()).toEqual(fixtures.filter((f) => f.study === fixtures[2]!.study).map((f) => f.sop).sort());
    const one = (await client.retrieveInstanceMetadata({ studyInstanceUID: us.study, seriesInstanceUID: us.series, sopInstanceUID: us.sop }));
    expect(one[0]!['00280008']!.Value).toEqual([3]);
  });

  it('resolves a bulk data path (ingest\'s URI form) to the exact stored bytes of that element', async () => {
    const f = fixtures[0]!;
    // Ingest inlines values this small; the bulk resource serves any element by the same path form.
    const uri = `${server.url}/dicomweb/studies/${f.study}/series/${f.series}/instances/${f.sop}/bulk/00280030`;
    const res = await fetch(uri, { headers: { authorization: practice.bearer } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString('latin1')).toBe('0.139\\0.139 ');
    const missing = await fetch(`${uri.slice(0, -8)}00280031`, { headers: { authorization: practice.bearer } });
    expect(missing.status).toBe(404);
  });

  it('compresses metadata with gzip and br, and revalidates with a strong ETag', async () => {
    const f = fixtures[0]!;
    const path = `/studies/${f.study}/series/${f.series}/metadata`;
    // fetch decodes Content-Encoding itself: a body that is not valid gzip would fail to parse.
    const gz = await get(path, { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(((await gz.json()) as unknown[]).length).toBe(2);
    const br = await get(path, { 'accept-encoding': 'br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(((await br.json()) as unknown[]).length).toBe(2);
    const etag = br.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect((await get(path, { 'accept-encoding': 'br', 'if-none-match': etag })).status).toBe(304);
  });

  it('serves the precomputed series blob when it covers every instance', async () => {
    const f = fixtures[0]!;
    const se = await server.deps.db.series.findFirstOrThrow({ where: { practiceId: practice.id, seriesInstanceUid: f.series } });
    const marker = [{ '00080018': { vr: 'UI', Value: ['from-blob'] }, '7FE00010': { vr: 'OW', BulkDataURI: '{{DICOMWEB_ROOT}}/x' } }];
    const key = `practices/${practice.id}/derived/test-series-metadata.json.gz`;
    await server.deps.store.put(key, gzipSync(JSON.stringify(marker)));
    await server.deps.db.series.update({ where: { id: se.id }, data: { metadataObjectKey: key, metadataVersion: se.numberOfInstances } });
    const json = (await (await get(`/studies/${f.study}/series/${f.series}/metadata`)).json()) as Json[];
    expect(json[0]!['00080018']!.Value).toEqual(['from-blob']);
    expect(json[0]!['7FE00010']!.BulkDataURI).toBe(`${server.url}/dicomweb/x`);
    // Stale blob (one instance more than it covers) → the aggregated fallback.
    await server.deps.db.series.update({ where: { id: se.id }, data: { metadataVersion: se.numberOfInstances - 1 } });
    const fresh = (await (await get(`/studies/${f.study}/series/${f.series}/metadata`)).json()) as Json[];
    expect(fresh.map((m) => m['00080018']!.Value![0])).toEqual([fixtures[0]!.sop, fixtures[1]!.sop]);
  });

  it('caches originals immutably with a SHA-256 ETag, answers HEAD and 304', async () => {
    const f = fixtures[0]!;
    const path = `/studies/${f.study}/series/${f.series}/instances/${f.sop}`;
    const res = await get(path);
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    const body = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    const etag = res.headers.get('etag')!;
    expect((await get(path, { 'if-none-match': etag })).status).toBe(304);
    const head = await fetch(`${server.url}/dicomweb${path}`, { method: 'HEAD', headers: { authorization: practice.bearer } });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(Number(head.headers.get('content-length'))).toBe(body.length);
  });
});
