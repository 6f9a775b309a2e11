import type { DicomErrorCode } from '../errors';
import { type MakeDicomOptions, makeDicom } from './make-dicom';
import { el } from './writer';

/** A broken file and the error code ingest must answer with. */
export interface CorruptVariant {
  name: string;
  bytes: Buffer;
  expected: DicomErrorCode;
}

/**
 * Files every ingest path must refuse: truncation (inside pixel data, inside the header), non-DICOM
 * bytes, missing or malformed UIDs (path traversal, slashes, NUL, leading zeros, too long) and an
 * unknown transfer syntax.
 */
export function makeCorruptVariants(base: MakeDicomOptions = {}): CorruptVariant[] {
  const good = makeDicom(base);
  const withUid = (keyword: 'SOPInstanceUID' | 'StudyInstanceUID' | 'SeriesInstanceUID' | 'SOPClassUID', value: string) =>
    makeDicom({ ...base, extra: [...(base.extra ?? []), el(keyword, 'UI', value)] });
  const unknownTs = Buffer.from(good);
  const tsAt = unknownTs.indexOf('1.2.840.10008.1.2.1\0', 132, 'latin1');
  unknownTs.write('1.2.840.99999.1.2.3', tsAt, 'latin1');
  return [
    { name: 'truncated inside pixel data', bytes: good.subarray(0, good.length - 100), expected: 'TRUNCATED' },
    { name: 'truncated inside the header', bytes: good.subarray(0, 400), expected: 'TRUNCATED' },
    { name: 'empty', bytes: Buffer.alloc(0), expected: 'NOT_DICOM' },
    { name: 'JPEG file', bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 7)]), expected: 'NOT_DICOM' },
    { name: 'text file', bytes: Buffer.from('Dear owner, here are the X-rays of Rex.\n'.repeat(10)), expected: 'NOT_DICOM' },
    { name: 'SOPInstanceUID with ../', bytes: withUid('SOPInstanceUID', '1.2.3/../x'), expected: 'INVALID_UID' },
    { name: 'StudyInstanceUID with ..', bytes: withUid('StudyInstanceUID', '1.2..3'), expected: 'INVALID_UID' },
    { name: 'SeriesInstanceUID with /', bytes: withUid('SeriesInstanceUID', '1.2/3'), expected: 'INVALID_UID' },
    { name: 'SOPInstanceUID with NUL', bytes: withUid('SOPInstanceUID', '1.2\u00003.4'), expected: 'INVALID_UID' },
    { name: 'SOPInstanceUID with leading zero', bytes: withUid('SOPInstanceUID', '1.02.3'), expected: 'INVALID_UID' },
    { name: 'SOPInstanceUID too long', bytes: withUid('SOPInstanceUID', `1.2.${'9'.repeat(70)}`), expected: 'INVALID_UID' },
    { name: 'SOPInstanceUID empty', bytes: withUid('SOPInstanceUID', ''), expected: 'MISSING_UID' },
    { name: 'unknown transfer syntax', bytes: unknownTs, expected: 'UNKNOWN_TRANSFER_SYNTAX' },
  ];
}
