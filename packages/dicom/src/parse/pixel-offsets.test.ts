import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { convertTransferSyntax, makeDicom, makePixels } from '../testing';
import { TransferSyntax } from '../transfer-syntax';
import type { FrameLocation } from './frames';
import { readDicomHeader } from './read-header';

const frameBytes = (file: Buffer, f: FrameLocation) => Buffer.concat(f.ranges.map((r) => file.subarray(r.offset, r.offset + r.length)));

/** Frames as dicom-parser reads them from a full parse (the independent reference). */
function referenceFrames(file: Buffer, frames: number): Buffer[] {
  const ds = dicomParser.parseDicom(file);
  const el = ds.elements.x7fe00010!;
  if (!el.encapsulatedPixelData) {
    const size = el.length / frames;
    return Array.from({ length: frames }, (_, i) => file.subarray(el.dataOffset + i * size, el.dataOffset + (i + 1) * size));
  }
  if (!el.basicOffsetTable!.length && el.fragments!.length === frames) {
    return Array.from({ length: frames }, (_, i) => Buffer.from(dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, i, 1)));
  }
  const bot = el.basicOffsetTable!.length ? el.basicOffsetTable! : dicomParser.createJPEGBasicOffsetTable(ds, el);
  if (frames === 1) return [Buffer.from(dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments!.length))];
  return Array.from({ length: frames }, (_, i) => Buffer.from(dicomParser.readEncapsulatedImageFrame(ds, el, i, bot)));
}

type NativeCase = [string, { frames?: number; samplesPerPixel?: 1 | 3; bitsAllocated?: 8 | 16 }, string | undefined];

describe('native pixel data offsets', () => {
  it.each<NativeCase>([
    ['single frame, explicit LE', {}, undefined],
    ['multi-frame, explicit LE', { frames: 5 }, undefined],
    ['multi-frame RGB 8-bit', { frames: 3, samplesPerPixel: 3, bitsAllocated: 8 }, undefined],
    ['implicit LE (dcmconv)', { frames: 2 }, TransferSyntax.ImplicitVRLittleEndian],
  ])('%s: frame ranges hold exactly the generated pixels', (_n, opts, ts) => {
    const made = makeDicom(opts);
    const file = ts ? convertTransferSyntax(made, ts) : made;
    const p = readDicomHeader(file, { complete: true });
    const frames = opts.frames ?? 1;
    const pixels = makePixels({ rows: 64, columns: 64, bitsAllocated: opts.bitsAllocated ?? 16, bitsStored: opts.bitsAllocated === 8 ? 8 : 12, samplesPerPixel: opts.samplesPerPixel ?? 1, frames });
    expect(p.pixelData?.encapsulated).toBe(false);
    expect(p.pixelData?.frames).toHaveLength(frames);
    expect(Buffer.concat(p.pixelData!.frames.map((f) => frameBytes(file, f))).equals(pixels)).toBe(true);
    const ref = referenceFrames(file, frames);
    for (const [i, f] of p.pixelData!.frames.entries()) expect(frameBytes(file, f).equals(ref[i]!)).toBe(true);
  });

  it('big endian: offsets match dicom-parser', () => {
    const file = makeDicom({ encoding: 'big', frames: 2 });
    const p = readDicomHeader(file, { complete: true });
    const ref = referenceFrames(file, 2);
    for (const [i, f] of p.pixelData!.frames.entries()) expect(frameBytes(file, f).equals(ref[i]!)).toBe(true);
  });
});

