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

/** Writes one attribute of a row as `"tag":{…}` text, or '' to leave it out. */
type Writer = (row: QidoRow) => string;

/** The `Value` array text of an index column, or undefined for an empty value. */
function valueText(out: string | undefined, value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  switch (out) {
    case 'pn':
      return `[${JSON.stringify(personName(String(value)))}]`;
    case 'int':
      return `[${JSON.stringify(Number(value))}]`;
    case 'array':
      return (value as string[]).length ? JSON.stringify(value) : undefined;
    case 'neutered':
      return value === 'ALTERED' || value === 'UNALTERED' ? `["${value}"]` : undefined;
    default:
      return `[${JSON.stringify(String(value))}]`;
  }
}

function writerFor(tag: string, root: string, extraTags: Set<string>): Writer | null {
  if (tag === SPECIFIC_CHARACTER_SET) return () => `"${tag}":{"vr":"CS","Value":["ISO_IR 192"]}`;
  if (tag === INSTANCE_AVAILABILITY) return () => `"${tag}":{"vr":"CS","Value":["ONLINE"]}`;
  if (tag === RETRIEVE_URL) return (row) => `"${tag}":{"vr":"UR","Value":[${JSON.stringify(retrieveUrl(root, row))}]}`;
  const attr = BY_TAG.get(tag);
  if (attr?.column) {
    const key = `t_${tag}`;
    const head = `"${tag}":{"vr":"${attr.vr}"`;
    return (row) => {
      const value = valueText(attr.out, row[key]);
      return value === undefined ? `${head}}` : `${head},"Value":${value}}`;
    };
  }
  if (extraTags.has(tag)) {
    return (row) => {
      const element = (row._extra as Record<string, unknown> | null | undefined)?.[tag];
      return element ? `"${tag}":${JSON.stringify(element)}` : '';
    };
  }
  return null;
}

/**
 * Result rows → the QIDO-RS response body, a JSON array of DICOM JSON objects (PS3.18 §F.2) with
 * attributes in tag order. Attributes asked for but empty are returned with their VR only
 * (zero-length, PS3.4 §C.2.2.1.2).
 *
 * Written straight to text by one writer per attribute, compiled once per query: a 1000-row page
 * used to become 17,000 element objects, a key sort per row and a JSON.stringify of the lot (10–15
 * ms per 1000 rows with includefield=all; 4–7 ms now, same bytes). Tags are 8 upper-case hex
 * digits, so a plain sort is tag order.
 */
export function qidoRowsToJsonText(rows: QidoRow[], q: QidoQuery, root: string): string {
  const extra = new Set(q.extraTags);
  const writers = [...new Set([...q.returnTags, ...q.extraTags])]
    .sort()
    .map((tag) => writerFor(tag, root, extra))
    .filter((w): w is Writer => w !== null);
  const parts = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let text = '';
    for (const write of writers) {
      const element = write(row);
      if (element) text += text ? `,${element}` : element;
    }
    parts[r] = `{${text}}`;
  }
  return `[${parts.join(',')}]`;
}

function retrieveUrl(root: string, row: QidoRow): string {
  let url = `${root}/studies/${row._study}`;
  if (row._series) url += `/series/${row._series}`;
  if (row._sop) url += `/instances/${row._sop}`;
  return url;
}
