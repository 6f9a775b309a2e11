import { TransferSyntax, transferSyntaxInfo } from '@vetpacs/dicom';
import { dcmjs, toArrayBuffer } from './codecs';

/** A parsed image: dcmjs naturalised elements plus the transfer syntax their pixel data uses. */
export interface ImageDataset {
  elements: Record<string, unknown>;
  transferSyntaxUid: string;
}

/** Thrown when bytes cannot be read as a DICOM image (a permanent failure for a job). */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

/**
 * Parses a Part-10 file (or a prefix of one that ends on an element boundary). Deflated data sets
 * (PS3.5 §A.5) are inflated by dcmjs; their pixel data is then plain explicit little endian.
 */
export function parsePart10(bytes: Uint8Array): ImageDataset {
  let parsed: { meta: Record<string, unknown>; dict: Record<string, unknown> };
  try {
    parsed = dcmjs.data.DicomMessage.readFile(toArrayBuffer(bytes), { ignoreErrors: true });
  } catch (err) {
    throw new ImageDecodeError(`not a readable DICOM file: ${(err as Error).message}`);
  }
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.meta);
  const elements = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict);
  let ts = String(meta.TransferSyntaxUID ?? TransferSyntax.ImplicitVRLittleEndian);
  if (ts === TransferSyntax.DeflatedExplicitVRLittleEndian) ts = TransferSyntax.ExplicitVRLittleEndian;
  if (!transferSyntaxInfo(ts)) throw new ImageDecodeError(`unsupported transfer syntax ${ts}`);
  return { elements, transferSyntaxUid: ts };
}

/** Number of frames declared by an image (NumberOfFrames, default 1). */
export function frameCount(elements: Record<string, unknown>): number {
  const n = Number(elements.NumberOfFrames ?? 1);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** True when the image is colour (RGB, YBR_*, PALETTE COLOR), i.e. not MONOCHROME1/2. */
export function isColour(elements: Record<string, unknown>): boolean {
  return !String(elements.PhotometricInterpretation ?? 'MONOCHROME2').startsWith('MONOCHROME');
}
