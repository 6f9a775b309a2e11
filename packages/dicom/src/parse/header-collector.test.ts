import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DicomValidationError } from '../errors';
import { convertTransferSyntax, makeDicom } from '../testing';
import { TransferSyntax } from '../transfer-syntax';
import { HeaderCollector } from './header-collector';
import { HeaderTap, readDicomHeader } from './read-header';
import type { ParsedInstance } from './types';

function collect(file: Uint8Array, chunkSize: number): ParsedInstance {
  const c = new HeaderCollector();
  for (let i = 0; i < file.length; i += chunkSize) c.push(file.subarray(i, i + chunkSize));
  return c.finish();
}

const summary = (p: ParsedInstance) => ({
  ts: p.transferSyntaxUid,
  uids: [p.sopClassUid, p.sopInstanceUid, p.studyInstanceUid, p.seriesInstanceUid],
  preamble: p.hasPreamble,
  size: p.totalSize,
  pixel: p.pixelData && { ...p.pixelData },
  patient: p.patient,
  study: p.study,
  series: p.series,
  instance: p.instance,
});

describe('HeaderCollector chunking', () => {
  const native = makeDicom({ frames: 2, seed: 3 });
  const rle = convertTransferSyntax(makeDicom({ frames: 3, seed: 4 }), TransferSyntax.RLELossless);
  const jpegFragmented = convertTransferSyntax(makeDicom({ frames: 3, seed: 5 }), TransferSyntax.JPEGLosslessSV1, { fragmentSizeKb: 1 });

  it.each([
    ['native multi-frame', native],
    ['RLE multi-frame', rle],
    ['JPEG lossless, 1 KiB fragments', jpegFragmented],
  ])('%s: 1 byte, 7 byte and 64 KiB chunks give identical results', (_name, file) => {
    const whole = summary(readDicomHeader(file, { complete: true }));
    for (const size of [1, 7, 65536]) expect(summary(collect(file, size))).toEqual(whole);
  });

  it('stops buffering at Pixel Data', () => {
    const c = new HeaderCollector();
    c.push(native);
    expect(c.retainedBytes).toBeLessThan(native.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00])) + 1);
  });
});

describe('files without preamble or File Meta', () => {
  it('accepts a bare Implicit VR Little Endian data set', () => {
    const p = readDicomHeader(makeDicom({ encoding: 'implicit', fileMeta: false }), { complete: true });
    expect(p.hasPreamble).toBe(false);
    expect(p.meta).toBeUndefined();
    expect(p.transferSyntaxUid).toBe(TransferSyntax.ImplicitVRLittleEndian);
    expect(p.patient.petName).toBe('Rex');
    expect(p.pixelData?.frames).toHaveLength(1);
  });

  it('recognises a bare Explicit VR Little Endian data set by its VR bytes', () => {
    const p = readDicomHeader(makeDicom({ fileMeta: false }), { complete: true });
    expect(p.transferSyntaxUid).toBe(TransferSyntax.ExplicitVRLittleEndian);
    expect(p.series.modality).toBe('DX');
  });

  it('accepts File Meta without the preamble', () => {
    const p = readDicomHeader(makeDicom({ preamble: false }), { complete: true });
    expect(p.hasPreamble).toBe(false);
    expect(p.meta?.transferSyntaxUid).toBe(TransferSyntax.ExplicitVRLittleEndian);
  });
});

describe('readDicomHeader on a prefix', () => {
  it('parses bytes that stop right after the Pixel Data header', () => {
    const file = makeDicom({ rows: 256, columns: 256 });
    const full = readDicomHeader(file, { complete: true });
    const prefix = file.subarray(0, full.pixelData!.offset);
    const p = readDicomHeader(prefix);
    expect(p.pixelData?.complete).toBe(false);
    expect(p.pixelData?.frames).toEqual(full.pixelData?.frames);
    expect(() => readDicomHeader(prefix, { complete: true })).toThrow(/TRUNCATED/);
  });
});

describe('limits', () => {
  it('rejects a data set larger than the cap before Pixel Data', () => {
    const file = makeDicom({ extra: [{ tag: 0x00204000, vr: 'LT', value: 'x'.repeat(5000) }] });
    const c = new HeaderCollector({ maxHeaderBytes: 4096 });
    const err = (() => {
      try {
        for (let i = 0; i < file.length; i += 1000) c.push(file.subarray(i, i + 1000));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DicomValidationError);
    expect((err as DicomValidationError).code).toBe('HEADER_TOO_LARGE');
  });

  it('parses a deflated file (PS3.5 §A.5), with offsets into the inflated data set', () => {
    const file = convertTransferSyntax(makeDicom(), TransferSyntax.DeflatedExplicitVRLittleEndian);
    const p = collect(file, 333);
    expect(p.deflated).toBe(true);
    expect(p.patient.ownerFamilyName).toBe('Smith');
    expect(p.pixelData?.length).toBe(64 * 64 * 2);
  });
});

describe('HeaderTap', () => {
  it('passes bytes through unchanged and resolves the parse', async () => {
    const file = makeDicom({ frames: 2 });
    const tap = new HeaderTap();
    const out: Buffer[] = [];
    const sink = new Writable({
      write: (c, _e, cb) => {
        out.push(c);
        cb();
      },
    });
    await pipeline(Readable.from([file.subarray(0, 100), file.subarray(100, 5000), file.subarray(5000)]), tap, sink);
    expect(Buffer.concat(out).equals(file)).toBe(true);
    expect((await tap.result).pixelData?.frames).toHaveLength(2);
  });

  it('aborts the pipeline on a non-DICOM upload', async () => {
    const tap = new HeaderTap();
    const run = pipeline(Readable.from([Buffer.from('%PDF-1.7 '.repeat(40))]), tap, new PassThrough().resume());
    await expect(run).rejects.toMatchObject({ code: 'NOT_DICOM' });
    await expect(tap.result).rejects.toMatchObject({ code: 'NOT_DICOM' });
  });
});
