import { keywordToTag } from '@vetpacs/dicom';
import { badRequest } from '../lib/errors';
import { BY_KEYWORD, BY_TAG, DEFAULT_TAGS, INDEXED, type IndexedAttribute, type QidoLevel, visibleAt } from './qido-attributes';

/** A matching key with its raw value (PS3.18 §8.3.4.1). */
export interface QidoFilter {
  attr: IndexedAttribute;
  value: string;
}

/** A parsed QIDO-RS request: what to match, what to return, which page. */
export interface QidoQuery {
  level: QidoLevel;
  filters: QidoFilter[];
  /** Tags (8 hex) to return from index columns or computed. */
  returnTags: Set<string>;
  /** Tags requested with includefield that the index does not hold: read from stored instance JSON. */
  extraTags: string[];
  /** `includefield=all` */
  all: boolean;
  fuzzy: boolean;
  limit: number;
  offset: number;
  /** The page size is the server's maximum, not the client's limit (more rows → Warning). */
  capped: boolean;
  /** Query parameters that were ignored (reported in a Warning header, PS3.18 §8.3.4.1). */
  unsupported: string[];
}

/** Largest page the server returns; more results are announced with a Warning (PS3.18 §8.3.4.4). */
export const MAX_RESULTS = 1000;

const RESERVED = new Set(['limit', 'offset', 'fuzzymatching', 'includefield', 'emptyfield']);

type RawQuery = Record<string, string | string[] | undefined>;

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Resolves a query parameter name (keyword, `GGGGEEEE` tag, or a dotted sequence path) to an
 * indexed attribute. Keywords are matched case-insensitively as a courtesy to hand-written URLs.
 */
function resolveKey(name: string): { attr?: IndexedAttribute; tag?: string } {
  if (/^[0-9a-f]{8}$/i.test(name)) {
    const tag = name.toUpperCase();
    return { attr: BY_TAG.get(tag), tag };
  }
  const attr = BY_KEYWORD.get(name.toLowerCase());
  if (attr) return { attr, tag: attr.tag || undefined };
  const tag = keywordToTag(name);
  return { tag };
}

/** Parses an integer query parameter, or throws 400. */
function intParam(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest('INVALID_QUERY', `${name} must be a non-negative integer`);
  const n = Number(raw);
  if (n < min) throw badRequest('INVALID_QUERY', `${name} must be at least ${min}`);
  return n;
}

/**
 * Parses the query string of a QIDO-RS request (PS3.18 §8.3.4). `scope` holds the UIDs of the
 * resource path (e.g. the study of `/studies/{S}/series`), which become UID matching keys.
 */
export function parseQidoQuery(level: QidoLevel, raw: RawQuery, scope: Record<string, string> = {}): QidoQuery {
  const q: QidoQuery = {
    level,
    filters: [],
    returnTags: new Set(DEFAULT_TAGS[level]),
    extraTags: [],
    all: false,
    fuzzy: false,
    limit: MAX_RESULTS,
    offset: 0,
    capped: true,
    unsupported: [],
  };
  const fuzzy = list(raw.fuzzymatching).at(-1);
  if (fuzzy !== undefined && fuzzy !== 'true' && fuzzy !== 'false') throw badRequest('INVALID_QUERY', 'fuzzymatching must be true or false');
  q.fuzzy = fuzzy === 'true';
  const limit = intParam('limit', list(raw.limit).at(-1), 1);
  if (limit !== undefined) q.limit = Math.min(limit, MAX_RESULTS);
  q.capped = limit === undefined || limit > MAX_RESULTS;
  q.offset = intParam('offset', list(raw.offset).at(-1), 0) ?? 0;

  // includefield: repeated and/or comma separated (OHIF sends one %2C-encoded list, which the
  // query-string parser has already decoded to commas).
  const extra = new Set<string>();
  for (const item of list(raw.includefield).flatMap((v) => v.split(','))) {
    const name = item.trim();
    if (!name) continue;
    if (name.toLowerCase() === 'all') {
      q.all = true;
      continue;
    }
    const { attr, tag } = resolveKey(name);
    if (attr && !visibleAt(attr.level, level)) continue; // e.g. SOPInstanceUID at study level
    if (attr?.tag && attr.column) q.returnTags.add(attr.tag);
    else if (tag) extra.add(tag);
    else q.unsupported.push(`includefield=${name}`);
  }
  if (q.all) {
    for (const a of INDEXED) {
      if (!a.tag || !visibleAt(a.level, level)) continue;
      if (a.column) q.returnTags.add(a.tag);
      else extra.add(a.tag);
    }
  }

  for (const [name, value] of Object.entries(raw)) {
    if (RESERVED.has(name.toLowerCase()) || value === undefined) continue;
    const { attr, tag } = resolveKey(name);
    if (!attr?.match || !visibleAt(attr.level, level)) {
      q.unsupported.push(name);
      continue;
    }
    // Matching keys are returned too (PS3.4 §C.2.2.1.2), when the index can produce them.
    if (tag && attr.column) q.returnTags.add(tag);
    else if (tag) extra.add(tag);
    for (const v of list(value)) q.filters.push({ attr, value: v });
  }
  for (const [keyword, uid] of Object.entries(scope)) {
    const attr = BY_KEYWORD.get(keyword.toLowerCase());
    if (attr) q.filters.push({ attr, value: uid });
  }
  q.extraTags = [...extra].filter((t) => !q.returnTags.has(t)).sort();
  return q;
}
