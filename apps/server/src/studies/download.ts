/**
 * "Download originals": a ZIP of the stored Part-10 files exactly as received (no transcoding, no
 * de-identification: hip/elbow scoring needs the original bytes), a DICOMDIR so the folder can be
 * burned to disc as a File-set (PS3.10 §8), and SHA256SUMS so the receiver can verify every byte.
 * Streamed: one object is read from storage at a time, with backpressure; the study is never held
 * in memory. Each file's SHA-256 is checked while streaming; a mismatch aborts the archive, so a
 * corrupted original can never leave as a valid-looking download.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { ObjectStore } from '@vetpacs/storage';
import { ZipFile } from 'yazl';
import { buildDicomdir, type DicomdirPatient } from './dicomdir';

export interface DownloadInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  instanceNumber: number | null;
  objectKey: string;
  sha256: string;
  byteSize: bigint;
}

export interface DownloadSeries {
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  instances: DownloadInstance[];
}

export interface DownloadStudy {
  patient: { patientId: string; patientName: string | null };
  study: { studyInstanceUid: string; studyDate: string | null; studyTime: string | null; studyDescription: string | null; studyId: string | null; accessionNumber: string | null };
  series: DownloadSeries[];
}

/** Hashes bytes as they pass and fails the stream at the end when they differ from `expected`. */
class VerifySha256 extends Transform {
  private readonly hash = createHash('sha256');
  constructor(
    private readonly expected: string,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback) {
    const actual = this.hash.digest('hex');
    cb(actual === this.expected ? null : new Error(`stored bytes of ${this.what} do not match their SHA-256 (${actual} ≠ ${this.expected})`));
  }
}

const seq = (prefix: string, n: number) => `${prefix}${String(n).padStart(8 - prefix.length, '0')}`;

/**
 * Builds the archive. File IDs are DICOM/SExxxxxx/IMxxxxxx (PS3.10 §8.2: ≤ 8 characters of A–Z,
 * 0–9, _ per component, no extension). `onError` is told when a stored object cannot be read or
 * fails verification; the output stream is then destroyed.
 */
export function buildStudyZip(store: ObjectStore, d: DownloadStudy, onError: (err: Error) => void): NodeJS.ReadableStream {
  const zip = new ZipFile();
  const sums: string[] = [];
  const patient: DicomdirPatient = {
    patientId: d.patient.patientId,
    patientName: d.patient.patientName,
    studies: [{ ...d.study, series: [] }],
  };
  d.series.forEach((series, si) => {
    const seriesDir = seq('SE', si + 1);
    const images = series.instances.map((inst, ii) => {
      const fileId = ['DICOM', seriesDir, seq('IM', ii + 1)];
      const name = fileId.join('/');
      sums.push(`${inst.sha256}  ${name}`);
      // STORE (no deflate): DICOM pixel data is mostly incompressible or already compressed, and
      // the receiver can then read each file straight out of the archive.
      zip.addReadStreamLazy(name, { compress: false, size: Number(inst.byteSize) }, (cb) => {
        store.get(inst.objectKey).then(
          ({ body }) => {
            const verify = new VerifySha256(inst.sha256, inst.sopInstanceUid);
            body.on('error', (err) => verify.destroy(err));
            verify.on('error', (err) => fail(err));
            cb(null, body.pipe(verify));
          },
          (err: Error) => {
            fail(err);
            cb(err, undefined as never);
          },
        );
      });
      return { fileId, sopClassUid: inst.sopClassUid, sopInstanceUid: inst.sopInstanceUid, transferSyntaxUid: inst.transferSyntaxUid, instanceNumber: inst.instanceNumber };
    });
    patient.studies[0]!.series.push({ seriesInstanceUid: series.seriesInstanceUid, modality: series.modality, seriesNumber: series.seriesNumber, images });
  });
  zip.addBuffer(buildDicomdir([patient]), 'DICOMDIR', { compress: false });
  zip.addBuffer(Buffer.from(`${sums.join('\n')}\n`), 'SHA256SUMS');
  zip.end();

  let failed = false;
  function fail(err: Error) {
    if (failed) return;
    failed = true;
    onError(err);
    (zip.outputStream as unknown as { destroy(e?: Error): void }).destroy(err);
  }
  return zip.outputStream;
}
