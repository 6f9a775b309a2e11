import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransferSyntax } from '@vetpacs/dicom';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePart10 } from './dataset';
import { canTranscodeOnTheFly, transcodeFrame, transcodeInstance } from './on-the-fly';
import { imageFixtures } from './testing';
import { decodeToNative } from './transcode';
import { createTranscodePool } from './transcode-pool';

const fixtures = await imageFixtures({ rows: 24, columns: 20 });

/** dcmtk's own decompression to Explicit VR LE (dcmdjpeg, dcmdjpls, dcmdrle, dcmconv). */
function dcmtkNative(file: Buffer, ts: string): Buffer {
  const tool = ts === TransferSyntax.RLELossless ? 'dcmdrle' : ts.startsWith('1.2.840.10008.1.2.4.8') ? 'dcmdjpls' : ts.startsWith('1.2.840.10008.1.2.4.') ? 'dcmdjpeg' : 'dcmconv';
  const dir = mkdtempSync(join(tmpdir(), 'vetpacs-otf-'));
  try {
    writeFileSync(join(dir, 'in.dcm'), file);
    execFileSync(tool, ['+te', join(dir, 'in.dcm'), join(dir, 'out.dcm')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(join(dir, 'out.dcm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pixelsOf = async (file: Buffer) => (await decodeToNative(parsePart10(file))).pixels;

describe('on-the-fly transcoding', () => {
  const pool = createTranscodePool({ threads: 1 });
  afterAll(() => pool.close());

  // Lossless syntaxes dcmtk decodes here: our native output must be the very same pixels.
  const lossless = fixtures.filter((f) =>
    [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.JPEGLossless, TransferSyntax.JPEGLosslessSV1, TransferSyntax.JPEGLSLossless, TransferSyntax.RLELossless].includes(f.transferSyntaxUid as never),
  );

  it.each(lossless.map((f) => [f.name, f] as const))('%s → Explicit VR LE has exactly dcmtk\'s decoded pixels', async (_n, f) => {
    const out = await transcodeInstance(f.file, TransferSyntax.ExplicitVRLittleEndian);
    const ds = parsePart10(out);
    expect(ds.transferSyntaxUid).toBe(TransferSyntax.ExplicitVRLittleEndian);
    expect(ds.elements.SOPInstanceUID).toBe(parsePart10(f.file).elements.SOPInstanceUID);
    const ours = Buffer.from(ds.elements.PixelData instanceof ArrayBuffer ? ds.elements.PixelData : (ds.elements.PixelData as ArrayBuffer[])[0]!);
    const ref = await pixelsOf(dcmtkNative(f.file, f.transferSyntaxUid));
    expect(ours.equals(ref)).toBe(true);
  });

  it('decodes lossy JPEG and JPEG 2000 to native (pixels as our decoder reads the original)', async () => {
    for (const f of fixtures.filter((x) => [TransferSyntax.JPEGBaseline, TransferSyntax.JPEGExtended, TransferSyntax.JPEG2000Lossless, TransferSyntax.HTJ2KLossless].includes(x.transferSyntaxUid as never))) {
      // The pool takes ownership of (detaches) its input: hand it a copy.
      const out = await pool.instance(Buffer.from(f.file), TransferSyntax.ExplicitVRLittleEndian);
      expect((await pixelsOf(out)).equals(await pixelsOf(f.file)), f.name).toBe(true);
    }
  });

  it('encodes lossless targets verified, and refuses lossy targets and video', async () => {
    const f = fixtures.find((x) => x.name === 'explicit-le')!;
    for (const ts of [TransferSyntax.JPEGLSLossless, TransferSyntax.RLELossless, TransferSyntax.JPEG2000Lossless, TransferSyntax.ImplicitVRLittleEndian]) {
      const out = await transcodeInstance(f.file, ts);
      expect(parsePart10(out).transferSyntaxUid).toBe(ts);
      expect((await pixelsOf(out)).equals(await pixelsOf(f.file)), ts).toBe(true);
    }
    expect(canTranscodeOnTheFly(TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.JPEGBaseline)).toBe(false);
    expect(canTranscodeOnTheFly(TransferSyntax.H264HighProfile, TransferSyntax.ExplicitVRLittleEndian)).toBe(false);
    await expect(transcodeInstance(f.file, TransferSyntax.JPEGBaseline)).rejects.toThrow(/cannot transcode/);
  });

  it('decodes single frames in a worker thread, from the whole file or from header + frame bytes', async () => {
    const us = fixtures.find((x) => x.name === 'us-multiframe-jpeg')!;
    const all = await pixelsOf(us.file);
    const el = parsePart10(us.file).elements;
    const size = Number(el.Rows) * Number(el.Columns) * 3;
    const third = await pool.frame({ bytes: us.file, frame: 2 }, TransferSyntax.ExplicitVRLittleEndian);
    expect(third.data.equals(all.subarray(2 * size, 3 * size))).toBe(true);
    expect(third.photometricInterpretation).toBe('RGB');
    // An odd-sized 8-bit frame keeps its exact length (the codec pads the whole value, not frames).
    const odd = makeDicom({ seed: 77, rows: 5, columns: 5, bitsAllocated: 8 });
    const r = await transcodeFrame({ bytes: odd, frame: 0 }, TransferSyntax.ExplicitVRLittleEndian);
    expect(r.data.length).toBe(25);
    const ls = await pool.frame({ bytes: odd, frame: 0 }, TransferSyntax.JPEGLSLossless);
    expect(ls.data.subarray(0, 2).toString('hex')).toBe('ffd8');
    await expect(pool.frame({ bytes: odd, frame: 3 }, TransferSyntax.ExplicitVRLittleEndian)).rejects.toThrow(/does not exist/);
  });
});