const cases: [string, string, Parameters<typeof makeDicom>[0], Parameters<typeof convertTransferSyntax>[2]][] = [
  ['JPEG baseline', TransferSyntax.JPEGBaseline, { bitsAllocated: 8 }, {}],
  ['JPEG baseline multi-frame', TransferSyntax.JPEGBaseline, { bitsAllocated: 8, frames: 4 }, {}],
  ['JPEG extended', TransferSyntax.JPEGExtended, { frames: 2 }, {}],
  ['JPEG lossless (.57)', TransferSyntax.JPEGLossless, {}, {}],
  ['JPEG lossless SV1 (.70) multi-frame', TransferSyntax.JPEGLosslessSV1, { frames: 3 }, {}],
  ['JPEG lossless multi-frame, no Basic Offset Table', TransferSyntax.JPEGLosslessSV1, { frames: 3 }, { emptyOffsetTable: true }],
  ['JPEG lossless, frames over several fragments, with BOT', TransferSyntax.JPEGLosslessSV1, { frames: 3, rows: 128, columns: 128 }, { fragmentSizeKb: 1 }],
  ['JPEG lossless, frames over several fragments, no BOT', TransferSyntax.JPEGLosslessSV1, { frames: 3, rows: 128, columns: 128 }, { fragmentSizeKb: 1, emptyOffsetTable: true }],
  ['JPEG-LS lossless', TransferSyntax.JPEGLSLossless, { frames: 2 }, {}],
  ['JPEG-LS near-lossless', TransferSyntax.JPEGLSNearLossless, {}, {}],
  ['RLE', TransferSyntax.RLELossless, {}, {}],
  ['RLE multi-frame, no BOT', TransferSyntax.RLELossless, { frames: 4 }, { emptyOffsetTable: true }],
];

describe('encapsulated pixel data offsets (PS3.5 §A.4)', () => {
  it.each(cases)('%s', (_n, ts, opts, convert) => {
    const file = convertTransferSyntax(makeDicom(opts), ts, convert);
    const p = readDicomHeader(file, { complete: true });
    const frames = opts?.frames ?? 1;
    expect(p.transferSyntaxUid).toBe(ts);
    expect(p.pixelData?.encapsulated).toBe(true);
    expect(p.pixelData?.length).toBeNull();
    expect(p.pixelData?.frames).toHaveLength(frames);
    expect(p.warnings).toEqual([]);
    const ref = referenceFrames(file, frames);
    for (const [i, f] of p.pixelData!.frames.entries()) {
      const bytes = frameBytes(file, f);
      expect(bytes.equals(ref[i]!)).toBe(true);
      if (ts !== TransferSyntax.RLELossless) expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    }
    if (convert?.fragmentSizeKb) expect(p.pixelData!.frames.every((f) => f.ranges.length > 1)).toBe(true);
  });

  it('wraps opaque codestreams (JPEG 2000 layout) with and without a Basic Offset Table', () => {
    const soc = (n: number, size: number) => Buffer.concat([Buffer.from([0xff, 0x4f, 0xff, 0x51]), Buffer.alloc(size - 4, n)]);
    const framesIn = [[soc(1, 100), Buffer.alloc(50, 9)], [soc(2, 80)], [soc(3, 60), Buffer.alloc(40, 8), Buffer.alloc(20, 7)]];
    for (const basicOffsetTable of [true, false]) {
      const file = makeDicom({ encapsulated: { transferSyntaxUid: TransferSyntax.JPEG2000Lossless, frames: framesIn, basicOffsetTable } });
      const p = readDicomHeader(file, { complete: true });
      expect(p.pixelData?.basicOffsetTable).toHaveLength(basicOffsetTable ? 3 : 0);
      expect(p.pixelData!.frames.map((f) => frameBytes(file, f))).toEqual(framesIn.map((f) => Buffer.concat(f)));
    }
  });

  it('video syntaxes are one stream across all fragments', () => {
    const file = makeDicom({ encapsulated: { transferSyntaxUid: TransferSyntax.H264HighProfile, frames: [[Buffer.alloc(40, 1)], [Buffer.alloc(40, 2)]] } });
    const p = readDicomHeader(file, { complete: true });
    expect(p.pixelData?.frames).toHaveLength(1);
    expect(p.pixelData?.frames[0]?.ranges).toHaveLength(2);
  });
});
