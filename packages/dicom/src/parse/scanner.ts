import { vrOf } from '../dictionary/tags';
import { DicomValidationError } from '../errors';
import {
  formatTag,
  ITEM,
  ITEM_DELIMITATION,
  LONG_VRS,
  PIXEL_DATA,
  readTag,
  SEQUENCE_DELIMITATION,
  u16,
  u32,
  UNDEFINED_LENGTH,
} from './bytes';

interface Context {
  kind: 'seq' | 'item';
  /** Absolute end offset for defined lengths; undefined when closed by a delimiter. */
  end?: number;
  explicit: boolean;
  le: boolean;
  /** Items hold raw bytes (encapsulated fragments), not data sets (PS3.5 §A.4). */
  raw?: boolean;
}

/** Where the top-level Pixel Data element (7FE0,0010) starts. */
export interface PixelDataHeader {
  elementOffset: number;
  valueOffset: number;
  vr: string;
  /** `null` = undefined length, i.e. encapsulated. */
  length: number | null;
}

export type ScanStep = { kind: 'need-more' } | { kind: 'pixel-data'; header: PixelDataHeader };

/**
 * Incremental walker over a data set's element boundaries (PS3.5 §7). It never copies values: it
 * only advances `pos` past each element, descending into undefined-length sequences (which can only
 * be closed by delimiters, PS3.5 §7.5.2) and skipping defined-length ones whole. It stops at the
 * top-level Pixel Data element so the caller can stop buffering there.
 */
export class DatasetScanner {
  pos: number;
  private readonly stack: Context[] = [];

  constructor(
    start: number,
    private readonly explicit: boolean,
    private readonly le: boolean,
  ) {
    this.pos = start;
  }

  /** True when the walk stands between two top-level elements (a clean place for a file to end). */
  get atTopLevel(): boolean {
    return this.stack.length === 0;
  }

  /** Advances over `bytes[0, available)` (absolute offsets) as far as complete headers allow. */
  step(bytes: Uint8Array, available: number): ScanStep {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top?.end !== undefined && this.pos >= top.end) {
        if (this.pos > top.end) throw malformed(`an element overruns its enclosing ${top.kind} at offset ${top.end}`);
        this.stack.pop();
        continue;
      }
      if (available - this.pos < 8) return { kind: 'need-more' };
      const le = top ? top.le : this.le;
      const t = readTag(bytes, this.pos, le);
      if (t >>> 16 === 0xfffe) {
        this.delimiterOrItem(t, u32(bytes, this.pos + 4, le), top);
        continue;
      }
      if (top?.kind === 'seq') throw malformed(`element ${formatTag(t)} found directly inside a sequence at offset ${this.pos}`);
      const explicit = top ? top.explicit : this.explicit;
      let vr: string;
      let length: number;
      let headerLength: number;
      if (explicit) {
        vr = String.fromCharCode(bytes[this.pos + 4]!, bytes[this.pos + 5]!);
        if (!/^[A-Z]{2}$/.test(vr)) throw malformed(`element ${formatTag(t)} at offset ${this.pos} has no valid VR`);
        if (LONG_VRS.has(vr)) {
          if (available - this.pos < 12) return { kind: 'need-more' };
          length = u32(bytes, this.pos + 8, le);
          headerLength = 12;
        } else {
          length = u16(bytes, this.pos + 6, le);
          headerLength = 8;
        }
      } else {
        vr = vrOf(t.toString(16).padStart(8, '0'));
        length = u32(bytes, this.pos + 4, le);
        headerLength = 8;
      }
      const elementOffset = this.pos;
      if (this.stack.length === 0 && t === PIXEL_DATA) {
        this.pos += headerLength;
        return {
          kind: 'pixel-data',
          header: { elementOffset, valueOffset: this.pos, vr, length: length === UNDEFINED_LENGTH ? null : length },
        };
      }
      this.pos += headerLength;
      if (length === UNDEFINED_LENGTH) {
        // SQ, or UN of undefined length whose content is Implicit VR Little Endian (PS3.5 §6.2.2),
        // or an encapsulated (nested) pixel data element made of raw fragments (PS3.5 §A.4).
        const raw = vr === 'OB' || vr === 'OW';
        const un = explicit && vr === 'UN';
        this.stack.push({ kind: 'seq', explicit: un ? false : explicit, le: un ? true : le, raw });
      } else {
        this.pos += length;
      }
    }
  }

  private delimiterOrItem(t: number, length: number, top: Context | undefined): void {
    const at = this.pos;
    this.pos += 8;
    if (t === ITEM) {
      if (top?.kind !== 'seq') throw malformed(`item (FFFE,E000) outside a sequence at offset ${at}`);
      if (top.raw) {
        if (length === UNDEFINED_LENGTH) throw malformed(`fragment of undefined length at offset ${at}`);
        this.pos += length;
      } else {
        this.stack.push({ kind: 'item', explicit: top.explicit, le: top.le, end: length === UNDEFINED_LENGTH ? undefined : this.pos + length });
      }
    } else if (t === ITEM_DELIMITATION) {
      if (top?.kind !== 'item' || top.end !== undefined) throw malformed(`unexpected item delimiter at offset ${at}`);
      this.stack.pop();
    } else if (t === SEQUENCE_DELIMITATION) {
      if (top?.kind !== 'seq' || top.end !== undefined) throw malformed(`unexpected sequence delimiter at offset ${at}`);
      this.stack.pop();
    } else {
      throw malformed(`unexpected tag ${formatTag(t)} at offset ${at}`);
    }
  }
}

function malformed(detail: string): DicomValidationError {
  return new DicomValidationError('MALFORMED', `Malformed data set: ${detail}`);
}
