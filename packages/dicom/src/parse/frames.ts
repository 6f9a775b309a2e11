import type { TransferSyntaxInfo } from '../transfer-syntax';
import type { FragmentItem } from './fragments';

/** A byte range of the stored file. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * Where one frame's bytes are. A native frame is one range; an encapsulated frame is one range per
 * fragment (the item headers between fragments are not part of the frame), so WADO-RS /frames/N is
 * served by range-reading `ranges` in order and concatenating them. `length` is their sum.
 */
export interface FrameLocation {
  ranges: ByteRange[];
  length: number;
}

/** Image geometry needed to size native frames. */
export interface NativeGeometry {
  rows?: number;
  columns?: number;
  samplesPerPixel?: number;
  bitsAllocated?: number;
  photometricInterpretation?: string;
  numberOfFrames: number;
}

/**
 * Frame ranges of native pixel data: frames are contiguous and equally sized (PS3.5 §8.1.1,
 * §8.2). YBR_*_422 stores two samples per pixel on average (PS3.3 §C.7.6.3.1.2). Returns `[]` when
 * the geometry is incomplete or frames are not byte aligned (1-bit frames of odd size); the caller
 * reports a mismatch when the declared length cannot hold all frames.
 */
export function nativeFrames(valueOffset: number, g: NativeGeometry): FrameLocation[] {
  const { rows, columns, bitsAllocated } = g;
  if (!rows || !columns || !bitsAllocated) return [];
  const samples = g.photometricInterpretation?.startsWith('YBR_') && g.photometricInterpretation.endsWith('_422') ? 2 : (g.samplesPerPixel ?? 1);
  const bits = rows * columns * samples * bitsAllocated;
  if (bits % 8 !== 0) return [];
  const size = bits / 8;
  return Array.from({ length: g.numberOfFrames }, (_, i) => ({ ranges: [{ offset: valueOffset + i * size, length: size }], length: size }));
}

/** Bytes a native pixel data value must hold for all frames, or undefined if unknown. */
export function nativeExpectedLength(g: NativeGeometry): number | undefined {
  const { rows, columns, bitsAllocated } = g;
  if (!rows || !columns || !bitsAllocated) return undefined;
  const samples = g.photometricInterpretation?.startsWith('YBR_') && g.photometricInterpretation.endsWith('_422') ? 2 : (g.samplesPerPixel ?? 1);
  return Math.ceil((rows * columns * samples * bitsAllocated * g.numberOfFrames) / 8);
}

function frameOf(fragments: FragmentItem[]): FrameLocation {
  const ranges = fragments.map((f) => ({ offset: f.offset, length: f.length }));
  return { ranges, length: ranges.reduce((s, r) => s + r.length, 0) };
}

/** True when a fragment begins a new codestream: JPEG / JPEG-LS SOI, J2K SOC, or a JP2 signature box. */
export function startsCodestream(head: Uint8Array, codec: TransferSyntaxInfo['codec']): boolean {
  if (codec === 'jpeg' || codec === 'jpeg-ls') return head[0] === 0xff && head[1] === 0xd8;
  if (codec === 'jpeg2000' || codec === 'htj2k') {
    const soc = head[0] === 0xff && head[1] === 0x4f;
    const jp2 = head[3] === 0x0c && head[4] === 0x6a && head[5] === 0x50;
    return soc || jp2;
  }
  return true;
}

export interface EncapsulatedInput {
  /** All items: the Basic Offset Table first, then the fragments. */
  items: FragmentItem[];
  bot: Uint8Array;
  numberOfFrames: number;
  ts: TransferSyntaxInfo;
  /** Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002) when present (PS3.5 §A.4). */
  extendedOffsets?: bigint[];
  extendedLengths?: bigint[];
}

/**
 * Assigns fragments to frames (PS3.5 §A.4), in order of trust: the Extended Offset Table, the
 * Basic Offset Table, single frame = all fragments, one fragment per frame, then codestream start
 * markers. Video syntaxes carry one stream for all frames (PS3.5 §8.2.5): one entry with every
 * fragment. `warnings` records any fallback.
 */
export function encapsulatedFrames(input: EncapsulatedInput, warnings: string[]): FrameLocation[] {
  const { items, numberOfFrames, ts } = input;
  const fragments = items.slice(1);
  if (fragments.length === 0) return [];
  const firstItem = fragments[0]!.itemOffset;
  const byItemOffset = new Map(fragments.map((f, i) => [f.itemOffset - firstItem, i]));
  if (ts.video || numberOfFrames <= 1) return [frameOf(fragments)];

  const { extendedOffsets: eot, extendedLengths: eotl } = input;
  if (eot && eotl && eot.length === numberOfFrames && eotl.length === numberOfFrames) {
    const frames = eot.map((o, i) => {
      const f = fragments[byItemOffset.get(Number(o)) ?? -1];
      return f ? { ranges: [{ offset: f.offset, length: Number(eotl[i]) }], length: Number(eotl[i]) } : undefined;
    });
    if (frames.every((f) => f !== undefined)) return frames as FrameLocation[];
    warnings.push('Extended Offset Table (7FE0,0001) does not match the fragments; ignored');
  }

  if (input.bot.length > 0) {
    const offsets: number[] = [];
    const view = Buffer.from(input.bot.buffer, input.bot.byteOffset, input.bot.byteLength);
    for (let i = 0; i + 4 <= view.length; i += 4) offsets.push(view.readUInt32LE(i));
    const starts = offsets.map((o) => byItemOffset.get(o));
    const valid = offsets.length === numberOfFrames && starts.every((s, i) => s !== undefined && (i === 0 || s > starts[i - 1]!)) && starts[0] === 0;
    if (valid) {
      return starts.map((s, i) => frameOf(fragments.slice(s!, i + 1 < starts.length ? starts[i + 1] : fragments.length)));
    }
    warnings.push('Basic Offset Table does not match the fragments; frames derived from fragments instead');
  }

  if (fragments.length === numberOfFrames) return fragments.map((f) => frameOf([f]));

  const groups: FragmentItem[][] = [];
  for (const f of fragments) {
    if (groups.length === 0 || startsCodestream(f.head, ts.codec)) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length !== numberOfFrames) {
    warnings.push(`NumberOfFrames (0028,0008) is ${numberOfFrames} but ${groups.length} codestreams were found in ${fragments.length} fragments`);
  }
  return groups.map(frameOf);
}
