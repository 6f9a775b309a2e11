import { DicomValidationError } from '../errors';
import { formatTag, ITEM, readTag, SEQUENCE_DELIMITATION, u32 } from './bytes';

/** One item of encapsulated Pixel Data (PS3.5 §A.4): where its value bytes sit in the file. */
export interface FragmentItem {
  /** Absolute offset of the item tag (FFFE,E000). */
  itemOffset: number;
  /** Absolute offset of the first value byte. */
  offset: number;
  length: number;
  /** First bytes of the value (up to 12), to recognise codestream starts (JPEG SOI, J2K SOC). */
  head: Uint8Array;
}

/** Most bytes of a Basic Offset Table we keep (4 bytes per frame → 1 M frames). */
const MAX_BOT_BYTES = 4 * 1024 * 1024;
const HEAD_BYTES = 12;

/**
 * Streams through encapsulated Pixel Data item by item, keeping only 8-byte item headers, the
 * Basic Offset Table (the first item) and the first bytes of each fragment. Fragment values are
 * skipped, never retained: memory stays constant whatever the size of the pixel data.
 */
export class FragmentTracker {
  /** Absolute file offset of the next byte this tracker expects. */
  pos: number;
  readonly items: FragmentItem[] = [];
  /** Absolute offset just past the sequence delimitation item, once seen. */
  end: number | undefined;
  /** Raw Basic Offset Table value bytes (empty table = zero length). */
  bot: Buffer = Buffer.alloc(0);

  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private skip = 0;
  private current: FragmentItem | undefined;
  private headFill = 0;

  constructor(start: number) {
    this.pos = start;
  }

  get done(): boolean {
    return this.end !== undefined;
  }

  /** Bytes held by this tracker (BOT, fragment heads and bookkeeping), for memory accounting. */
  get retainedBytes(): number {
    return this.bot.length + this.items.length * (HEAD_BYTES + 48);
  }

  /**
   * Consumes `chunk[start..]`, whose first byte is at absolute offset `this.pos`. Returns the index
   * in `chunk` where consumption stopped (past the sequence delimiter, or `chunk.length`).
   */
  feed(chunk: Uint8Array, start = 0): number {
    let i = start;
    while (i < chunk.length && !this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.capture(chunk, i, n);
        this.skip -= n;
        i += n;
        this.pos += n;
        continue;
      }
      const n = Math.min(8 - this.headerFill, chunk.length - i);
      this.header.set(chunk.subarray(i, i + n), this.headerFill);
      this.headerFill += n;
      i += n;
      this.pos += n;
      if (this.headerFill === 8) this.onHeader();
    }
    return i;
  }

  private onHeader(): void {
    this.headerFill = 0;
    const itemOffset = this.pos - 8;
    // Fragments only exist in little endian syntaxes (PS3.5 §A.4).
    const t = readTag(this.header, 0, true);
    const length = u32(this.header, 4, true);
    if (t === SEQUENCE_DELIMITATION) {
      this.end = this.pos;
      return;
    }
    if (t !== ITEM) {
      throw new DicomValidationError('MALFORMED', `Pixel Data (7FE0,0010): expected a fragment item at offset ${itemOffset}, found ${formatTag(t)}`);
    }
    if (length === 0xffffffff) {
      throw new DicomValidationError('MALFORMED', `Pixel Data (7FE0,0010): fragment at offset ${itemOffset} has undefined length`);
    }
    if (this.items.length === 0 && length > MAX_BOT_BYTES) {
      throw new DicomValidationError('MALFORMED', `Pixel Data (7FE0,0010): Basic Offset Table of ${length} bytes is implausibly large`);
    }
    const item: FragmentItem = { itemOffset, offset: this.pos, length, head: new Uint8Array(Math.min(HEAD_BYTES, length)) };
    if (this.items.length === 0) this.bot = Buffer.alloc(length);
    this.items.push(item);
    this.current = item;
    this.headFill = 0;
    this.skip = length;
  }

  private capture(chunk: Uint8Array, at: number, n: number): void {
    const item = this.current!;
    const within = item.length - this.skip;
    if (this.items.length === 1) {
      this.bot.set(chunk.subarray(at, at + n), within);
      return;
    }
    if (this.headFill < item.head.length) {
      const take = Math.min(item.head.length - this.headFill, n);
      item.head.set(chunk.subarray(at, at + take), this.headFill);
      this.headFill += take;
    }
  }
}
