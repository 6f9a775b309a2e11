import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { vrOf } from '../dictionary/tags';
import { decoderOf, valueBytes, valueText } from '../parse/attributes';
import type { TextDecode } from '../parse/charset';
import type { PixelDataLocation } from '../parse/types';
import { binaryNumbers, splitStringValues } from './values';

/** PN value in DICOM JSON (PS3.18 §F.2.2). */
export interface DicomJsonPersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** One attribute in DICOM JSON (PS3.18 §F.2.2). */
export interface DicomJsonElement {
  vr: string;
  Value?: (string | number | null | DicomJsonPersonName | DicomJsonDataset)[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

/** A data set in DICOM JSON: keys are 8 upper-case hex digits (PS3.18 §F.2.1.1). */
export type DicomJsonDataset = Record<string, DicomJsonElement>;

/** Options of {@link datasetToDicomJson}. */
export interface DicomJsonOptions {
  /**
   * URI for a binary value (PS3.18 §F.2.4). `path` lists the enclosing sequence tags and item
   * indexes (empty at top level). Return `undefined` to inline the value instead.
   */
  bulkDataUriFor?: (tagHex: string, path: (string | number)[]) => string | undefined;
  /** Binary values larger than this many bytes use BulkDataURI when a URI is given (default 1024). */
  inlineBinaryMax?: number;
}

/** What the converter needs: a ParsedInstance fits. */
export interface DicomJsonSource {
  dataset: DataSet;
  decode?: TextDecode;
  pixelData?: PixelDataLocation;
}

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMERIC_BINARY = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV']);
/** VRs whose values are read as bytes, not as text. */
const VALUE_BYTE_VRS = new Set([...BINARY_VRS, ...NUMERIC_BINARY, 'AT']);
// VRs affected by Specific Character Set (PS3.5 §6.1.2.3); others are the default repertoire.
const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'PN', 'UC', 'UT']);

/**
 * DICOM JSON model (PS3.18 §F.2) of one instance, as served by WADO-RS /metadata and consumed by
 * OHIF. File Meta (group 0002) and group lengths are left out; Pixel Data is given as BulkDataURI
 * when a URI function is given, and omitted otherwise (its bytes are not in memory).
 */
export function datasetToDicomJson(source: DicomJsonSource, options: DicomJsonOptions = {}): DicomJsonDataset {
  const decode = source.decode ?? decoderOf(source.dataset);
  const out = convert(source.dataset, decode, options, []);
  if (source.pixelData) {
    const uri = options.bulkDataUriFor?.('7FE00010', []);
    if (uri !== undefined) out['7FE00010'] = { vr: source.pixelData.vr === 'OB' || source.pixelData.encapsulated ? 'OB' : 'OW', BulkDataURI: uri };
  }
  return out;
}

function convert(ds: DataSet, inherited: TextDecode, options: DicomJsonOptions, path: (string | number)[]): DicomJsonDataset {
  const decode = path.length === 0 ? inherited : decoderOf(ds, inherited);
  const pixelRepresentation = ds.elements.x00280103 ? ds.uint16('x00280103') : undefined;
  const out: DicomJsonDataset = {};
  const tags = Object.keys(ds.elements).sort();
  for (const key of tags) {
    const hex = hexOf(key);
    // Delimitation items are parse artefacts, group lengths are retired (PS3.5 §7.2), and File Meta
    // is not part of the data set (PS3.18 §F.2).
    if (hex.startsWith('0002') || hex.startsWith('FFFE') || hex.endsWith('0000')) continue;
    const el = ds.elements[key]!;
    // Values are decoded to Unicode and JSON is UTF-8, so the character set becomes ISO_IR 192
    // (as dcmtk's dcm2json does).
    if (hex === '00080005' && el.length > 0) {
      out[hex] = { vr: 'CS', Value: ['ISO_IR 192'] };
      continue;
    }
    out[hex] = element(ds, el, hex, decode, pixelRepresentation, options, path);
  }
  return out;
}

