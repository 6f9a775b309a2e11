import { createHash } from 'node:crypto';
import { TransferSyntax } from '@vetpacs/dicom';
import { convertTransferSyntax, type MakeDicomOptions, makeDicom } from '@vetpacs/dicom/testing';
import { api } from 'dicomweb-client';
import dicomParser from 'dicom-parser';
import XHR from 'xhr2';
import { stowParts, type TestServer } from './harness';

export const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const ROOT = '1.2.826.0.1.3680043.10.1000.4242';

/** One generated instance and what the test expects of it. */
export interface Fixture {
  name: string;
  study: string;
  series: string;
  sop: string;
  transferSyntaxUid: string;
  bytes: Buffer;
  frames: number;
}

/** STOW-RS through the real ingest (the same path as production uploads). */
export async function stow(server: TestServer, auth: string, files: Uint8Array[]): Promise<number> {
  return (await stowParts(server, auth, files.map((body) => ({ body })))).status;
}

/**
 * Practice A's data set: three studies of two animals covering every transfer syntax the test
 * machine can encode (dcmtk), a multi-frame ultrasound, and matching-key variety (accents, dates,
 * times, species, breeds, owners).
 */
export function practiceAFixtures(): Fixture[] {
  const out: Fixture[] = [];
  const add = (name: string, o: MakeDicomOptions, ts: string) => {
    const native = makeDicom(o);
    const bytes = ts === TransferSyntax.ExplicitVRLittleEndian ? native : convertTransferSyntax(native, ts);
    // dcmtk gives lossy (JPEG baseline) results a new SOP Instance UID: read it back from the file.
    const sop = dicomParser.parseDicom(new Uint8Array(bytes)).string('x00080018')!;
    out.push({ name, study: o.studyInstanceUid!, series: o.seriesInstanceUid!, sop, transferSyntaxUid: ts, bytes, frames: o.frames ?? 1 });
  };
  // Study 1: radiographs of a Labrador, native syntaxes.
  const s1 = {
    studyInstanceUid: `${ROOT}.1`,
    patientName: 'Smith^Rex',
    patientId: 'PA-001',
    species: 'Canine',
    breed: 'Labrador Retriever',
    responsiblePerson: 'Smith^Jane',
    studyDate: '20240315',
    studyTime: '101500',
    accessionNumber: 'ACC-1001',
    studyDescription: 'Thorax 3 views',
    modality: 'DX',
    rows: 32,
    columns: 32,
  };
  add('explicit LE', { ...s1, seriesInstanceUid: `${ROOT}.1.1`, seriesNumber: 1, sopInstanceUid: `${ROOT}.1.1.1`, instanceNumber: 1 }, TransferSyntax.ExplicitVRLittleEndian);
  add('implicit LE', { ...s1, seriesInstanceUid: `${ROOT}.1.1`, seriesNumber: 1, sopInstanceUid: `${ROOT}.1.1.2`, instanceNumber: 2 }, TransferSyntax.ImplicitVRLittleEndian);
  // Study 2: a CT of a cat with an accented owner name, compressed syntaxes (one per series).
  const s2 = {
    studyInstanceUid: `${ROOT}.2`,
    patientName: 'Müller^Bärli',
    patientId: 'PA-002',
    species: 'Feline',
    breed: 'Maine Coon',
    responsiblePerson: 'Müller^Hans',
    studyDate: '20230110',
    studyTime: '083000',
    accessionNumber: 'ACC-2002',
    studyDescription: 'CT abdomen',
    modality: 'CT',
    rows: 32,
    columns: 32,
  };
  const compressed: [string, string, MakeDicomOptions][] = [
    ['JPEG baseline', TransferSyntax.JPEGBaseline, { bitsAllocated: 8 }],
    ['JPEG lossless', TransferSyntax.JPEGLosslessSV1, {}],
    ['JPEG-LS', TransferSyntax.JPEGLSLossless, {}],
    ['RLE', TransferSyntax.RLELossless, {}],
  ];
  for (const [i, [name, ts, extra]] of compressed.entries()) {
    add(name, { ...s2, ...extra, seriesInstanceUid: `${ROOT}.2.${i + 1}`, seriesNumber: i + 1, sopInstanceUid: `${ROOT}.2.${i + 1}.1`, instanceNumber: 1 }, ts);
  }
  // Study 3: a multi-frame colour ultrasound of the same dog, JPEG baseline (as scanners send).
  add(
    'multi-frame US',
    {
      ...s1,
      studyInstanceUid: `${ROOT}.3`,
      seriesInstanceUid: `${ROOT}.3.1`,
      sopInstanceUid: `${ROOT}.3.1.1`,
      studyDate: '20240402',
      studyTime: '153000',
      accessionNumber: 'ACC-3003',
      studyDescription: 'Abdomen ultrasound',
      modality: 'US',
      frames: 3,
      samplesPerPixel: 3,
      bitsAllocated: 8,
    },
    TransferSyntax.JPEGBaseline,
  );
  return out;
}

