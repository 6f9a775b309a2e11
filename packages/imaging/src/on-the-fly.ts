import { TransferSyntax } from '@vetpacs/dicom';
import { codecs, initCodecs, toArrayBuffer } from './codecs';
import { frameCount, ImageDecodeError, parsePart10 } from './dataset';
import { decodeToNative, transcodeVerified } from './transcode';

const NATIVE_LE = new Set<string>([TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]);

/**
 * Stored syntaxes whose pixel data our decoders read (dcmjs-codecs: libjpeg for .50/.51/.57/.70,
 * CharLS, OpenJPEG, OpenJPH, RLE; dcmjs inflates deflated data sets). Video syntaxes and Deflated
 * Image Frame Compression are not decodable here.
 */
const DECODABLE = new Set<string>([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.JPEGBaseline,
  TransferSyntax.JPEGExtended,
  TransferSyntax.JPEGLossless,
  TransferSyntax.JPEGLosslessSV1,
  TransferSyntax.JPEGLSLossless,
  TransferSyntax.JPEGLSNearLossless,
  TransferSyntax.JPEG2000Lossless,
  TransferSyntax.JPEG2000,
  TransferSyntax.HTJ2KLossless,
  TransferSyntax.HTJ2KLosslessRPCL,
  TransferSyntax.HTJ2K,
  TransferSyntax.RLELossless,
]);

/**
 * Syntaxes we write on request: native little endian, and the lossless encoders of dcmjs-codecs.
 * Lossy targets are never produced on the fly: re-compressing lossily on a read would silently
 * degrade a diagnostic image (PS3.5 §8.2 asks that lossy compression be a deliberate act,
 * recorded in Lossy Image Compression).
 */
const TARGETS = new Set<string>([
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.RLELossless,
  TransferSyntax.JPEGLosslessSV1,
  TransferSyntax.JPEGLSLossless,
  TransferSyntax.JPEG2000Lossless,
  TransferSyntax.HTJ2KLossless,
  TransferSyntax.HTJ2KLosslessRPCL,
]);

/** True when an instance stored in `from` can be served in `to` by decoding (and re-encoding) it. */
export function canTranscodeOnTheFly(from: string, to: string): boolean {
  return from !== to && DECODABLE.has(from) && TARGETS.has(to);
}

/**
 * An instance's Part-10 file in `target`. Native targets are the decoded data set written in that
 * syntax (that *is* the decode, nothing to verify); compressed targets go through
 * {@link transcodeVerified}, which proves the copy decodes to the original's pixels. The input is
 * only read.
 */
export async function transcodeInstance(original: Uint8Array, target: string): Promise<Buffer> {
  await initCodecs();
  const src = parsePart10(original);
  if (!canTranscodeOnTheFly(src.transferSyntaxUid, target) && src.transferSyntaxUid !== target) {
    throw new ImageDecodeError(`cannot transcode ${src.transferSyntaxUid} to ${target}`);
  }
  if (!NATIVE_LE.has(target)) return (await transcodeVerified(original, target)).bytes;
  const { elements } = await decodeToNative(src);
  try {
    const t = new codecs.Transcoder({ ...elements }, TransferSyntax.ExplicitVRLittleEndian);
    // Explicit → Implicit VR rewrites the data set encoding only; the pixel bytes are the same.
    if (target !== TransferSyntax.ExplicitVRLittleEndian) t.transcode(target);
    return Buffer.from(t.getDicomPart10());
  } catch (err) {
    throw new ImageDecodeError(`cannot write ${target}: ${(err as Error).message}`);
  }
}

/** What {@link transcodeFrame} reads: a Part-10 file, or its header plus one frame's stored bytes. */
export interface FrameSource {
  /** The whole Part-10 file, or its prefix up to (not including) the Pixel Data element. */
  bytes: Uint8Array;
  /** With a header prefix: the one frame's stored pixel bytes (fragments concatenated, PS3.5 §A.4). */
  pixel?: Uint8Array;
  /** 0-based frame inside `bytes` (0 when `pixel` is given). */
  frame: number;
}

/** Byte length of one native frame (PS3.5 §8.1.1; BitsAllocated 8 or 16 here). */
function nativeFrameLength(elements: Record<string, unknown>): number {
  const n = (k: string, d: number) => Number(elements[k] ?? d);
  return n('Rows', 0) * n('Columns', 0) * n('SamplesPerPixel', 1) * Math.ceil(n('BitsAllocated', 16) / 8);
}

/**
 * One frame in `target` as WADO-RS frames send it (PS3.18 §8.7.3.3): native little-endian pixel
 * bytes for `.1.2.1`/`.1.2`, or the frame's compressed bitstream for a lossless compressed target.
 * Colour JPEG frames decode to RGB (the decoder converts YBR_FULL_422, PS3.5 §8.2.1); the
 * returned `photometricInterpretation` says what the bytes are.
 */
export async function transcodeFrame(src: FrameSource, target: string): Promise<{ data: Buffer; photometricInterpretation: string }> {
  await initCodecs();
  const ds = parsePart10(src.bytes);
  let frame = src.frame;
  if (src.pixel) {
    ds.elements.PixelData = [toArrayBuffer(src.pixel)];
    ds.elements.NumberOfFrames = 1;
    frame = 0;
  }
  const frames = frameCount(ds.elements);
  if (frame < 0 || frame >= frames) throw new ImageDecodeError(`frame ${frame + 1} does not exist (file has ${frames})`);
  if (!canTranscodeOnTheFly(ds.transferSyntaxUid, target) && !(NATIVE_LE.has(ds.transferSyntaxUid) && NATIVE_LE.has(target))) {
    throw new ImageDecodeError(`cannot transcode ${ds.transferSyntaxUid} to ${target}`);
  }
  const decoded = await decodeToNative(ds);
  const size = nativeFrameLength(decoded.elements);
  if (!size || decoded.pixels.length < size * (frame + 1)) throw new ImageDecodeError('decoded pixel data is shorter than its geometry says');
  // The codecs pad odd-length output to even length (PS3.5 §8.1.1 pads the whole value, not a frame).
  const native = decoded.pixels.subarray(size * frame, size * (frame + 1));
  const photometricInterpretation = String(decoded.elements.PhotometricInterpretation ?? 'MONOCHROME2');
  if (NATIVE_LE.has(target)) return { data: Buffer.from(native), photometricInterpretation };
  const single = { ...decoded.elements, NumberOfFrames: 1, PixelData: [toArrayBuffer(native)] };
  const file = new codecs.Transcoder(single, TransferSyntax.ExplicitVRLittleEndian);
  // Compressed frame targets: encode, then prove the frame lossless before sending it.
  const { bytes } = await transcodeVerified(Buffer.from(file.getDicomPart10()), target);
  const encoded = parsePart10(bytes).elements;
  const pd = encoded.PixelData;
  const parts = (Array.isArray(pd) ? pd : [pd]).filter(Boolean).map((b) => Buffer.from(b as ArrayBuffer));
  // JPEG 2000 encoders may switch colour frames to YBR_RCT (reversible colour transform).
  return { data: Buffer.concat(parts), photometricInterpretation: String(encoded.PhotometricInterpretation ?? photometricInterpretation) };
}
