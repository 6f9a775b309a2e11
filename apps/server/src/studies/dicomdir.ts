/**
 * DICOMDIR writer (PS3.10 §8, PS3.3 Annex F "Basic Directory IOD"): the index a CD/DVD viewer or
 * a scoring body's portal reads to find the files of a File-set. Built from the database (no need
 * to re-read the originals), written in Explicit VR Little Endian with defined lengths so every
 * record offset can be computed up front.
 */
import { randomBytes } from 'node:crypto';

/** One image of the File-set with the keys its directory records need. */
export interface DicomdirImage {
  /** Path components of the Referenced File ID (PS3.10 §8.2: ≤ 8 characters of A–Z 0–9 _). */
  fileId: string[];
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  instanceNumber: number | null;
}

export interface DicomdirSeries {
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  images: DicomdirImage[];
}

export interface DicomdirStudy {
  studyInstanceUid: string;
  studyDate: string | null;
  studyTime: string | null;
  studyDescription: string | null;
  studyId: string | null;
  accessionNumber: string | null;
  series: DicomdirSeries[];
}

export interface DicomdirPatient {
  patientId: string;
  patientName: string | null;
  studies: DicomdirStudy[];
}

const FILE_ID_COMPONENT = /^[A-Z0-9_]{1,8}$/;
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
// Our implementation class UID (UUID-derived, PS3.5 §B.2) and version name.
const IMPLEMENTATION_CLASS_UID = '2.25.284367125148291873410924536218735104521';
const IMPLEMENTATION_VERSION = 'VETPACS_1';

type Element = { tag: number; vr: string; value: Buffer };

/** A UID under the 2.25 root from 128 random bits (PS3.5 §B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString()}`;
}

/** Checks a Referenced File ID component (PS3.10 §8.2, PS3.12 ISO 9660 level 1 file names). */
export function isValidFileIdComponent(s: string): boolean {
  return FILE_ID_COMPONENT.test(s);
}

function pad(value: string, vr: string): Buffer {
  const b = Buffer.from(value, 'utf8');
  if (b.length % 2 === 0) return b;
  // UI pads with NUL, text VRs with a space (PS3.5 §6.2).
  return Buffer.concat([b, Buffer.from(vr === 'UI' ? [0] : [0x20])]);
}

const str = (tag: number, vr: string, value: string | null | undefined): Element => ({ tag, vr, value: pad(value ?? '', vr) });
const ul = (tag: number, n: number): Element => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return { tag, vr: 'UL', value: b };
};
const us = (tag: number, n: number): Element => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return { tag, vr: 'US', value: b };
};

// VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 §7.1.2).
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

function encode(elements: Element[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) {
    const long = LONG_VRS.has(e.vr);
    const h = Buffer.alloc(long ? 12 : 8);
    h.writeUInt16LE(e.tag >>> 16, 0);
    h.writeUInt16LE(e.tag & 0xffff, 2);
    h.write(e.vr, 4, 'latin1');
    if (long) h.writeUInt32LE(e.value.length, 8);
    else {
      if (e.value.length > 0xffff) throw new Error(`value of ${e.tag.toString(16)} too long for ${e.vr}`);
      h.writeUInt16LE(e.value.length, 6);
    }
    parts.push(h, e.value);
  }
  return Buffer.concat(parts);
}

interface Rec {
  keys: Element[];
  children: Rec[];
  /** Filled in by layout. */
  offset?: number;
  size?: number;
}

function item(body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(0xfffe, 0);
  h.writeUInt16LE(0xe000, 2);
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
}

function recordBody(rec: Rec, next: number, lower: number, type: string): Buffer {
  return encode([ul(0x00041400, next), us(0x00041410, 0xffff), ul(0x00041420, lower), str(0x00041430, 'CS', type), ...rec.keys]);
}

/**
 * Builds a DICOMDIR for one File-set (PATIENT → STUDY → SERIES → IMAGE records, PS3.3 F.5).
 * Throws when a Referenced File ID component is not media-safe.
 */
