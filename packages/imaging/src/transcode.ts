import { TransferSyntax } from '@vetpacs/dicom';
import { codecs, initCodecs } from './codecs';
import { frameCount, type ImageDataset, ImageDecodeError, parsePart10 } from './dataset';

/** Thrown when a transcoded copy does not decode to exactly the original's pixels. */
export class LosslessCheckError extends Error {
  override name = 'LosslessCheckError';
}

/**
 * The lossless compressed syntax of our derived copies: JPEG-LS Lossless (PS3.5 §A.4.3, §8.2.3).
 * CharLS (in dcmjs-codecs) is the fastest lossless encoder and decoder of the bundled WASM codecs
 * here, and every DICOMweb viewer we target (OHIF / Cornerstone, Weasis, dcmtk) decodes it. JPEG 2000
 * lossless is somewhat smaller but slower to decode in the browser; HTJ2K (OpenJPH) was larger.
 * Measurements and the decision: docs/worker.md.
 */
export const LOSSLESS_COPY_SYNTAX = TransferSyntax.JPEGLSLossless;

/** What {@link transcodeTargets} needs to decide. */
export interface TranscodeCandidate {
  transferSyntaxUid: string;
  byteSize: bigint | number;
  bitsAllocated: number | null;
}

/** Size thresholds of {@link transcodeTargets} (the worker's TRANSCODE_MIN_BYTES / TRANSCODE_MAX_BYTES). */
export interface TranscodePolicy {
  /** Uncompressed originals at least this large get a lossless compressed copy. */
  minCompressBytes: number;
  /** Originals above this size get no copy at all. */
  maxBytes: number;
}

/**
 * Which derived copies an instance should get (empty when none):
 * - big endian (retired) and deflated data sets, which browser decoders handle badly or not at all,
 *   are normalised to Explicit VR Little Endian;
 * - JPEG Extended with more than 8 bits (12-bit, which browsers' JPEG decoders cannot read) and
 *   large uncompressed images get a JPEG-LS lossless copy, so remote vets load radiographs faster.
 * Originals above `maxBytes` get none: transcoding holds the whole file in memory. Every caller
 * (ingest follow-ups, reconcile, the transcode job) decides through here, so they agree.
 */
export function transcodeTargets(c: TranscodeCandidate, opts: TranscodePolicy): string[] {
  if (Number(c.byteSize) > opts.maxBytes) return [];
  const ts = c.transferSyntaxUid;
  const bits = c.bitsAllocated ?? 0;
  const compressible = bits >= 8 && bits <= 16;
  const large = Number(c.byteSize) >= opts.minCompressBytes;
  const out: string[] = [];
  if (ts === TransferSyntax.ExplicitVRBigEndian || ts === TransferSyntax.DeflatedExplicitVRLittleEndian) out.push(TransferSyntax.ExplicitVRLittleEndian);
  const native = ts === TransferSyntax.ExplicitVRLittleEndian || ts === TransferSyntax.ImplicitVRLittleEndian || out.length > 0;
  if (compressible && ((native && large) || (ts === TransferSyntax.JPEGExtended && bits > 8))) out.push(LOSSLESS_COPY_SYNTAX);
  return out;
}

/** Decodes every frame to native little-endian pixels; returns the native data set and its pixel bytes. */
export async function decodeToNative(ds: ImageDataset): Promise<{ elements: Record<string, unknown>; pixels: Buffer }> {
  await initCodecs();
  // dcmjs-codecs has codecs for .50 and .70 but not .51/.57: the same libjpeg decoder reads the
  // coding process from the SOF marker (PS3.5 §A.4.1), so decode those through the .70 path.
  const ts = ds.transferSyntaxUid === TransferSyntax.JPEGExtended || ds.transferSyntaxUid === TransferSyntax.JPEGLossless ? TransferSyntax.JPEGLosslessSV1 : ds.transferSyntaxUid;
  let elements: Record<string, unknown>;
  try {
    const t = new codecs.Transcoder({ ...ds.elements }, ts);
    if (ts !== TransferSyntax.ExplicitVRLittleEndian) t.transcode(TransferSyntax.ExplicitVRLittleEndian);
    elements = t.getElements();
  } catch (err) {
    throw new ImageDecodeError(`cannot decode pixel data (${ds.transferSyntaxUid}): ${(err as Error).message}`);
  }
  const pd = elements.PixelData;
  const parts = (Array.isArray(pd) ? pd : [pd]).filter(Boolean).map((b) => Buffer.from(b as ArrayBuffer));
  return { elements, pixels: Buffer.concat(parts) };
}

/**
 * Transcodes a Part-10 file to `target` and proves the copy lossless: the copy is decoded again and
 * its pixels must equal the original's decoded pixels byte for byte (same geometry, same frames),
 * else {@link LosslessCheckError}. The original bytes are only read.
 */
export async function transcodeVerified(original: Uint8Array, target: string): Promise<{ bytes: Buffer; frames: number }> {
  await initCodecs();
  const src = parsePart10(original);
  const decoded = await decodeToNative(src);
  let bytes: Buffer;
  try {
    const t = new codecs.Transcoder({ ...decoded.elements }, TransferSyntax.ExplicitVRLittleEndian);
    if (target !== TransferSyntax.ExplicitVRLittleEndian) t.transcode(target);
    bytes = Buffer.from(t.getDicomPart10());
  } catch (err) {
    throw new ImageDecodeError(`cannot encode ${target}: ${(err as Error).message}`);
  }
  const copy = parsePart10(bytes);
  if (copy.transferSyntaxUid !== target) throw new LosslessCheckError(`copy has transfer syntax ${copy.transferSyntaxUid}, expected ${target}`);
  const back = await decodeToNative(copy);
  for (const k of ['Rows', 'Columns', 'SamplesPerPixel', 'BitsAllocated', 'NumberOfFrames'] as const) {
    if (String(back.elements[k] ?? '') !== String(decoded.elements[k] ?? '')) throw new LosslessCheckError(`${k} changed: ${decoded.elements[k]} → ${back.elements[k]}`);
  }
  if (!back.pixels.equals(decoded.pixels)) throw new LosslessCheckError(`decoded pixels of the ${target} copy differ from the original's`);
  return { bytes, frames: frameCount(decoded.elements) };
}
