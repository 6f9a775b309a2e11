/**
 * Search helper for Patient.searchText: lower-cased, accent-stripped, whitespace-collapsed, so a
 * trigram index (manual_patient_search_text_trgm) serves "müller" and "Muller" alike. Done in the
 * app because Postgres' unaccent() is not IMMUTABLE and cannot back an index.
 */

/** Normalises one string the way searchText and search queries must both be normalised. */
export function normaliseForSearch(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[\s^,]+/g, ' ')
    .trim();
}

/** Builds Patient.searchText from the fields people search by (absent values are skipped). */
export function patientSearchText(parts: Array<string | null | undefined>): string {
  return parts
    .filter((p): p is string => typeof p === 'string' && p.trim() !== '')
    .map(normaliseForSearch)
    .join(' ');
}