/**
 * dicom-parser's element key (`x00100010`, lower case) as DICOM JSON's upper-case tag. Cached:
 * the same few hundred tags recur in every instance, and this ran for each of their elements.
 */
const HEX = new Map<string, string>();
function hexOf(key: string): string {
  let hex = HEX.get(key);
  if (hex === undefined) {
    hex = key.slice(1).toUpperCase();
    if (HEX.size < 20_000) HEX.set(key, hex);
  }
  return hex;
}

function element(
  ds: DataSet,
  el: Element,
  hex: string,
  decode: TextDecode,
  pixelRepresentation: number | undefined,
  options: DicomJsonOptions,
  path: (string | number)[],
): DicomJsonElement {
  let vr = el.vr ?? vrOf(hex, pixelRepresentation);
  if (el.items) vr = 'SQ';
  if (vr === 'SQ') {
    const items = (el.items ?? []).map((item, i) => (item.dataSet ? convert(item.dataSet, decode, options, [...path, hex, i]) : {}));
    return items.length ? { vr, Value: items } : { vr };
  }
  if (el.length === 0) return { vr };
  // Text VRs in the data set's character set; the others are the default repertoire.
  if (!VALUE_BYTE_VRS.has(vr)) return stringElement(vr, valueText(ds, el, CHARSET_VRS.has(vr) ? decode : undefined));
  const bytes = valueBytes(ds, el);
  const le = ds.byteArrayParser === dicomParser.littleEndianByteArrayParser;
  if (BINARY_VRS.has(vr)) {
    const max = options.inlineBinaryMax ?? 1024;
    const uri = bytes.length > max ? options.bulkDataUriFor?.(hex, path) : undefined;
    if (uri !== undefined) return { vr, BulkDataURI: uri };
    return { vr, InlineBinary: Buffer.from(toLittleEndian(bytes, vr, le)).toString('base64') };
  }
  if (NUMERIC_BINARY.has(vr)) return { vr, Value: binaryNumbers(bytes, vr, le) };
  // AT: each value a tag, as eight hex digits.
  const Value: string[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const g = le ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! << 8) | bytes[i + 1]!;
    const e = le ? bytes[i + 2]! | (bytes[i + 3]! << 8) : (bytes[i + 2]! << 8) | bytes[i + 3]!;
    Value.push((g.toString(16).padStart(4, '0') + e.toString(16).padStart(4, '0')).toUpperCase());
  }
  return { vr, Value };
}

/** A string VR's element from its decoded text (values split and unpadded, PN groups, IS/DS numbers). */
function stringElement(vr: string, text: string): DicomJsonElement {
  const values = splitStringValues(text, vr);
  if (values.length === 0 || values.every((v) => v === null)) return { vr };
  if (vr === 'PN') return { vr, Value: values.map((v) => (v === null ? null : dicomJsonPersonName(v))) };
  if (vr === 'IS' || vr === 'DS') {
    return { vr, Value: values.map((v) => (v === null ? null : Number.isFinite(Number(v)) ? Number(v) : v)) };
  }
  return { vr, Value: values };
}

/** A PN value's DICOM JSON (PS3.18 §F.2.2): its non-empty `Alphabetic=Ideographic=Phonetic` groups. */
export function dicomJsonPersonName(v: string): DicomJsonPersonName {
  const [a, i, p] = v.split('=');
  const pn: DicomJsonPersonName = {};
  if (a) pn.Alphabetic = a;
  if (i) pn.Ideographic = i;
  if (p) pn.Phonetic = p;
  return pn;
}

/** InlineBinary is little endian (PS3.18 §F.2.7); swap big endian words. */
function toLittleEndian(bytes: Uint8Array, vr: string, le: boolean): Uint8Array {
  const size = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 }[vr];
  if (le || !size) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + size <= bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  return out;
}
