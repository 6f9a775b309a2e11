import dicomParser, { type DataSet } from 'dicom-parser';
import { tag, vrOf } from '../dictionary/tags';
import { DicomValidationError } from '../errors';
import { extractInstance, extractSeries, extractStudy } from '../model/extract';
import type { TransferSyntaxInfo } from '../transfer-syntax';
import { isValidUid } from '../uid';
import type { PatientNameStyle } from '../vet/names';
import { extractVetPatient } from '../vet/patient';
import { decoderOf, elementOf, valueBytes, valueText } from './attributes';
import type { FragmentTracker } from './fragments';
import { encapsulatedFrames, nativeExpectedLength, nativeFrames } from './frames';
import type { PixelDataHeader } from './scanner';
import type { FileMeta, ParsedInstance, PixelDataLocation } from './types';

/** What the byte-level parse found, handed to {@link buildInstance}. */
export interface RawParse {
  /** File prefix: offset 0 = file offset 0 (or the re-assembled inflated file). */
  bytes: Buffer;
  datasetStart: number;
  /** End of the non-pixel data set (the Pixel Data element offset, or the end of the bytes). */
  datasetEnd: number;
  transferSyntaxUid: string;
  ts: TransferSyntaxInfo;
  hasPreamble: boolean;
  meta?: FileMeta;
  totalSize: number;
  deflated: boolean;
  pixel?: { header: PixelDataHeader; tracker?: FragmentTracker; complete: boolean };
  nameStyle: PatientNameStyle;
  warnings: string[];
}

type DataSetCtor = new (parser: unknown, bytes: Uint8Array, elements: Record<string, unknown>) => DataSet;

/** Parses the non-pixel data set with dicom-parser (offsets stay absolute). */
export function parseDataSet(bytes: Buffer, start: number, end: number, ts: TransferSyntaxInfo): DataSet {
  const parser = ts.littleEndian ? dicomParser.littleEndianByteArrayParser : dicomParser.bigEndianByteArrayParser;
  const Ctor = (dicomParser as unknown as { DataSet: DataSetCtor }).DataSet;
  const ds = new Ctor(parser, bytes, {});
  const stream = new dicomParser.ByteStream(parser, bytes, start);
  try {
    if (ts.explicitVr) dicomParser.parseDicomDataSetExplicit(ds, stream, end, {} as { untilTag: string });
    else dicomParser.parseDicomDataSetImplicit(ds, stream, end, { vrCallback: (t: string) => vrOf(t) } as unknown as { untilTag: string });
  } catch (cause) {
    throw new DicomValidationError('MALFORMED', `Data set could not be parsed: ${String(cause)}`, { cause });
  }
  return ds;
}

const REQUIRED = [
  ['SOPClassUID', '(0008,0016)'],
  ['SOPInstanceUID', '(0008,0018)'],
  ['StudyInstanceUID', '(0020,000D)'],
  ['SeriesInstanceUID', '(0020,000E)'],
] as const;

/** Reads and validates the four UIDs every stored instance needs (PS3.5 §9.1 syntax). */
function requiredUids(ds: DataSet): Record<(typeof REQUIRED)[number][0], string> {
  const out: Record<string, string> = {};
  for (const [keyword, tagText] of REQUIRED) {
    const el = elementOf(ds, keyword);
    const raw = el ? valueText(ds, el).replace(/\0+$/, '').replace(/ +$/, '') : '';
    if (raw === '') throw new DicomValidationError('MISSING_UID', `${keyword} ${tagText} is missing or empty`);
    if (!isValidUid(raw)) {
      const shown = raw.replace(/\0/g, '\\0').slice(0, 80);
      throw new DicomValidationError('INVALID_UID', `${keyword} ${tagText} is not a valid UID: '${shown}'`);
    }
    out[keyword] = raw;
  }
  return out as Record<(typeof REQUIRED)[number][0], string>;
}

