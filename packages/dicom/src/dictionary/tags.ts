import { DICTIONARY } from '../generated/dictionary';

/** Every attribute keyword in the generated PS3.6 dictionary (e.g. `'PatientSpeciesDescription'`). */
export type Keyword = keyof typeof DICTIONARY;

/** A tag in dicom-parser's element-map form: `'x'` + 8 lower-case hex digits (`'x00102201'`). */
export type TagKey = `x${string}`;

const byTag = new Map<string, Keyword>();
for (const key of Object.keys(DICTIONARY) as Keyword[]) byTag.set(DICTIONARY[key][0], key);

/** Normalises `x00102201`, `00102201`, `(0010,2201)` or `0010,2201` to `00102201` (upper case). */
function normalizeTag(input: string): string {
  const hex = input.replace(/^x/i, '').replace(/[(),\s]/g, '');
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new Error(`Not a DICOM tag: '${input}'`);
  return hex.toUpperCase();
}

/**
 * Tag of a dictionary keyword in dicom-parser form.
 * @example tag('PatientSpeciesDescription') // 'x00102201'
 */
export function tag(keyword: Keyword): TagKey {
  return `x${DICTIONARY[keyword][0].toLowerCase()}`;
}

/**
 * Tag of a keyword as 8 upper-case hex digits (the DICOM JSON key form, PS3.18 §F.2.1.1),
 * or `undefined` for an unknown keyword.
 */
export function keywordToTag(keyword: string): string | undefined {
  return (DICTIONARY as Record<string, readonly [string, string]>)[keyword]?.[0];
}

/**
 * Repeating-group attributes (overlays 60xx, curves 50xx; PS3.5 §7.6) are listed once in the
 * dictionary under their first group; map any even group of the range onto it.
 */
function repeatingGroupBase(hex: string): string | undefined {
  const group = Number.parseInt(hex.slice(0, 4), 16);
  if ((group & 0xff01) === 0x6000 || (group & 0xff01) === 0x5000) {
    return `${(group & 0xff00).toString(16).toUpperCase().padStart(4, '0')}${hex.slice(4)}`;
  }
  return undefined;
}

/** Keyword of a tag in any common notation (`x00102201`, `00102201`, `(0010,2201)`). */
export function tagToKeyword(tagInput: string): Keyword | undefined {
  const hex = normalizeTag(tagInput);
  const direct = byTag.get(hex);
  if (direct) return direct;
  const base = repeatingGroupBase(hex);
  return base ? byTag.get(base) : undefined;
}

/**
 * VR to use for a tag when the transfer syntax does not carry it (Implicit VR, PS3.5 §7.1.3).
 * dcmjs's ambiguous VRs are resolved as PS3.5 Annex A.1 prescribes for Implicit VR Little Endian:
 * OB/OW (`ox`) → OW, US/SS (`xs`) → US unless `pixelRepresentation` is 1, US/SS/OW LUT data → OW.
 * Group lengths (gggg,0000) are UL; private and unknown tags are UN.
 */
export function vrOf(tagInput: string, pixelRepresentation?: number): string {
  const hex = normalizeTag(tagInput);
  if (hex.endsWith('0000')) return 'UL';
  const keyword = tagToKeyword(hex);
  if (!keyword) return 'UN';
  const vr: string = DICTIONARY[keyword][1];
  switch (vr) {
    case 'ox':
      return 'OW';
    case 'xs':
      return pixelRepresentation === 1 ? 'SS' : 'US';
    case 'lt':
      return 'OW';
    case 'up':
      return 'UL';
    case 'na':
      return 'UN';
    default:
      return vr;
  }
}

/** Hex digits (upper case, `GGGGEEEE`) of a keyword, for code that builds raw bytes. */
export function tagHex(keyword: Keyword): string {
  return DICTIONARY[keyword][0];
}

/** Numeric (group << 16 | element) form of a keyword's tag. */
export function tagNumber(keyword: Keyword): number {
  return Number.parseInt(DICTIONARY[keyword][0], 16);
}
