import { Prisma } from '@vetpacs/db';
import { normalizeForSearch } from '@vetpacs/dicom';
import { badRequest } from '../lib/errors';
import type { QidoFilter } from './qido-query';

// Accent folding for PN matching, done by SQL on both sides so stored values and patterns fold
// identically. `translate` is immutable and built in (the unaccent extension is not everywhere).
const FOLD_FROM = 'àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőùúûüūůűųýÿžźżšśşřťţ';
// Each letter's base letter (NFD minus combining marks); ł and ø do not decompose.
const FOLD_TO = [...FOLD_FROM].map((ch) => ({ ł: 'l', ø: 'o' })[ch] ?? ch.normalize('NFD').replace(/\p{M}+/gu, '')).join('');
/**
 * Accent-folded lower case of a text expression. The patient name index (manual_patient_name_fold,
 * last built by migration 20261205171417_ingest_patient_lookup_cached; partial, rows with a name)
 * is on exactly this expression: keep them identical.
 */
export const fold = (expr: Prisma.Sql) => Prisma.sql`translate(lower(${expr}), ${Prisma.raw(`'${FOLD_FROM}'`)}, ${Prisma.raw(`'${FOLD_TO}'`)})`;

/** True when a value uses DICOM wildcards (PS3.4 §C.2.2.2.4). */
export const hasWildcard = (v: string) => v.includes('*') || v.includes('?');

