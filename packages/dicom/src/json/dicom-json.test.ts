import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, describe, expect, it } from 'vitest';
import { readDicomHeader } from '../parse/read-header';
import { convertTransferSyntax, el, makeDicom } from '../testing';
import { TransferSyntax } from '../transfer-syntax';
import { type DicomJsonDataset, datasetToDicomJson } from './dicom-json';

const dir = mkdtempSync(join(tmpdir(), 'vetpacs-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * dcmtk's dcm2json output (PS3.18 §F.2). Pixel Data is erased first with dcmodify: dcm2json
 * cannot write compressed pixel data, and we serve it as BulkDataURI anyway.
 */
function dcm2json(file: Buffer): DicomJsonDataset {
  const path = join(dir, 'f.dcm');
  writeFileSync(path, file);
  execFileSync('dcmodify', ['-nb', '-ea', '(7FE0,0010)', path]);
  return JSON.parse(execFileSync('dcm2json', [path]).toString()) as DicomJsonDataset;
}

/** dcmjs's denaturalized data set, normalised to DICOM JSON conventions for comparison. */
function dcmjsJson(file: Buffer): DicomJsonDataset {
  const dict = dcmjs.data.DicomMessage.readFile(file.buffer.slice(file.byteOffset, file.byteOffset + file.length) as ArrayBuffer).dict;
  const norm = (ds: Record<string, { vr: string; Value?: unknown[] }>): DicomJsonDataset =>
    Object.fromEntries(
      Object.entries(ds)
        .filter(([k]) => k !== '7FE00010')
        .map(([k, v]) => {
          const values = (v.Value ?? []).filter((x) => x !== '');
          if (values.length === 0) return [k, { vr: v.vr }];
          if (v.vr === 'SQ') return [k, { vr: v.vr, Value: values.map((i) => norm(i as Record<string, { vr: string; Value?: unknown[] }>)) }];
          // dcmjs keeps AT values as numbers; DICOM JSON has hex strings (PS3.18 §F.2.3).
          if (v.vr === 'AT') return [k, { vr: v.vr, Value: values.map((n) => (n as number).toString(16).toUpperCase().padStart(8, '0')) }];
          if (['OB', 'OW', 'UN'].includes(v.vr)) return [k, { vr: v.vr, InlineBinary: Buffer.from(values[0] as ArrayBuffer).toString('base64') }];
          return [k, { vr: v.vr, Value: values }];
        }),
    );
  return norm(dict as unknown as Record<string, { vr: string; Value?: unknown[] }>);
}

const extra = [
  el('ImageComments', 'LT', '  leading spaces kept\r\nsecond line'),
  el('FrameIncrementPointer', 'AT', 0x00181063),
  el('ReferencedFrameNumber', 'IS', '1\\2\\3'),
  el('PixelSpacing', 'DS', '0.139\\0.14'),
  el('SmallestImagePixelValue', 'US', 0),
  el('OtherPatientNames', 'PN', 'Smith^Rex\\Jones^Rex'),
  el('PatientComments', 'LT', 'Nervous near cats. Bites.'),
  el('ReferencedImageSequence', 'SQ', [[el('ReferencedSOPClassUID', 'UI', '1.2.840.10008.5.1.4.1.1.1.1'), el('ReferencedSOPInstanceUID', 'UI', '1.2.3.4')]]),
  { tag: 0x00091010, vr: 'LO', value: 'VETPRIV' },
  { tag: 0x00091011, vr: 'OB', value: new Uint8Array([1, 2, 3, 4]) },
];

describe('datasetToDicomJson', () => {
  const fixtures: [string, Buffer][] = [
    ['explicit LE with vet attributes', makeDicom({ patientName: 'Müller^Bärli=山田^太郎', extra })],
    ['implicit LE (VRs from the dictionary)', convertTransferSyntax(makeDicom({ extra: extra.slice(0, 8) }), TransferSyntax.ImplicitVRLittleEndian)],
    ['JPEG-LS multi-frame', convertTransferSyntax(makeDicom({ frames: 2 }), TransferSyntax.JPEGLSLossless)],
    ['Latin-1 names', makeDicom({ specificCharacterSet: 'ISO_IR 100', patientName: 'Françoise^Café' })],
  ];

  it.each(fixtures)('%s: equals dcmtk dcm2json', (_n, file) => {
    expect(datasetToDicomJson(readDicomHeader(file, { complete: true }))).toEqual(dcm2json(file));
  });

  it.each(fixtures.filter(([n]) => !n.startsWith('Latin')))('%s: equals dcmjs', (_n, file) => {
    expect(datasetToDicomJson(readDicomHeader(file, { complete: true }))).toEqual(dcmjsJson(file));
  });

  it('gives PN components, numbers and AT as PS3.18 §F.2 requires', () => {
    const json = datasetToDicomJson(readDicomHeader(makeDicom({ patientName: 'Müller^Bärli=山田^太郎', extra }), { complete: true }));
    expect(json['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Müller^Bärli', Ideographic: '山田^太郎' }] });
    expect(json['00280030']).toEqual({ vr: 'DS', Value: [0.139, 0.14] });
    expect(json['00280010']).toEqual({ vr: 'US', Value: [64] });
    expect(json['00280009']).toEqual({ vr: 'AT', Value: ['00181063'] });
    expect(json['00102299']).toEqual({ vr: 'LO' });
    expect(json['00020010']).toBeUndefined();
  });

  it('uses BulkDataURI for Pixel Data and large binaries, InlineBinary for small ones', () => {
    const big = { tag: 0x00091012, vr: 'OB', value: new Uint8Array(4000).fill(5) };
    const p = readDicomHeader(makeDicom({ extra: [...extra, big] }), { complete: true });
    const json = datasetToDicomJson(p, { bulkDataUriFor: (t) => `https://pacs/bulk/${t}` });
    expect(json['7FE00010']).toEqual({ vr: 'OW', BulkDataURI: 'https://pacs/bulk/7FE00010' });
    expect(json['00091012']).toEqual({ vr: 'OB', BulkDataURI: 'https://pacs/bulk/00091012' });
    expect(json['00091011']).toEqual({ vr: 'OB', InlineBinary: 'AQIDBA==' });
  });
});
