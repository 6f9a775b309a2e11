/** Length value meaning "undefined length" (PS3.5 §7.1.1). */
export const UNDEFINED_LENGTH = 0xffffffff;

/** Tags of the item and delimitation items (PS3.5 §7.5). */
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;

/**
 * VRs whose explicit encoding uses 2 reserved bytes and a 32-bit length (PS3.5 §7.1.2, Table 7.1-1).
 */
export const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

/** All VRs of PS3.5 §6.2, used to recognise an explicit VR encoding. */
export const ALL_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV',
  'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

/** Reads a 16-bit unsigned integer. */
export function u16(b: Uint8Array, at: number, le: boolean): number {
  return le ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
}

/** Reads a 32-bit unsigned integer. */
export function u32(b: Uint8Array, at: number, le: boolean): number {
  return le
    ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
    : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Reads a tag as `group << 16 | element` (each half in the stream's byte order). */
export function readTag(b: Uint8Array, at: number, le: boolean): number {
  return ((u16(b, at, le) << 16) | u16(b, at + 2, le)) >>> 0;
}

/** Formats a numeric tag as `(GGGG,EEEE)` for error messages. */
export function formatTag(t: number): string {
  const hex = t.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** A growable byte buffer that keeps the file prefix being parsed (offset 0 = file offset 0). */
export class GrowBuffer {
  data: Buffer = Buffer.alloc(0);
  length = 0;

  append(chunk: Uint8Array): void {
    const need = this.length + chunk.length;
    if (need > this.data.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.data.length * 2, 4096));
      this.data.copy(next, 0, 0, this.length);
      this.data = next;
    }
    this.data.set(chunk, this.length);
    this.length = need;
  }

  /** Keeps exactly the first `n` bytes in a right-sized copy, releasing the larger buffer. */
  truncate(n: number): void {
    this.data = Buffer.from(this.data.subarray(0, Math.min(n, this.length)));
    this.length = this.data.length;
  }

  view(): Buffer {
    return this.data.subarray(0, this.length);
  }
}