function readOv(ds: DataSet, key: string): bigint[] | undefined {
  const el = ds.elements[key];
  if (!el || el.length === 0) return undefined;
  const b = Buffer.from(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length);
  return Array.from({ length: Math.floor(el.length / 8) }, (_, i) => b.readBigUInt64LE(i * 8));
}

function pixelLocation(raw: RawParse, ds: DataSet, geometry: ReturnType<typeof extractInstance>): PixelDataLocation | undefined {
  const px = raw.pixel;
  if (!px) return undefined;
  const { header, tracker } = px;
  if (header.length !== null) {
    const expected = nativeExpectedLength(geometry);
    if (px.complete && expected !== undefined && header.length < expected) {
      throw new DicomValidationError(
        'PIXEL_DATA_MISMATCH',
        `Pixel Data (7FE0,0010) holds ${header.length} bytes but Rows × Columns × SamplesPerPixel × BitsAllocated × NumberOfFrames needs ${expected}`,
      );
    }
    return {
      elementOffset: header.elementOffset,
      offset: header.valueOffset,
      length: header.length,
      encapsulated: false,
      vr: header.vr,
      frames: nativeFrames(header.valueOffset, geometry),
      fragments: [],
      basicOffsetTable: [],
      complete: px.complete,
    };
  }
  const items = tracker?.items ?? [];
  const bot = tracker?.bot ?? Buffer.alloc(0);
  const frames = encapsulatedFrames(
    {
      items,
      bot,
      numberOfFrames: geometry.numberOfFrames,
      ts: raw.ts,
      extendedOffsets: readOv(ds, tag('ExtendedOffsetTable')),
      extendedLengths: readOv(ds, tag('ExtendedOffsetTableLengths')),
    },
    raw.warnings,
  );
  return {
    elementOffset: header.elementOffset,
    offset: header.valueOffset,
    length: null,
    encapsulated: true,
    vr: header.vr,
    frames,
    fragments: items.slice(1).map((f) => ({ offset: f.offset, length: f.length })),
    basicOffsetTable: Array.from({ length: bot.length >> 2 }, (_, i) => bot.readUInt32LE(i * 4)),
    complete: px.complete,
  };
}

/** Turns a byte-level parse into a validated {@link ParsedInstance}. */
export function buildInstance(raw: RawParse): ParsedInstance {
  const ds = parseDataSet(raw.bytes, raw.datasetStart, raw.datasetEnd, raw.ts);
  const uids = requiredUids(ds);
  const decode = decoderOf(ds);
  const instance = extractInstance(ds);
  const photometricInterpretation = instance.photometricInterpretation;
  const pixelData = pixelLocation(raw, ds, instance);
  if (raw.meta?.mediaStorageSopInstanceUid && raw.meta.mediaStorageSopInstanceUid !== uids.SOPInstanceUID) {
    raw.warnings.push('MediaStorageSOPInstanceUID (0002,0003) differs from SOPInstanceUID (0008,0018)');
  }
  if (!pixelData && instance.rows !== undefined) raw.warnings.push('Rows (0028,0010) present but no Pixel Data (7FE0,0010)');
  return {
    transferSyntaxUid: raw.transferSyntaxUid,
    transferSyntax: raw.ts,
    sopClassUid: uids.SOPClassUID,
    sopInstanceUid: uids.SOPInstanceUID,
    studyInstanceUid: uids.StudyInstanceUID,
    seriesInstanceUid: uids.SeriesInstanceUID,
    hasPreamble: raw.hasPreamble,
    meta: raw.meta,
    totalSize: raw.totalSize,
    deflated: raw.deflated,
    pixelData,
    numberOfFrames: instance.numberOfFrames,
    rows: instance.rows,
    columns: instance.columns,
    bitsAllocated: instance.bitsAllocated,
    samplesPerPixel: instance.samplesPerPixel,
    photometricInterpretation,
    dataset: ds,
    decode,
    patient: extractVetPatient(ds, raw.nameStyle, decode),
    study: extractStudy(ds, decode),
    series: extractSeries(ds, decode),
    instance,
    warnings: raw.warnings,
  };
}
