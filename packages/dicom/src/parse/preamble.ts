import { DicomValidationError } from '../errors';
import { TransferSyntax } from '../transfer-syntax';
import { trimUidPadding } from '../uid';
import { ALL_VRS, LONG_VRS, readTag, u16, u32 } from './bytes';
import type { FileMeta } from './types';

export type StartStep =
  | { kind: 'need-more' }
  | { kind: 'start'; hasPreamble: boolean; metaOffset: number | null; inferredTransferSyntax?: string };

const isDicm = (b: Uint8Array, at: number): boolean => b[at] === 0x44 && b[at + 1] === 0x49 && b[at + 2] === 0x43 && b[at + 3] === 0x4d;

/**
 * Recognises the start of a file: a Part-10 preamble + 'DICM' (PS3.10 §7.1), File Meta without a
 * preamble, or a bare data set. For a bare data set the transfer syntax is inferred (PS3.5 Annex A:
 * Implicit VR Little Endian is the default; Explicit VR is recognised by a valid VR in bytes 4-5).
 * `ended` = no more bytes will come.
 */
export function detectStart(b: Uint8Array, available: number, ended: boolean): StartStep {
  if (available >= 132 && isDicm(b, 128)) return { kind: 'start', hasPreamble: true, metaOffset: 132 };
  if (available < 132 && !ended) return { kind: 'need-more' };
  if (available < 8) throw new DicomValidationError('NOT_DICOM', `Not a DICOM file: only ${available} bytes`);
  if (isDicm(b, 0)) return { kind: 'start', hasPreamble: false, metaOffset: 4 };
  const group = u16(b, 0, true);
  if (group === 0x0002) return { kind: 'start', hasPreamble: false, metaOffset: 0 };
  // A bare data set starts with a low, even group (Identifying group 0008 in practice).
  if (group < 0x0008 || group > 0x0020 || group % 2 !== 0) {
    throw new DicomValidationError('NOT_DICOM', "Not a DICOM file: no 'DICM' prefix at offset 128 and no recognisable data set at offset 0");
  }
  const vr = String.fromCharCode(b[4]!, b[5]!);
  const explicit = ALL_VRS.has(vr);
  return {
    kind: 'start',
    hasPreamble: false,
    metaOffset: null,
    inferredTransferSyntax: explicit ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian,
  };
}

export type MetaStep = { kind: 'need-more' } | { kind: 'meta'; meta: FileMeta; end: number };

const META_FIELDS = new Map<number, keyof FileMeta>([
  [0x00020002, 'mediaStorageSopClassUid'],
  [0x00020003, 'mediaStorageSopInstanceUid'],
  [0x00020010, 'transferSyntaxUid'],
  [0x00020012, 'implementationClassUid'],
  [0x00020013, 'implementationVersionName'],
  [0x00020016, 'sourceApplicationEntityTitle'],
]);

/**
 * Reads File Meta Information elements (always Explicit VR Little Endian, PS3.10 §7.1) until the
 * first tag outside group 0002. The group length is not trusted: writers get it wrong.
 */
export function parseMeta(b: Uint8Array, available: number, start: number, ended: boolean): MetaStep {
  const meta: Partial<FileMeta> = {};
  let pos = start;
  for (;;) {
    if (available - pos < 8) {
      if (!ended) return { kind: 'need-more' };
      if (available === pos) break;
      throw new DicomValidationError('TRUNCATED', `File Meta Information ends inside an element at offset ${pos}`);
    }
    const t = readTag(b, pos, true);
    if (t >>> 16 !== 0x0002) break;
    const vr = String.fromCharCode(b[pos + 4]!, b[pos + 5]!);
    if (!ALL_VRS.has(vr)) throw new DicomValidationError('NOT_DICOM', `File Meta Information element at offset ${pos} has no valid VR`);
    let header = 8;
    let length = u16(b, pos + 6, true);
    if (LONG_VRS.has(vr)) {
      if (available - pos < 12) {
        if (!ended) return { kind: 'need-more' };
        throw new DicomValidationError('TRUNCATED', `File Meta Information ends inside an element at offset ${pos}`);
      }
      header = 12;
      length = u32(b, pos + 8, true);
    }
    if (length > 1 << 20) throw new DicomValidationError('NOT_DICOM', `File Meta Information element at offset ${pos} declares ${length} bytes`);
    if (available - pos < header + length) {
      if (!ended) return { kind: 'need-more' };
      throw new DicomValidationError('TRUNCATED', `File Meta Information ends inside an element at offset ${pos}`);
    }
    const field = META_FIELDS.get(t);
    if (field) {
      const text = new TextDecoder('latin1').decode(b.subarray(pos + header, pos + header + length));
      meta[field] = field.endsWith('Uid') ? trimUidPadding(text) : text.replace(/[\0 ]+$/, '').trim();
    }
    pos += header + length;
  }
  if (!meta.transferSyntaxUid) {
    throw new DicomValidationError('UNKNOWN_TRANSFER_SYNTAX', 'TransferSyntaxUID (0002,0010) is missing from the File Meta Information');
  }
  return { kind: 'meta', meta: meta as FileMeta, end: pos };
}