export function buildDicomdir(patients: DicomdirPatient[], fileSetId = 'VETPACS'): Buffer {
  const charset = str(0x00080005, 'CS', 'ISO_IR 192'); // UTF-8 (PS3.3 C.12.1.1.2): names may be non-ASCII
  const roots: Rec[] = patients.map((p) => ({
    keys: [charset, str(0x00100010, 'PN', p.patientName), str(0x00100020, 'LO', p.patientId)],
    children: p.studies.map((s) => ({
      keys: [
        charset,
        str(0x00080020, 'DA', s.studyDate),
        str(0x00080030, 'TM', s.studyTime),
        str(0x00080050, 'SH', s.accessionNumber),
        str(0x00081030, 'LO', s.studyDescription),
        str(0x0020000d, 'UI', s.studyInstanceUid),
        str(0x00200010, 'SH', s.studyId),
      ],
      children: s.series.map((se) => ({
        keys: [str(0x00080060, 'CS', se.modality ?? 'OT'), str(0x0020000e, 'UI', se.seriesInstanceUid), str(0x00200011, 'IS', se.seriesNumber?.toString())],
        children: se.images.map((im) => {
          for (const c of im.fileId) if (!isValidFileIdComponent(c)) throw new Error(`invalid file ID component "${c}"`);
          if (im.fileId.length < 1 || im.fileId.length > 8) throw new Error('a file ID has 1 to 8 components');
          return {
            keys: [
              str(0x00041500, 'CS', im.fileId.join('\\')),
              str(0x00041510, 'UI', im.sopClassUid),
              str(0x00041511, 'UI', im.sopInstanceUid),
              str(0x00041512, 'UI', im.transferSyntaxUid),
              str(0x00200013, 'IS', im.instanceNumber?.toString()),
            ],
            children: [],
          };
        }),
      })),
    })),
  }));

  // Pass 1: sizes (independent of offsets: all offsets are fixed-size UL values).
  const ordered: { rec: Rec; type: string; siblings: Rec[]; index: number }[] = [];
  const types = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];
  const walk = (list: Rec[], depth: number) => {
    list.forEach((rec, index) => {
      const type = types[depth]!;
      rec.size = 8 + recordBody(rec, 0, 0, type).length;
      ordered.push({ rec, type, siblings: list, index });
      walk(rec.children, depth + 1);
    });
  };
  walk(roots, 0);

  const meta = fileMeta();
  const headerBeforeSeq = encode([
    str(0x00041130, 'CS', fileSetId),
    ul(0x00041200, 0),
    ul(0x00041202, 0),
    us(0x00041212, 0),
  ]);
  // Offsets count from the first byte of the file (the preamble), PS3.3 F.3.2.2.
  let offset = 128 + 4 + meta.length + headerBeforeSeq.length + 12;
  for (const o of ordered) {
    o.rec.offset = offset;
    offset += o.rec.size!;
  }

  // Pass 2: encode with the now-known offsets.
  const items = ordered.map(({ rec, type, siblings, index }) => {
    const next = siblings[index + 1]?.offset ?? 0;
    const lower = rec.children[0]?.offset ?? 0;
    const body = recordBody(rec, next, lower, type);
    if (body.length + 8 !== rec.size) throw new Error('DICOMDIR layout mismatch');
    return item(body);
  });
  const seqValue = Buffer.concat(items);
  const dataset = encode([
    str(0x00041130, 'CS', fileSetId),
    ul(0x00041200, roots[0]?.offset ?? 0),
    ul(0x00041202, roots.at(-1)?.offset ?? 0),
    us(0x00041212, 0),
    { tag: 0x00041220, vr: 'SQ', value: seqValue },
  ]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, dataset]);
}

function fileMeta(): Buffer {
  const body = encode([
    { tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) },
    str(0x00020002, 'UI', MEDIA_STORAGE_DIRECTORY),
    str(0x00020003, 'UI', newUid()),
    str(0x00020010, 'UI', EXPLICIT_VR_LE),
    str(0x00020012, 'UI', IMPLEMENTATION_CLASS_UID),
    str(0x00020013, 'SH', IMPLEMENTATION_VERSION),
  ]);
  return Buffer.concat([encode([ul(0x00020000, body.length)]), body]);
}
