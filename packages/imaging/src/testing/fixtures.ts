import { TransferSyntax } from '@vetpacs/dicom';
import { convertTransferSyntax, el, makeDicom, type MakeDicomOptions } from '@vetpacs/dicom/testing';
import { codecs, initCodecs, toArrayBuffer } from '../codecs';

/** One test image: a Part-10 file plus what a reference decoder should be told about it. */
export interface ImageFixture {
  name: string;
  file: Buffer;
  transferSyntaxUid: string;
  /** Frame (0-based) a thumbnail should show. */
  frame: number;
  colour: boolean;
  /** The file carries Window Center/Width (dcmtk then windows with `+Wi 1`, like we do). */
  windowed: boolean;
  /** For syntaxes dcmtk cannot decode here (JPEG 2000): the lossless original to decode instead. */
  referenceFile?: Buffer;
}

const palette = (fn: (i: number) => number) => {
  const b = Buffer.alloc(512);
  for (let i = 0; i < 256; i++) b.writeUInt16LE(Math.round(fn(i)) * 257, i * 2);
  return b;
};

/** Extra elements turning an 8-bit greyscale image into PALETTE COLOR (PS3.3 §C.7.6.3.1.5). */
function paletteExtra(): MakeDicomOptions['extra'] {
  const descriptor = [256, 0, 16];
  return [
    el('PhotometricInterpretation', 'CS', 'PALETTE COLOR'),
    el('RedPaletteColorLookupTableDescriptor', 'US', descriptor),
    el('GreenPaletteColorLookupTableDescriptor', 'US', descriptor),
    el('BluePaletteColorLookupTableDescriptor', 'US', descriptor),
    el('RedPaletteColorLookupTableData', 'OW', palette((i) => i)),
    el('GreenPaletteColorLookupTableData', 'OW', palette((i) => 255 - i)),
    el('BluePaletteColorLookupTableData', 'OW', palette((i) => (i * 2) % 256)),
  ];
}

/**
 * The transfer syntax fixtures of the thumbnail tests: every syntax vet devices send that we can
 * produce here (dcmtk for native, JPEG, JPEG-LS, RLE; dcmjs-codecs for JPEG 2000 and HTJ2K), plus
 * MONOCHROME1, rescaled CT, palette colour, YBR and multi-frame ultrasound.
 */
export async function imageFixtures(opts: { rows?: number; columns?: number; seed?: number } = {}): Promise<ImageFixture[]> {
  await initCodecs();
  const rows = opts.rows ?? 96;
  const columns = opts.columns ?? 80;
  // Every fixture is generated from its own seed, so each has its own study/series/SOP UIDs and
  // all of them can be stored side by side.
  let seed = opts.seed ?? 900;
  const mk = (o: MakeDicomOptions) => makeDicom({ seed: ++seed, rows, columns, ...o });
  const grey16 = () => mk({ modality: 'DX' });
  const rgb = () => mk({ modality: 'XC', bitsAllocated: 8, samplesPerPixel: 3 });
  const out: ImageFixture[] = [];
  const add = (name: string, file: Buffer, ts: string, f: Partial<ImageFixture> = {}) =>
    out.push({ name, file, transferSyntaxUid: ts, frame: 0, colour: false, windowed: true, ...f });

  add('explicit-le', grey16(), TransferSyntax.ExplicitVRLittleEndian);
  for (const ts of [
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
    TransferSyntax.DeflatedExplicitVRLittleEndian,
    TransferSyntax.JPEGExtended,
    TransferSyntax.JPEGLossless,
    TransferSyntax.JPEGLosslessSV1,
    TransferSyntax.JPEGLSLossless,
    TransferSyntax.JPEGLSNearLossless,
    TransferSyntax.RLELossless,
  ]) add(`grey16-${ts}`, convertTransferSyntax(grey16(), ts), ts);
  add(`grey8-${TransferSyntax.JPEGBaseline}`, convertTransferSyntax(mk({ modality: 'XC', bitsAllocated: 8 }), TransferSyntax.JPEGBaseline), TransferSyntax.JPEGBaseline);
  for (const ts of [TransferSyntax.JPEGBaseline, TransferSyntax.RLELossless, TransferSyntax.JPEGLSLossless]) {
    add(`rgb-${ts}`, convertTransferSyntax(rgb(), ts), ts, { colour: true, windowed: false });
  }
  add('rgb-explicit-le', rgb(), TransferSyntax.ExplicitVRLittleEndian, { colour: true, windowed: false });
  for (const ts of [TransferSyntax.JPEG2000Lossless, TransferSyntax.HTJ2KLossless]) {
    const original = grey16();
    const t = new codecs.Transcoder(toArrayBuffer(original));
    t.transcode(ts);
    add(`grey16-${ts}`, Buffer.from(t.getDicomPart10()), ts, { referenceFile: original });
  }
  add('monochrome1', mk({ modality: 'CR', extra: [el('PhotometricInterpretation', 'CS', 'MONOCHROME1')] }), TransferSyntax.ExplicitVRLittleEndian);
  // CT: stored values rescaled to HU (PS3.3 §C.11.1); the window is in HU.
  add('ct-rescale', mk({ modality: 'CT', extra: [el('RescaleSlope', 'DS', '1'), el('RescaleIntercept', 'DS', '-1024'), el('WindowCenter', 'DS', '40'), el('WindowWidth', 'DS', '1500')] }), TransferSyntax.ExplicitVRLittleEndian);
  add('palette', mk({ modality: 'US', bitsAllocated: 8, extra: paletteExtra() }), TransferSyntax.ExplicitVRLittleEndian, { colour: true, windowed: false });
  add('us-multiframe-rgb', mk({ modality: 'US', bitsAllocated: 8, samplesPerPixel: 3, frames: 7 }), TransferSyntax.ExplicitVRLittleEndian, { colour: true, windowed: false, frame: 3 });
  // dcmcjpeg stores RGB as YBR_FULL_422 for JPEG baseline: the YBR path.
  add('us-multiframe-jpeg', convertTransferSyntax(mk({ modality: 'US', bitsAllocated: 8, samplesPerPixel: 3, frames: 5 }), TransferSyntax.JPEGBaseline), TransferSyntax.JPEGBaseline, { colour: true, windowed: false, frame: 2 });
  return out;
}
