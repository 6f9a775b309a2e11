import { randomBytes } from 'node:crypto';
import { TransferSyntax } from '@vetpacs/dicom';
import { convertTransferSyntax, el, makeDicom } from '@vetpacs/dicom/testing';
import { parsePart10 } from '@vetpacs/imaging';
import { dcmtkReference, type ImageFixture, meanAbsDiff, meanOf, resizeRaster, toRaster } from '@vetpacs/imaging/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';
import { splitMultipart } from './multipart';

const ROOT = '1.2.826.0.1.3680043.10.1000.5500';
const dx = makeDicom({ seed: 5501, studyInstanceUid: `${ROOT}.1`, seriesInstanceUid: `${ROOT}.1.1`, sopInstanceUid: `${ROOT}.1.1.1`, rows: 400, columns: 320, modality: 'DX' });
const cr = makeDicom({
  seed: 5502, studyInstanceUid: `${ROOT}.1`, seriesInstanceUid: `${ROOT}.1.2`, sopInstanceUid: `${ROOT}.1.2.1`, seriesNumber: 2, rows: 120, columns: 100, modality: 'CR',
  extra: [el('PhotometricInterpretation', 'CS', 'MONOCHROME1')],
});
const us = convertTransferSyntax(
  makeDicom({ seed: 5503, studyInstanceUid: `${ROOT}.1`, seriesInstanceUid: `${ROOT}.1.3`, sopInstanceUid: `${ROOT}.1.3.1`, seriesNumber: 3, rows: 120, columns: 160, modality: 'US', bitsAllocated: 8, samplesPerPixel: 3, frames: 6 }),
  TransferSyntax.JPEGBaseline,
);
const fx = (file: Buffer, o: Partial<ImageFixture> = {}): ImageFixture => ({ name: 'x', file, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, frame: 0, colour: false, windowed: true, ...o });

