import type { DataSet, Element } from 'dicom-parser';
import { type Keyword, tag } from '../dictionary/tags';
import { trimEndPadding } from '../padding';
import { decoderFor, type TextDecode } from './charset';

/** A keyword from the dictionary, or a dicom-parser tag key (`x00102201`). */
export type AttrKey = Keyword | `x${string}`;

function key(k: AttrKey): string {
  return /^x[0-9a-f]{8}$/.test(k) ? k : tag(k as Keyword);
}

/** The element for a keyword or tag, if present. */
export function elementOf(ds: DataSet, k: AttrKey): Element | undefined {
  return ds.elements[key(k)];
}

/** Raw value bytes of an element (a view, never a copy). */
export function valueBytes(ds: DataSet, el: Element): Uint8Array {
  return ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
}

/** The default repertoire's decoder (no Specific Character Set: Latin-1), cached by decoderFor. */
const decodeLatin1 = decoderFor(undefined);

/**
 * An element's value as text, decoded by `decode` (default: Latin-1, as Node's TextDecoder reads
 * it). A value of 7-bit bytes without ESC, SO and SI (most values: UIDs, dates, codes, numbers) is
 * ASCII in every character set we decode, so it is read straight from the data set's bytes: no
 * view and no decoder call per value, ~10 % of parsing a tiny instance (scripts/bench/js-ingest-micro.ts).
 */
export function valueText(ds: DataSet, el: Element, decode: TextDecode = decodeLatin1): string {
  const bytes = ds.byteArray;
  const start = el.dataOffset;
  const end = start + el.length;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x80 || b === 0x1b || b === 0x0e || b === 0x0f) return decode(bytes.subarray(start, end));
  }
  return Buffer.isBuffer(bytes) ? bytes.toString('latin1', start, end) : Buffer.from(bytes.buffer, bytes.byteOffset + start, el.length).toString('latin1');
}

/** Text decoder for a data set's Specific Character Set (0008,0005) (PS3.5 §6.1.2.5). */
export function decoderOf(ds: DataSet, inherited?: TextDecode): TextDecode {
  const el = ds.elements[tag('SpecificCharacterSet')];
  if (!el) return inherited ?? decoderFor(undefined);
  return decoderFor(valueText(ds, el));
}

/**
 * Whole string value (all values joined by backslash), with trailing NUL/space padding removed
 * (PS3.5 §6.2), or `undefined` when absent or empty.
 */
export function readString(ds: DataSet, k: AttrKey, decode?: TextDecode): string | undefined {
  const el = elementOf(ds, k);
  if (!el || el.length === 0) return undefined;
  const text = trimEndPadding(valueText(ds, el, decode ?? decoderOf(ds)));
  return text === '' ? undefined : text;
}

/** Values of a multi-valued string (split on backslash, PS3.5 §6.4), each trimmed. */
export function readStrings(ds: DataSet, k: AttrKey, decode?: TextDecode): string[] {
  const s = readString(ds, k, decode);
  return s === undefined ? [] : s.split('\\').map((v) => v.trim());
}

/** First value, trimmed both sides (right for CS, LO, SH, UI, DA, TM, IS, DS), or undefined. */
export function readFirst(ds: DataSet, k: AttrKey, decode?: TextDecode): string | undefined {
  const v = readStrings(ds, k, decode)[0];
  return v === undefined || v === '' ? undefined : v;
}

/** A numeric value whatever its VR (US/SS/UL/SL/FL/FD binary, IS/DS text). */
export function readNumber(ds: DataSet, k: AttrKey, index = 0): number | undefined {
  const el = elementOf(ds, k);
  if (!el || el.length === 0) return undefined;
  const t = key(k);
  switch (el.vr) {
    case 'US':
      return ds.uint16(t, index);
    case 'SS':
      return ds.int16(t, index);
    case 'UL':
      return ds.uint32(t, index);
    case 'SL':
      return ds.int32(t, index);
    case 'FL':
      return ds.float(t, index);
    case 'FD':
      return ds.double(t, index);
    default: {
      const v = readStrings(ds, k)[index];
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      return Number.isFinite(n) ? n : undefined;
    }
  }
}

/** Item data sets of a sequence (empty when absent). */
export function readItems(ds: DataSet, k: AttrKey): DataSet[] {
  return (elementOf(ds, k)?.items ?? []).flatMap((i) => (i.dataSet ? [i.dataSet] : []));
}