/** DICOM wildcard pattern → SQL LIKE pattern (`\` escapes the LIKE metacharacters). */
export function toLike(v: string): string {
  return v.replace(/[\\%_]/g, (m) => `\\${m}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/**
 * Splits a range value `a-b`, `a-`, `-b` or a single value (PS3.4 §C.2.2.2.5). Returns the bounds
 * (undefined = open).
 */
export function splitRange(v: string): { from?: string; to?: string } {
  const dash = v.indexOf('-');
  if (dash < 0) return { from: v, to: v };
  return { from: v.slice(0, dash) || undefined, to: v.slice(dash + 1) || undefined };
}

/** YYYYMMDD (or the legacy YYYY.MM.DD) → ISO date; 400 for anything else. */
export function parseDicomDate(v: string, key: string): string {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(v.trim());
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1) throw badRequest('INVALID_QUERY', `${key}: '${v}' is not a DICOM date (YYYYMMDD)`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** HHMMSS[.F] (HH, HHMM allowed) → a 6-digit string comparable with stored times; 400 otherwise. */
export function parseDicomTime(v: string, key: string, end: boolean): string {
  const m = /^(\d{2})(\d{2})?(\d{2})?(\.\d{1,6})?$/.exec(v.trim().replace(/:/g, ''));
  if (!m) throw badRequest('INVALID_QUERY', `${key}: '${v}' is not a DICOM time (HHMMSS)`);
  const fill = end ? '59' : '00';
  return `${m[1]}${m[2] ?? fill}${m[3] ?? fill}${m[4] ?? (end ? '.999999' : '')}`;
}

/** Values of a list match: `\` is the DICOM value separator; QIDO also allows commas (PS3.18 §8.3.4.1). */
const splitList = (v: string) => v.split(/[\\,]/).map((s) => s.trim()).filter(Boolean);

/** Words usable as a trigram pre-filter on patient.search_text (see patientSearchText). */
function trigramWords(v: string): string[] {
  return v
    .split(/[*?]/)
    .flatMap((chunk) => normalizeForSearch(chunk).split(' '))
    .filter((w) => w.length >= 3);
}

function trigramFilter(v: string): Prisma.Sql[] {
  return trigramWords(v).map((w) => Prisma.sql`p.search_text LIKE ${`%${toLike(w)}%`}`);
}

/**
 * "Any name component" matching: every component of the query (split on `^`, `=`, spaces and
 * commas) must match the start of some word of the value, case- and accent-insensitively.
 */
function wordsMatch(col: Prisma.Sql, v: string): Prisma.Sql[] {
  const words = Prisma.sql`(' ' || regexp_replace(${fold(col)}, '[\\^=, ]+', ' ', 'g'))`;
  return v
    .split(/[\^=, ]+/)
    .filter((w) => w && w !== '*')
    .map((w) => Prisma.sql`${words} LIKE ${fold(Prisma.sql`${`% ${toLike(w)}%`}`)}`);
}

/**
 * SQL condition(s) for one matching key (PS3.4 §C.2.2.2). An empty value or `*` is universal
 * matching: no condition. Returns conditions to AND together.
 */
export function matchSql(f: QidoFilter, fuzzy: boolean): Prisma.Sql[] {
  const { attr } = f;
  const v = f.value.trim();
  const col = attr.matchColumn ?? attr.column;
  if (!col || v === '' || v === '*') return [];
  const key = attr.keyword;
  switch (attr.match) {
    case 'uid':
      return [Prisma.sql`${col} = ANY(${splitList(v)}::text[])`];
    case 'cs-list': {
      const values = splitList(v);
      if (values.length === 1 && hasWildcard(values[0]!)) return [Prisma.sql`${col} LIKE ${toLike(values[0]!)}`];
      return [Prisma.sql`${col} = ANY(${values}::text[])`];
    }
    case 'modalities':
      // `&&` (overlap) is answered by the GIN index on modalities_in_study.
      return [Prisma.sql`${col} && ${splitList(v)}::text[]`];
    case 'string':
      if (fuzzy) return [Prisma.sql`${fold(col)} LIKE ${fold(Prisma.sql`${hasWildcard(v) ? toLike(v) : `%${toLike(v)}%`}`)}`];
      return hasWildcard(v) ? [Prisma.sql`${col} LIKE ${toLike(v)}`] : [Prisma.sql`${col} = ${v}`];
    case 'pn': {
      // PN matching is insensitive to case and accents (allowed by PS3.4 §C.2.2.2.1); with
      // fuzzymatching any name component may match (PS3.18 §8.3.4.1).
      // A pattern with a literal start (`Smi*`, `Smith^Rex`) is a range of the folded-name b-tree,
      // which also holds the id: an index-only scan. The trigram pre-filter would add a heap visit
      // per candidate animal (~1,400 for `Smi*` at 1M instances) and select nothing the range
      // does not.
      const ranged = !fuzzy && attr.foldIndex && !/^[*?]/.test(v);
      const pre = attr.trigram && !ranged ? trigramFilter(v) : [];
      if (fuzzy) return [...pre, ...wordsMatch(col, v)];
      return [...pre, Prisma.sql`${fold(col)} LIKE ${fold(Prisma.sql`${toLike(v)}`)}`];
    }
    case 'words':
      return [...(attr.trigram ? trigramFilter(v) : []), ...wordsMatch(col, v)];
    case 'date': {
      const { from, to } = splitRange(v);
      const out: Prisma.Sql[] = [];
      if (from) out.push(Prisma.sql`${col} >= ${parseDicomDate(from, key)}::date`);
      if (to) out.push(Prisma.sql`${col} <= ${parseDicomDate(to, key)}::date`);
      return out;
    }
    case 'iso-date': {
      const { from, to } = splitRange(v);
      const out: Prisma.Sql[] = [];
      if (from) out.push(Prisma.sql`${col} >= ${parseDicomDate(from, key)}`);
      if (to) out.push(Prisma.sql`${col} <= ${parseDicomDate(to, key)}`);
      return out;
    }
    case 'time': {
      const { from, to } = splitRange(v);
      // Stored TM values may omit seconds or carry fractions: compare on a right-padded form.
      const stored = Prisma.sql`rpad(replace(${col}, ':', ''), 6, '0')`;
      const out: Prisma.Sql[] = [];
      if (from) out.push(Prisma.sql`${stored} >= ${parseDicomTime(from, key, false)}`);
      if (to) out.push(Prisma.sql`${stored} <= ${parseDicomTime(to, key, true)}`);
      return out;
    }
    case 'int': {
      if (!/^-?\d+$/.test(v)) throw badRequest('INVALID_QUERY', `${key}: '${v}' is not an integer`);
      return [Prisma.sql`${col} = ${Number(v)}`];
    }
    case 'neutered': {
      const map: Record<string, string> = { ALTERED: 'ALTERED', UNALTERED: 'UNALTERED' };
      const values = splitList(v).map((x) => map[x]).filter((x): x is string => !!x);
      if (!values.length) return [Prisma.sql`false`];
      return [Prisma.sql`${col}::text = ANY(${values}::text[])`];
    }
    default:
      return [];
  }
}