describe('DICOMweb rendered and thumbnail resources', () => {
  let server: TestServer;
  let practice: TestPractice;
  let other: TestPractice;
  const base = `/dicomweb/studies/${ROOT}.1`;
  const dxPath = `${base}/series/${ROOT}.1.1/instances/${ROOT}.1.1.1`;
  // dcmcjpeg gives a lossy-compressed image a new SOP Instance UID (it is a new image).
  const usPath = `${base}/series/${ROOT}.1.3/instances/${parsePart10(us).elements.SOPInstanceUID as string}`;
  const get = (path: string, auth = practice.bearer, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers: { authorization: auth, ...headers } });
  const image = async (res: Response) => toRaster(Buffer.from(await res.arrayBuffer()));

  beforeAll(async () => {
    server = await startTestServer({ QUEUE_PREFIX: `${inject('redisPrefix')}-rendered-${randomBytes(4).toString('hex')}` });
    practice = await createTestPractice(server.deps.db, 'Render Vets');
    other = await createTestPractice(server.deps.db, 'Other Vets');
    const boundary = 'b-rendered';
    const body = Buffer.concat([
      ...[dx, cr, us].flatMap((f) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n')]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const res = await fetch(`${server.url}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: practice.bearer, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(200);
  });
  afterAll(() => server?.close());

  it('renders an instance as JPEG with its own window, matching dcmtk', async () => {
    const res = await get(`${dxPath}/rendered`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const ours = await image(res);
    const ref = await dcmtkReference(fx(dx));
    expect([ours.width, ours.height]).toEqual([320, 400]);
    expect(meanAbsDiff(ours, ref)).toBeLessThan(3);
  });

  it('inverts MONOCHROME1, and honours accept, viewport, window and quality', async () => {
    const crPath = `${base}/series/${ROOT}.1.2/instances/${ROOT}.1.2.1/rendered`;
    const mono1 = await image(await get(crPath, practice.bearer, { accept: 'image/png' }));
    expect(meanAbsDiff(mono1, await dcmtkReference(fx(cr)))).toBeLessThan(1);

    const png = await get(`${dxPath}/rendered?accept=image/png&viewport=64,64`);
    expect(png.headers.get('content-type')).toBe('image/png');
    const small = await image(png);
    expect([small.width, small.height]).toEqual([51, 64]);
    expect(meanOf(await image(await get(`${dxPath}/rendered?window=100000,10,linear&accept=image/png`)))).toBeLessThan(1);
    expect(meanOf(await image(await get(`${dxPath}/rendered?window=-100000,10&accept=image/png`)))).toBeGreaterThan(254);
    const low = await get(`${dxPath}/rendered?quality=5`);
    const high = await get(`${dxPath}/rendered?quality=100`);
    expect((await low.arrayBuffer()).byteLength).toBeLessThan((await high.arrayBuffer()).byteLength);
  });

  it('renders a chosen frame of a multi-frame JPEG instance', async () => {
    const res = await get(`${usPath}/frames/4/rendered`, practice.bearer, { accept: 'image/png' });
    expect(res.status).toBe(200);
    const ours = await image(res);
    expect(ours.channels).toBe(3);
    expect(meanAbsDiff(ours, await dcmtkReference(fx(us, { transferSyntaxUid: TransferSyntax.JPEGBaseline, frame: 3, colour: true, windowed: false })))).toBeLessThan(2);
    expect((await get(`${usPath}/frames/7/rendered`)).status).toBe(404);
    expect((await get(`${usPath}/frames/1,2/rendered`)).status).toBe(400);
    expect((await get(`${usPath}/frames/x/rendered`)).status).toBe(400);
  });

  it('serves the stored thumbnail when there is one, else renders the middle frame at thumbnail size', async () => {
    // No worker here: series thumbnails are rendered on the fly from the middle image.
    const series = await get(`${base}/series/${ROOT}.1.1/thumbnail`);
    expect(series.status).toBe(200);
    const t = await image(series);
    expect([t.width, t.height]).toEqual([205, 256]);
    const ref = await resizeRaster(await dcmtkReference(fx(dx)), { width: 205, height: 256 });
    expect(meanAbsDiff(t, ref)).toBeLessThan(4);
    const usThumb = await image(await get(`${usPath}/thumbnail`, practice.bearer, { accept: 'image/png' }));
    const usRef = await dcmtkReference(fx(us, { transferSyntaxUid: TransferSyntax.JPEGBaseline, frame: 3, colour: true, windowed: false }));
    expect(meanAbsDiff(usThumb, usRef)).toBeLessThan(2);

    // With a stored thumbnail (what the worker writes), exactly those bytes are served.
    const stored = Buffer.from((await (await get(`${dxPath}/rendered?viewport=32,32`)).arrayBuffer()));
    const key = `practices/${practice.id}/derived/instances/${ROOT}.1.1.1/thumbnail.jpg`;
    await server.deps.store.put(key, stored);
    await server.deps.db.instance.updateMany({ where: { practiceId: practice.id, sopInstanceUid: `${ROOT}.1.1.1` }, data: { thumbnailObjectKey: key } });
    const res = await get(`${dxPath}/thumbnail`);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).equals(stored)).toBe(true);
    const etag = res.headers.get('etag')!;
    expect((await get(`${dxPath}/thumbnail`, practice.bearer, { 'if-none-match': etag })).status).toBe(304);
    expect((await get(`${base}/thumbnail`)).status).toBe(200);
  });

  it('keeps practices apart and refuses what it cannot do', async () => {
    for (const path of [`${dxPath}/rendered`, `${dxPath}/thumbnail`, `${usPath}/frames/1/rendered`, `${base}/series/${ROOT}.1.1/thumbnail`, `${base}/thumbnail`]) {
      expect((await get(path, other.bearer)).status, path).toBe(404);
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(401);
    }
    expect((await get(`${dxPath}/rendered`, practice.bearer, { accept: 'application/pdf' })).status).toBe(406);
    expect((await get(`${dxPath}/rendered?quality=0`)).status).toBe(400);
    expect((await get(`${dxPath}/rendered?viewport=10,10,300,300,100,200`)).status).toBe(400);
    expect((await get(`${base}/rendered`, practice.bearer, { accept: 'multipart/related; type="application/pdf"' })).status).toBe(406);
    for (const path of [`${base}/rendered`, `${base}/series/${ROOT}.1.1/rendered`]) {
      expect((await get(path, other.bearer)).status, path).toBe(404);
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(401);
    }
    expect((await get(`${base}/series/${ROOT}.9.9/rendered`)).status).toBe(404);
  });

  it('renders a series and a study as multipart/related, one image per frame of every instance', async () => {
    const series = await get(`${base}/series/${ROOT}.1.1/rendered`, practice.bearer, { accept: 'multipart/related; type="image/jpeg"' });
    expect(series.status).toBe(200);
    expect(series.headers.get('content-type')).toMatch(/^multipart\/related; type="image\/jpeg"; boundary=/);
    const one = splitMultipart(series.headers.get('content-type')!, Buffer.from(await series.arrayBuffer()));
    expect(one).toHaveLength(1);
    expect(one[0]!.contentType).toBe('image/jpeg');
    expect(one[0]!.headers).toContain(`Content-Location: ${dxPath}/frames/1/rendered`);
    expect(meanAbsDiff(await toRaster(one[0]!.body), await dcmtkReference(fx(dx)))).toBeLessThan(3);

    // The study: DX (1 frame), CR (1), US cine (6 frames) in series order, as PNG via the query parameter.
    const study = await get(`${base}/rendered?accept=image/png`);
    expect(study.status).toBe(200);
    const parts = splitMultipart(study.headers.get('content-type')!, Buffer.from(await study.arrayBuffer()));
    expect(parts.map((p) => p.contentType)).toEqual(Array(8).fill('image/png'));
    expect(parts.map((p) => /Content-Location: (.*)/.exec(p.headers)![1]!.replace(/.*instances\/[^/]+/, ''))).toEqual(['/frames/1/rendered', '/frames/1/rendered', ...[1, 2, 3, 4, 5, 6].map((n) => `/frames/${n}/rendered`)]);
    expect(parts[1]!.headers).toContain(`/series/${ROOT}.1.2/instances/${ROOT}.1.2.1/frames/1/rendered`);
    const usRef = await dcmtkReference(fx(us, { transferSyntaxUid: TransferSyntax.JPEGBaseline, frame: 3, colour: true, windowed: false }));
    expect(meanAbsDiff(await toRaster(parts[5]!.body), usRef)).toBeLessThan(2);
    // Frames differ (the fixture's frames are not copies of one another).
    expect(parts[2]!.body.equals(parts[3]!.body)).toBe(false);

    const etag = study.headers.get('etag')!;
    expect((await get(`${base}/rendered?accept=image/png`, practice.bearer, { 'if-none-match': etag })).status).toBe(304);
  });
});
