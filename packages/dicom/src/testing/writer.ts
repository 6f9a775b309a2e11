import { type Keyword, tagNumber } from '../dictionary/tags';
import { LONG_VRS } from '../parse/bytes';

/** A value to write: strings (multi-valued joined by backslash), numbers, raw bytes or items. */
export type WriteValue = string | number | number[] | Uint8Array | WriteElement[][] | undefined;

/** An element for the test writer. `tag` is numeric (group << 16 | element). */
export interface WriteElement {
  tag: number;
  vr: string;
  value?: WriteValue;
  /** Encapsulated pixel data: the Basic Offset Table entries and fragments (PS3.5 §A.4). */
  encapsulated?: { offsets: number[]; fragments: Uint8Array[] };
}

/** Shorthand for an element from a keyword. */
export function el(keyword: Keyword, vr: string, value?: WriteValue): WriteElement {
  return { tag: tagNumber(keyword), vr, value };
}

/** Byte order and VR encoding for writing. */
export interface Encoding {
  explicit: boolean;
  littleEndian: boolean;
}

const ITEM_HEADER = (le: boolean, length: number): Buffer => {
  const b = Buffer.alloc(8);
  if (le) {
    b.writeUInt16LE(0xfffe, 0);
    b.writeUInt16LE(0xe000, 2);
    b.writeUInt32LE(length, 4);
  } else {
    b.writeUInt16BE(0xfffe, 0);
    b.writeUInt16BE(0xe000, 2);
    b.writeUInt32BE(length, 4);
  }
  return b;
};

function delimiter(element: number, le: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (le) {
    b.writeUInt16LE(0xfffe, 0);
    b.writeUInt16LE(element, 2);
  } else {
    b.writeUInt16BE(0xfffe, 0);
    b.writeUInt16BE(element, 2);
  }
  return b;
}

function numbers(vr: string, values: number[], le: boolean): Buffer {
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 }[vr] ?? 2;
  const b = Buffer.alloc(size * values.length);
  values.forEach((v, i) => {
    const at = i * size;
    if (vr === 'US') le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);
    else if (vr === 'SS') le ? b.writeInt16LE(v, at) : b.writeInt16BE(v, at);
    else if (vr === 'UL') le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at);
    else if (vr === 'SL') le ? b.writeInt32LE(v, at) : b.writeInt32BE(v, at);
    else if (vr === 'FL') le ? b.writeFloatLE(v, at) : b.writeFloatBE(v, at);
    else if (vr === 'FD') le ? b.writeDoubleLE(v, at) : b.writeDoubleBE(v, at);
    else if (vr === 'AT') {
      le ? b.writeUInt16LE(v >>> 16, at) : b.writeUInt16BE(v >>> 16, at);
      le ? b.writeUInt16LE(v & 0xffff, at + 2) : b.writeUInt16BE(v & 0xffff, at + 2);
    }
  });
  return b;
}

/** Encodes a value padded to even length (PS3.5 §7.1.1): UI with NUL, OB/UN with 0, text with space. */
export function encodeValue(vr: string, value: WriteValue, le: boolean, utf8 = false): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  let b: Buffer;
  if (value instanceof Uint8Array) b = Buffer.from(value);
  else if (typeof value === 'number' || (Array.isArray(value) && typeof value[0] === 'number')) {
    b = numbers(vr, typeof value === 'number' ? [value] : (value as number[]), le);
  } else if (typeof value === 'string') b = Buffer.from(value, utf8 ? 'utf8' : 'latin1');
  else throw new Error(`cannot encode ${vr} value`);
  if (b.length % 2 === 0) return b;
  const pad = vr === 'UI' || vr === 'OB' || vr === 'UN' ? 0 : 0x20;
  return Buffer.concat([b, Buffer.from([pad])]);
}

function header(tag: number, vr: string, length: number, enc: Encoding): Buffer {
  const le = enc.littleEndian;
  const w16 = (b: Buffer, v: number, at: number) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const w32 = (b: Buffer, v: number, at: number) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  if (!enc.explicit) {
    const b = Buffer.alloc(8);
    w16(b, tag >>> 16, 0);
    w16(b, tag & 0xffff, 2);
    w32(b, length, 4);
    return b;
  }
  const long = LONG_VRS.has(vr);
  const b = Buffer.alloc(long ? 12 : 8);
  w16(b, tag >>> 16, 0);
  w16(b, tag & 0xffff, 2);
  b.write(vr, 4, 'latin1');
  if (long) w32(b, length, 8);
  else w16(b, length, 6);
  return b;
}

/**
 * Writes data set elements sorted by tag (PS3.5 §7.1). Sequences and their items use undefined
 * length with delimiters (PS3.5 §7.5.2); encapsulated pixel data is an undefined-length OB with a
 * Basic Offset Table item, fragment items and a sequence delimiter (PS3.5 §A.4).
 */
export function writeDataset(elements: WriteElement[], enc: Encoding, utf8 = false): Buffer {
  const parts: Buffer[] = [];
  const le = enc.littleEndian;
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) {
    if (e.encapsulated) {
      parts.push(header(e.tag, 'OB', 0xffffffff, enc));
      const bot = Buffer.alloc(4 * e.encapsulated.offsets.length);
      for (const [i, o] of e.encapsulated.offsets.entries()) bot.writeUInt32LE(o, i * 4);
      parts.push(ITEM_HEADER(true, bot.length), bot);
      for (const f of e.encapsulated.fragments) {
        const padded = f.length % 2 ? Buffer.concat([f, Buffer.from([0])]) : Buffer.from(f);
        parts.push(ITEM_HEADER(true, padded.length), padded);
      }
      parts.push(delimiter(0xe0dd, true));
    } else if (e.vr === 'SQ') {
      parts.push(header(e.tag, 'SQ', 0xffffffff, enc));
      for (const item of (e.value as WriteElement[][] | undefined) ?? []) {
        parts.push(ITEM_HEADER(le, 0xffffffff), writeDataset(item, enc, utf8), delimiter(0xe00d, le));
      }
      parts.push(delimiter(0xe0dd, le));
    } else {
      const v = encodeValue(e.vr, e.value, le, utf8);
      parts.push(header(e.tag, e.vr, v.length, enc), v);
    }
  }
  return Buffer.concat(parts);
}

/** File Meta Information group (PS3.10 §7.1), Explicit VR Little Endian with its group length. */
export function writeFileMeta(meta: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string }): Buffer {
  const enc = { explicit: true, littleEndian: true };
  const body = writeDataset(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: meta.sopClassUid },
      { tag: 0x00020003, vr: 'UI', value: meta.sopInstanceUid },
      { tag: 0x00020010, vr: 'UI', value: meta.transferSyntaxUid },
      { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.10.1000.1' },
      { tag: 0x00020013, vr: 'SH', value: 'VETPACS_TEST' },
    ],
    enc,
  );
  return Buffer.concat([writeDataset([{ tag: 0x00020000, vr: 'UL', value: body.length }], enc), body]);
}
