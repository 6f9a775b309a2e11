import { TransferSyntax } from '@vetpacs/dicom';
import type { ObjectStore } from '@vetpacs/storage';
import { toArrayBuffer } from './codecs';
import { frameCount, type ImageDataset, ImageDecodeError, parsePart10 } from './dataset';

/** What the loader needs of an instance row (see the Instance model in prisma/schema.prisma). */
export interface StoredImage {
  objectKey: string;
  transferSyntaxUid: string;
  byteSize: bigint | number;
  numberOfFrames: number;
  pixelDataOffset: bigint | number | null;
  /** FrameLocation[] from ingest: `{ ranges: {offset, length}[], length }` per frame. */
  frameOffsets: unknown;
}

/** One frame ready to render: a data set whose only (or selected) frame is `frame`. */
export interface LoadedFrame extends ImageDataset {
  /** Index of the requested frame inside `elements` (0 when only that frame was loaded). */
  frame: number;
  /** Frames in the stored instance. */
  numberOfFrames: number;
}

interface FrameLocation {
  ranges: { offset: number; length: number }[];
  length: number;
}

/** Whole files up to this size are read in one go; bigger multi-frame files are read per frame. */
const WHOLE_FILE_LIMIT = 48 * 1024 * 1024;

/**
 * Loads frame `frame` (0-based) of a stored instance. Single-frame and small files are read whole
 * (a 10 MB radiograph is fine in memory); a large multi-frame file (ultrasound cine, enhanced CT)
 * is read as its header plus the one frame's byte ranges recorded at ingest, so a 1 GB cine costs
 * one frame's memory, not the file's.
 */
export async function loadFrame(store: ObjectStore, img: StoredImage, frame: number, opts: { wholeFileLimit?: number } = {}): Promise<LoadedFrame> {
  const numberOfFrames = Math.max(1, img.numberOfFrames);
  const src = await readFrameSource(store, img, frame, opts);
  const ds = parsePart10(src.bytes);
  if (src.pixel) {
    // The pixel data element was cut off: put back only the requested frame (PS3.5 §8.2: native
    // frames are contiguous; §A.4: an encapsulated frame is its fragments concatenated).
    ds.elements.PixelData = [toArrayBuffer(src.pixel)];
    ds.elements.NumberOfFrames = 1;
    return { ...ds, frame: 0, numberOfFrames };
  }
  const inFile = frameCount(ds.elements);
  if (frame >= inFile) throw new ImageDecodeError(`frame ${frame + 1} does not exist (file has ${inFile})`);
  return { ...ds, frame, numberOfFrames: inFile };
}

/** Bytes {@link readFrameSource} would read for a frame (to refuse oversized work before reading). */
export function frameSourceSize(img: StoredImage, frame: number, opts: { wholeFileLimit?: number } = {}): number {
  const partial = partialPlan(img, frame, opts.wholeFileLimit ?? WHOLE_FILE_LIMIT);
  return partial ? partial.headerEnd + partial.frame.length : Number(img.byteSize);
}

/**
 * The stored bytes one frame needs, unparsed: the whole file, or (large multi-frame files, see
 * {@link loadFrame}) the header up to Pixel Data plus that frame's bytes. What a worker thread
 * decodes without touching the object store.
 */
export async function readFrameSource(store: ObjectStore, img: StoredImage, frame: number, opts: { wholeFileLimit?: number } = {}): Promise<{ bytes: Buffer; pixel?: Buffer; frame: number }> {
  const numberOfFrames = Math.max(1, img.numberOfFrames);
  if (frame < 0 || frame >= numberOfFrames) throw new ImageDecodeError(`frame ${frame + 1} does not exist (instance has ${numberOfFrames})`);
  const partial = partialPlan(img, frame, opts.wholeFileLimit ?? WHOLE_FILE_LIMIT);
  if (partial) {
    const header = await store.getRange(img.objectKey, 0, partial.headerEnd);
    const parts = await Promise.all(partial.frame.ranges.map((r) => store.getRange(img.objectKey, r.offset, r.length)));
    return { bytes: header, pixel: Buffer.concat(parts), frame: 0 };
  }
  return { bytes: await readAll(store, img.objectKey), frame };
}

/** Range plan for a frame-only read, or undefined when the whole file must be read. */
function partialPlan(img: StoredImage, frame: number, wholeFileLimit: number): { headerEnd: number; frame: FrameLocation } | undefined {
  if (Number(img.byteSize) <= wholeFileLimit || img.numberOfFrames <= 1 || img.pixelDataOffset === null) return undefined;
  // Big endian and deflated files need whole-file handling (byte swapping, inflation).
  const ts = img.transferSyntaxUid;
  if (ts === TransferSyntax.ExplicitVRBigEndian || ts === TransferSyntax.DeflatedExplicitVRLittleEndian) return undefined;
  const frames = img.frameOffsets as FrameLocation[] | null;
  const loc = Array.isArray(frames) ? frames[frame] : undefined;
  if (!loc || !Array.isArray(loc.ranges) || loc.ranges.length === 0) return undefined;
  // The Pixel Data element header precedes its value: 8 bytes implicit VR, 12 bytes explicit OB/OW
  // (PS3.5 §7.1.1, §7.1.2). Everything before it is the data set we need.
  const headerLength = ts === TransferSyntax.ImplicitVRLittleEndian ? 8 : 12;
  return { headerEnd: Number(img.pixelDataOffset) - headerLength, frame: loc };
}

/** Reads an object into memory (callers bound the size). */
export async function readAll(store: ObjectStore, key: string): Promise<Buffer> {
  const { body } = await store.get(key);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
