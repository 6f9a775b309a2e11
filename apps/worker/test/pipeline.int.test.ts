import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HeaderCollector, TransferSyntax } from '@vetpacs/dicom';
import { decodeToNative, LOSSLESS_COPY_SYNTAX, parsePart10, readAll } from '@vetpacs/imaging';
import { dcmtkReference, type ImageFixture, imageFixtures, meanAbsDiff, meanOf, resizeRaster, toRaster } from '@vetpacs/imaging/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from '../../server/test/harness';
import { ownPrefix, startTestWorker, stow, type TestWorker, waitFor, workerEnv } from './helpers';

/** Pixel data bytes of a native Part-10 file, found by our header parser. */
function nativePixels(file: Buffer): Buffer {
  const c = new HeaderCollector();
  c.push(file);
  const pd = c.finish().pixelData!;
  return file.subarray(pd.offset, pd.offset + (pd.length ?? 0));
}

/** Decodes a file to Explicit VR Little Endian with dcmtk (an independent decoder). */
function dcmtkNative(file: Buffer, ts: string): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'vetpacs-dec-'));
  try {
    writeFileSync(path.join(dir, 'in.dcm'), file);
    const tool = ts === TransferSyntax.JPEGLSLossless ? 'dcmdjpls' : ts.startsWith('1.2.840.10008.1.2.4.') ? 'dcmdjpeg' : 'dcmconv';
    execFileSync(tool, [...(tool === 'dcmconv' ? ['+te'] : []), path.join(dir, 'in.dcm'), path.join(dir, 'out.dcm')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(path.join(dir, 'out.dcm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('worker pipeline: thumbnails, transcodes, series metadata', () => {
  let server: TestServer;
  let worker: TestWorker;
  let practice: TestPractice;
  let fixtures: ImageFixture[];

  beforeAll(async () => {
    const prefix = ownPrefix();
    server = await startTestServer({ QUEUE_PREFIX: prefix });
    practice = await createTestPractice(server.deps.db, 'Pipeline Vets');
    // 400x320: thumbnails are really downscaled; 16-bit ones (256 KB) count as "large" here.
    worker = await startTestWorker(workerEnv(prefix, { TRANSCODE_MIN_BYTES: '100000' }));
    fixtures = await imageFixtures({ rows: 400, columns: 320, seed: 5100 });
    expect(await stow(server, practice.bearer, fixtures.map((f) => f.file))).toEqual([200, 200, 200]);
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
  });

  const instanceOf = async (f: ImageFixture) => {
    const sop = parsePart10(f.file).elements.SOPInstanceUID as string;
    return server.deps.db.instance.findFirstOrThrow({ where: { practiceId: practice.id, sopInstanceUid: sop } });
  };

  it('renders a thumbnail for every transfer syntax fixture whose pixels match dcmtk', async () => {
    for (const f of fixtures) {
      const inst = await waitFor(`thumbnail of ${f.name}`, async () => {
        const i = await instanceOf(f);
        return i.thumbnailObjectKey ? i : undefined;
      });
      expect(inst.thumbnailObjectKey).toMatch(new RegExp(`^practices/${practice.id}/derived/`));
      const thumb = await toRaster(await readAll(server.deps.store, inst.thumbnailObjectKey!));
      expect(Math.max(thumb.width, thumb.height), f.name).toBe(256);
      expect(thumb.channels >= 3, f.name).toBe(f.colour);
      const ref = await dcmtkReference(f);
      expect(thumb.width / thumb.height, f.name).toBeCloseTo(ref.width / ref.height, 1);
      const refSmall = await resizeRaster(ref, { width: thumb.width, height: thumb.height });
      expect(Math.abs(meanOf(thumb) - meanOf(refSmall)), `${f.name} mean brightness`).toBeLessThan(3);
      expect(meanAbsDiff(thumb, refSmall), `${f.name} pixels`).toBeLessThan(5);
      const row = await server.deps.db.derivedObject.findFirst({ where: { instanceId: inst.id, kind: 'THUMBNAIL' } });
      expect(row?.objectKey).toBe(inst.thumbnailObjectKey);
    }
  });

  it('gives every series a thumbnail and a metadata blob holding all its instances', async () => {
    const series = await server.deps.db.series.findMany({ where: { practiceId: practice.id } });
    expect(series.length).toBe(fixtures.length);
    for (const s of series) {
      const done = await waitFor(`series ${s.seriesInstanceUid}`, async () => {
        const x = await server.deps.db.series.findUniqueOrThrow({ where: { id: s.id } });
        return x.thumbnailObjectKey && x.metadataObjectKey && x.metadataVersion === x.numberOfInstances ? x : undefined;
      });
      expect(done.metadataObjectKey).toBe(`practices/${practice.id}/derived/series/${s.seriesInstanceUid}/metadata-${done.numberOfInstances}.json.gz`);
      const json = JSON.parse(gunzipSync(await readAll(server.deps.store, done.metadataObjectKey!)).toString('utf8')) as Record<string, { Value?: unknown[]; BulkDataURI?: string }>[];
      const rows = await server.deps.db.instance.findMany({ where: { seriesId: s.id } });
      expect(json).toEqual(rows.map((r) => r.metadata));
      expect(json[0]?.['7FE00010']?.BulkDataURI).toMatch(/^\{\{DICOMWEB_ROOT\}\}\/studies\//);
      const thumb = await toRaster(await readAll(server.deps.store, done.thumbnailObjectKey!));
      expect(Math.max(thumb.width, thumb.height)).toBe(256);
    }
  });

  it('stores lossless transcoded copies whose pixels equal the original (checked with dcmtk too)', async () => {
    const expected: [string, string][] = [
      ['explicit-le', LOSSLESS_COPY_SYNTAX],
      [`grey16-${TransferSyntax.ExplicitVRBigEndian}`, TransferSyntax.ExplicitVRLittleEndian],
      [`grey16-${TransferSyntax.ExplicitVRBigEndian}`, LOSSLESS_COPY_SYNTAX],
      [`grey16-${TransferSyntax.DeflatedExplicitVRLittleEndian}`, TransferSyntax.ExplicitVRLittleEndian],
      [`grey16-${TransferSyntax.ImplicitVRLittleEndian}`, LOSSLESS_COPY_SYNTAX],
      [`grey16-${TransferSyntax.JPEGExtended}`, LOSSLESS_COPY_SYNTAX],
    ];
    for (const [name, ts] of expected) {
      const f = fixtures.find((x) => x.name === name)!;
      const inst = await instanceOf(f);
      const row = await waitFor(`${ts} copy of ${name}`, () => server.deps.db.derivedObject.findFirst({ where: { instanceId: inst.id, kind: 'TRANSCODED', transferSyntaxUid: ts } }));
      const copy = await readAll(server.deps.store, row.objectKey);
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Number(row.byteSize)).toBe(copy.length);
      const ours = await decodeToNative(parsePart10(copy));
      const original = await decodeToNative(parsePart10(f.file));
      expect(ours.pixels.equals(original.pixels), `${name} → ${ts}`).toBe(true);
      if (f.transferSyntaxUid !== TransferSyntax.JPEGExtended) {
        // Independent check: dcmtk decodes the copy to the original's native pixel bytes.
        const origNative = nativePixels(dcmtkNative(f.file, f.transferSyntaxUid));
        expect(nativePixels(dcmtkNative(copy, ts)).equals(origNative), `${name} → ${ts} (dcmtk)`).toBe(true);
      }
      // The original is untouched.
      expect((await readAll(server.deps.store, inst.objectKey)).equals(f.file)).toBe(true);
    }
    // Already-compressed lossless originals get no copy.
    const jls = await instanceOf(fixtures.find((x) => x.name === `grey16-${TransferSyntax.JPEGLSLossless}`)!);
    expect(await server.deps.db.derivedObject.count({ where: { instanceId: jls.id, kind: 'TRANSCODED' } })).toBe(0);
  });
});