/** Practice B: same patient name and ID as practice A (a different clinic's Rex), other UIDs. */
export function practiceBFixtures(): Fixture[] {
  const o = {
    studyInstanceUid: `${ROOT}.9`,
    seriesInstanceUid: `${ROOT}.9.1`,
    sopInstanceUid: `${ROOT}.9.1.1`,
    patientName: 'Smith^Rex',
    patientId: 'PA-001',
    studyDate: '20240315',
    modality: 'DX',
    rows: 16,
    columns: 16,
  };
  return [{ name: 'practice B', study: o.studyInstanceUid, series: o.seriesInstanceUid, sop: o.sopInstanceUid, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, bytes: makeDicom(o), frames: 1 }];
}

/** The frames of a Part-10 file as the standard defines them, read independently with dicom-parser. */
export function expectedFrames(bytes: Buffer): Buffer[] {
  const ds = dicomParser.parseDicom(new Uint8Array(bytes));
  const el = ds.elements.x7fe00010!;
  const n = Number(ds.string('x00280008') ?? '1');
  if (!el.encapsulatedPixelData) {
    const size = el.length / n;
    return Array.from({ length: n }, (_, i) => bytes.subarray(el.dataOffset + i * size, el.dataOffset + (i + 1) * size));
  }
  if (n === 1) return [Buffer.from(dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments!.length))];
  return Array.from({ length: n }, (_, i) => Buffer.from(dicomParser.readEncapsulatedImageFrame(ds, el, i)));
}

/** DICOM JSON as the tests read it. */
export type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string }>;
type Uid = { studyInstanceUID: string; seriesInstanceUID?: string; sopInstanceUID?: string };

/** The subset of dicomweb-client the tests use, typed as it behaves (its bundled JSDoc types mark every option required). */
export interface DicomwebClient {
  searchForStudies(o?: { queryParams?: Record<string, unknown> }): Promise<Json[]>;
  searchForSeries(o?: { studyInstanceUID?: string; queryParams?: Record<string, unknown> }): Promise<Json[]>;
  searchForInstances(o?: { studyInstanceUID?: string; seriesInstanceUID?: string; queryParams?: Record<string, unknown> }): Promise<Json[]>;
  retrieveInstance(o: Required<Uid>): Promise<ArrayBuffer>;
  retrieveSeries(o: Uid & { seriesInstanceUID: string }): Promise<ArrayBuffer[]>;
  retrieveStudy(o: Uid): Promise<ArrayBuffer[]>;
  retrieveInstanceFrames(o: Required<Uid> & { frameNumbers: number[]; mediaTypes?: { mediaType: string; transferSyntaxUID?: string }[] }): Promise<ArrayBuffer[]>;
  retrieveStudyMetadata(o: Uid): Promise<Json[]>;
  retrieveSeriesMetadata(o: Uid & { seriesInstanceUID: string }): Promise<Json[]>;
  retrieveInstanceMetadata(o: Required<Uid>): Promise<Json[]>;
}

/**
 * The real `dicomweb-client` npm package pointed at a test server. It is browser code: Node has no
 * XMLHttpRequest, so the `xhr2` implementation is installed globally first.
 */
export function dicomwebClient(baseUrl: string, authorization: string): DicomwebClient {
  (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = XHR;
  return new api.DICOMwebClient({ url: `${baseUrl}/dicomweb`, headers: { Authorization: authorization } } as never) as unknown as DicomwebClient;
}
