import type { DicomJsonDataset, DicomJsonElement } from '@vetpacs/dicom';
import { BY_TAG, INSTANCE_AVAILABILITY, RETRIEVE_URL, SPECIFIC_CHARACTER_SET } from './qido-attributes';
import type { QidoQuery } from './qido-query';
import type { QidoRow } from './qido-repo';

/** PN string (`Alphabetic=Ideographic=Phonetic`) → DICOM JSON PN object (PS3.18 §F.2.2). */
export function personName(raw: string): { Alphabetic?: string; Ideographic?: string; Phonetic?: string } {
  const [alphabetic, ideographic, phonetic] = raw.split('=');
  const out: { Alphabetic?: string; Ideographic?: string; Phonetic?: string } = {};
  if (alphabetic) out.Alphabetic = alphabetic;
  if (ideographic) out.Ideographic = ideographic;
  if (phonetic) out.Phonetic = phonetic;
  return out;
}

function element(tag: string, value: unknown): DicomJsonElement {
  const attr = BY_TAG.get(tag)!;
  const vr = attr.vr;
  if (value === null || value === undefined || value === '') return { vr };
  switch (attr.out) {
    case 'pn':
      return { vr, Value: [personName(String(value))] };
    case 'int':
      return { vr, Value: [Number(value)] };
    case 'array':
      return (value as string[]).length ? { vr, Value: value as string[] } : { vr };
    case 'neutered':
      return value === 'ALTERED' || value === 'UNALTERED' ? { vr, Value: [value] } : { vr };
    default:
      return { vr, Value: [String(value)] };
  }
}

/**
 * Result rows → DICOM JSON objects (PS3.18 §F.2), attributes in tag order. Attributes asked for
 * but empty are returned with their VR only (zero-length, PS3.4 §C.2.2.1.2).
 */
export function qidoRowsToJson(rows: QidoRow[], q: QidoQuery, root: string): DicomJsonDataset[] {
  return rows.map((row) => {
    const out: DicomJsonDataset = {};
    for (const tag of q.returnTags) {
      if (tag === SPECIFIC_CHARACTER_SET) out[tag] = { vr: 'CS', Value: ['ISO_IR 192'] };
      else if (tag === INSTANCE_AVAILABILITY) out[tag] = { vr: 'CS', Value: ['ONLINE'] };
      else if (tag === RETRIEVE_URL) out[tag] = { vr: 'UR', Value: [retrieveUrl(root, row)] };
      else if (BY_TAG.get(tag)?.column) out[tag] = element(tag, row[`t_${tag}`]);
    }
    const extra = (row._extra ?? {}) as Record<string, DicomJsonElement>;
    for (const tag of q.extraTags) if (extra[tag]) out[tag] = extra[tag];
    return sortKeys(out);
  });
}

function retrieveUrl(root: string, row: QidoRow): string {
  let url = `${root}/studies/${row._study}`;
  if (row._series) url += `/series/${row._series}`;
  if (row._sop) url += `/instances/${row._sop}`;
  return url;
}

function sortKeys(ds: DicomJsonDataset): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const k of Object.keys(ds).sort()) out[k] = ds[k]!;
  return out;
}
