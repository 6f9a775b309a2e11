import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TransferSyntax } from '@vetpacs/dicom';
import { convertTransferSyntax, makeDicom } from '@vetpacs/dicom/testing';
import { decodeToNative, parsePart10 } from '@vetpacs/imaging';
import { type ImageFixture, imageFixtures } from '@vetpacs/imaging/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DicomwebClient, dicomwebClient, sha, stow } from './dicomweb-fixtures';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';
import { splitMultipart } from './multipart';

const ELE = TransferSyntax.ExplicitVRLittleEndian;
const NATIVE_FRAMES = `multipart/related; type="application/octet-stream"; transfer-syntax=${ELE}`;
const AS_ELE = `multipart/related; type="application/dicom"; transfer-syntax=${ELE}`;
const STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const CAP = 100 * 1024;

/** dcmtk's own decompression of a file to Explicit VR LE (the independent reference decoder). */
function dcmtkDecode(file: Buffer, ts: string): Buffer {
  const tool =
    ts === TransferSyntax.RLELossless ? ['dcmdrle', '+te'] : ts.startsWith('1.2.840.10008.1.2.4.8') ? ['dcmdjpls', '+te'] : ts.startsWith('1.2.840.10008.1.2.4.') ? ['dcmdjpeg', '+te', '+px'] : ['dcmconv', '+te'];
  const dir = mkdtempSync(path.join(tmpdir(), 'vetpacs-ref-'));
  try {
    writeFileSync(path.join(dir, 'in.dcm'), file);
    execFileSync(tool[0]!, [...tool.slice(1), path.join(dir, 'in.dcm'), path.join(dir, 'out.dcm')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(path.join(dir, 'out.dcm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Native pixel bytes of a Part-10 file, read back by our decoder (for native files: the bytes as stored). */
const pixelsOf = async (file: Buffer) => (await decodeToNative(parsePart10(file))).pixels;

const meanAbsDiff = (a: Buffer, b: Buffer, bytes: number) => {
  let sum = 0;
  const n = a.length / bytes;
  for (let i = 0; i < n; i++) sum += Math.abs(bytes === 2 ? a.readUInt16LE(i * 2) - b.readUInt16LE(i * 2) : a[i]! - b[i]!);
  return sum / n;
};

interface Case extends ImageFixture {
  study: string;
  series: string;
  sop: string;
  frames: number;
}

describe('WADO-RS on-the-fly transcoding (PS3.18 §8.7.3.5)', () => {
  let server: TestServer;
  let practice: TestPractice;
  let client: DicomwebClient;
  let cases: Case[];
  let big: Case;
  let mixed: Case[];
  const get = (p: string, accept: string, method = 'GET') => fetch(`${server.url}/dicomweb${p}`, { method, headers: { authorization: practice.bearer, accept } });
  const instancePath = (c: Case) => `/studies/${c.study}/series/${c.series}/instances/${c.sop}`;
  const toCase = (f: ImageFixture): Case => {
    const e = parsePart10(f.file).elements;
    return { ...f, study: String(e.StudyInstanceUID), series: String(e.SeriesInstanceUID), sop: String(e.SOPInstanceUID), frames: Number(e.NumberOfFrames ?? 1) };
  };

  beforeAll(async () => {
    server = await startTestServer({ TRANSCODE_ON_THE_FLY_MAX_BYTES: String(CAP) });
    practice = await createTestPractice(server.deps.db, 'Transcode Vets');
    // Every syntax vets' devices send that we can generate here, 40×32 (multi-frame up to 7 frames).
    cases = (await imageFixtures({ rows: 40, columns: 32, seed: 6600 })).map(toCase);
    // 256×256 16-bit = 128 KiB decoded: above the cap of this server.
    const large = makeDicom({ seed: 6700, rows: 256, columns: 256, modality: 'DX' });
    big = toCase({ name: 'large RLE', file: convertTransferSyntax(large, TransferSyntax.RLELossless), transferSyntaxUid: TransferSyntax.RLELossless, frame: 0, colour: false, windowed: true });
    // One series of three instances: JPEG-LS, RLE and one already Explicit VR LE.
    const uids = { seed: 6800, studyInstanceUid: '1.2.826.0.1.3680043.10.1000.6800.1', seriesInstanceUid: '1.2.826.0.1.3680043.10.1000.6800.1.1', rows: 24, columns: 24 };
    mixed = [TransferSyntax.JPEGLSLossless, TransferSyntax.RLELossless, ELE].map((ts, i) => {
      const file = makeDicom({ ...uids, sopInstanceUid: `${uids.seriesInstanceUid}.${i + 1}`, instanceNumber: i + 1 });
      return toCase({ name: `mixed ${ts}`, file: ts === ELE ? file : convertTransferSyntax(file, ts), transferSyntaxUid: ts, frame: 0, colour: false, windowed: true });
    });
    expect(await stow(server, practice.bearer, [...cases, big, ...mixed].map((c) => c.file))).toBe(200);
    client = dicomwebClient(server.url, practice.bearer);
  });
  afterAll(() => server?.close());

  const compressed = () => cases.filter((c) => c.transferSyntaxUid !== ELE);
  const dcmtkExact = new Set<string>([
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
    TransferSyntax.DeflatedExplicitVRLittleEndian,
    TransferSyntax.JPEGLossless,
    TransferSyntax.JPEGLosslessSV1,
    TransferSyntax.JPEGLSLossless,
    TransferSyntax.JPEGLSNearLossless,
    TransferSyntax.RLELossless,
  ]);

  it('retrieves every instance as Explicit VR Little Endian with the decoded pixels of the original', async () => {
    for (const c of compressed()) {
      const res = await get(instancePath(c), AS_ELE);
      expect(res.status, c.name).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      // One transcoded part is made before the response starts: it has a Content-Length.
      expect(Number(res.headers.get('content-length')), c.name).toBe(body.length);
      const [part] = splitMultipart(res.headers.get('content-type')!, body);
      expect(part!.contentType, c.name).toBe(`application/dicom; transfer-syntax=${ELE}`);
      const ds = parsePart10(part!.body);
      expect(ds.transferSyntaxUid, c.name).toBe(ELE);
      expect(ds.elements.SOPInstanceUID, c.name).toBe(c.sop);
      const ours = await pixelsOf(part!.body);
      expect(ours.equals(await pixelsOf(c.file)), c.name).toBe(true);
      if (dcmtkExact.has(c.transferSyntaxUid)) {
        // Lossless (and JPEG-LS near-lossless, whose decoding is exact): dcmtk's pixels, bit for bit.
        expect(ours.equals(await pixelsOf(dcmtkDecode(c.file, c.transferSyntaxUid))), c.name).toBe(true);
      } else if (!c.transferSyntaxUid.startsWith('1.2.840.10008.1.2.4.9') && !c.transferSyntaxUid.startsWith('1.2.840.10008.1.2.4.20')) {
        // Lossy JPEG: decoders may round differently by a level.
        const bytes = Number(ds.elements.BitsAllocated) === 16 ? 2 : 1;
        expect(meanAbsDiff(ours, await pixelsOf(dcmtkDecode(c.file, c.transferSyntaxUid)), bytes), c.name).toBeLessThan(1);
      }
    }
  });

  it('leaves the original untouched: `*` still returns the stored bytes, SHA-256 identical', async () => {
    for (const c of compressed()) {
      const res = await get(instancePath(c), STORED);
      const [part] = splitMultipart(res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer()));
      expect(part!.contentType).toBe(`application/dicom; transfer-syntax=${c.transferSyntaxUid}`);
      expect(sha(part!.body), c.name).toBe(sha(c.file));
    }
  });

  it('streams a whole study transcoded part by part, and serves instances already in the syntax unchanged', async () => {
    const us = cases.find((c) => c.name === 'us-multiframe-jpeg')!;
    const res = await get(`/studies/${us.study}`, AS_ELE);
    expect(res.status).toBe(200);
    const parts = splitMultipart(res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer()));
    expect(parts).toHaveLength(1);
    expect(parts[0]!.contentType).toBe(`application/dicom; transfer-syntax=${ELE}`);
    expect((await pixelsOf(parts[0]!.body)).equals(await pixelsOf(us.file))).toBe(true);
    // A series mixing transcoded instances and one already in the syntax (sent unchanged).
    const res2 = await get(`/studies/${mixed[0]!.study}/series/${mixed[0]!.series}`, AS_ELE);
    expect(res2.status).toBe(200);
    // Parts are made while the response streams: no total length is known up front.
    expect(res2.headers.get('content-length')).toBeNull();
    const got = splitMultipart(res2.headers.get('content-type')!, Buffer.from(await res2.arrayBuffer()));
    expect(got.map((p) => p.contentType)).toEqual(mixed.map(() => `application/dicom; transfer-syntax=${ELE}`));
    for (const [i, m] of mixed.entries()) {
      expect(parsePart10(got[i]!.body).elements.SOPInstanceUID).toBe(m.sop);
      expect((await pixelsOf(got[i]!.body)).equals(await pixelsOf(m.file)), m.name).toBe(true);
    }
    expect(sha(got[2]!.body)).toBe(sha(mixed[2]!.file));
  });

  it('encodes verified lossless targets (JPEG-LS, RLE, JPEG 2000) from native and compressed originals', async () => {
    const native = cases.find((c) => c.name === 'explicit-le')!;
    const jpeg = cases.find((c) => c.name === `grey16-${TransferSyntax.JPEGLosslessSV1}`)!;
    for (const [c, ts] of [
      [native, TransferSyntax.JPEGLSLossless],
      [native, TransferSyntax.RLELossless],
      [jpeg, TransferSyntax.JPEG2000Lossless],
    ] as const) {
      const res = await get(instancePath(c), `multipart/related; type="application/dicom"; transfer-syntax=${ts}`);
      expect(res.status, ts).toBe(200);
      const [part] = splitMultipart(res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer()));
      expect(part!.contentType).toBe(`application/dicom; transfer-syntax=${ts}`);
      expect(parsePart10(part!.body).transferSyntaxUid).toBe(ts);
      expect((await pixelsOf(part!.body)).equals(await pixelsOf(c.file)), ts).toBe(true);
    }
  });

  it('serves frames decoded to native little-endian pixels when asked for transfer-syntax=1.2.840.10008.1.2.1 (OHIF)', async () => {
    for (const c of compressed()) {
      const all = await pixelsOf(c.file);
      const size = all.length / c.frames;
      for (let n = 1; n <= c.frames; n++) {
        const res = await get(`${instancePath(c)}/frames/${n}`, NATIVE_FRAMES);
        expect(res.status, `${c.name} frame ${n}`).toBe(200);
        const body = Buffer.from(await res.arrayBuffer());
        expect(Number(res.headers.get('content-length'))).toBe(body.length);
        const [part] = splitMultipart(res.headers.get('content-type')!, body);
        expect(part!.contentType).toBe(`application/octet-stream; transfer-syntax=${ELE}`);
        expect(part!.body.equals(all.subarray((n - 1) * size, n * size)), `${c.name} frame ${n}`).toBe(true);
      }
    }
    // Several frames in one request, in the order asked; and through dicomweb-client.
    const us = cases.find((c) => c.name === 'us-multiframe-jpeg')!;
    const all = await pixelsOf(us.file);
    const size = all.length / us.frames;
    const res = await get(`${instancePath(us)}/frames/3,1`, NATIVE_FRAMES);
    const parts = splitMultipart(res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer()));
    const frame = (n: number) => all.subarray((n - 1) * size, n * size);
    expect(parts.map((p) => p.body.equals(frame(3)) || p.body.equals(frame(1)))).toEqual([true, true]);
    expect(parts[0]!.body.equals(frame(3)) && parts[1]!.body.equals(frame(1))).toBe(true);
    const rle = cases.find((c) => c.name === `rgb-${TransferSyntax.RLELossless}`)!;
    const frames = await client.retrieveInstanceFrames({ studyInstanceUID: rle.study, seriesInstanceUID: rle.series, sopInstanceUID: rle.sop, frameNumbers: [1], mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: ELE }] });
    expect(Buffer.from(frames[0]!).equals(await pixelsOf(dcmtkDecode(rle.file, rle.transferSyntaxUid)))).toBe(true);
  });

  it('keeps `transfer-syntax=*` frames as stored, and encodes a lossless frame media type on request', async () => {
    const rle = cases.find((c) => c.name === `grey16-${TransferSyntax.RLELossless}`)!;
    const stored = await get(`${instancePath(rle)}/frames/1`, 'multipart/related; type="application/octet-stream"; transfer-syntax=*');
    const [part] = splitMultipart(stored.headers.get('content-type')!, Buffer.from(await stored.arrayBuffer()));
    expect(part!.contentType).toBe(`application/octet-stream; transfer-syntax=${TransferSyntax.RLELossless}`);
    const jls = await get(`${instancePath(rle)}/frames/1`, 'multipart/related; type="image/jls"');
    expect(jls.status).toBe(200);
    const [ls] = splitMultipart(jls.headers.get('content-type')!, Buffer.from(await jls.arrayBuffer()));
    expect(ls!.contentType).toBe(`image/jls; transfer-syntax=${TransferSyntax.JPEGLSLossless}`);
    expect(ls!.body.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('refuses instances above TRANSCODE_ON_THE_FLY_MAX_BYTES, or falls back to the next acceptable range', async () => {
    expect((await get(instancePath(big), AS_ELE)).status).toBe(406);
    expect((await get(`${instancePath(big)}/frames/1`, NATIVE_FRAMES)).status).toBe(406);
    const fallback = await get(instancePath(big), `${AS_ELE}, ${STORED}; q=0.5`);
    expect(fallback.status).toBe(200);
    const [part] = splitMultipart(fallback.headers.get('content-type')!, Buffer.from(await fallback.arrayBuffer()));
    expect(part!.contentType).toBe(`application/dicom; transfer-syntax=${TransferSyntax.RLELossless}`);
    expect(sha(part!.body)).toBe(sha(big.file));
    // A study holding it cannot be sent wholly in the syntax either: one syntax per response.
    expect((await get(`/studies/${big.study}`, AS_ELE)).status).toBe(406);
  });

  it('answers HEAD without transcoding and revalidates transcoded representations by ETag', async () => {
    const c = cases.find((x) => x.name === `grey16-${TransferSyntax.JPEGLSLossless}`)!;
    const head = await get(instancePath(c), AS_ELE, 'HEAD');
    expect(head.status).toBe(200);
    const etag = head.headers.get('etag')!;
    const full = await get(instancePath(c), AS_ELE);
    expect(full.headers.get('etag')).toBe(etag);
    expect(full.headers.get('etag')).not.toBe((await get(instancePath(c), STORED)).headers.get('etag'));
    const again = await fetch(`${server.url}/dicomweb${instancePath(c)}`, { headers: { authorization: practice.bearer, accept: AS_ELE, 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });
});
