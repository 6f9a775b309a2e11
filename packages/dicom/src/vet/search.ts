/** Anything but printable ASCII (space to tilde): such values take the Unicode path. */
const NOT_PRINTABLE_ASCII = /[^ -~]/;
const FOLDS: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/**
 * Lower-cases, strips accents (NFD then drops combining marks), folds letters NFD leaves intact
 * (ß, ø, æ…), turns DICOM PN separators and punctuation into spaces and collapses whitespace:
 * `'Müller^Bärli'` → `'muller barli'`. Use the same function on indexed text and on queries.
 */
export function normalizeForSearch(s: string | undefined | null): string {
  if (!s) return '';
  // Most header values are printable ASCII: then there is nothing to decompose or fold, and ASCII
  // letters and digits are all that \p{L}\p{N} keep (ingest calls this ~10 times per instance).
  if (!NOT_PRINTABLE_ASCII.test(s)) return s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßøæœłđðþı]/g, (c) => FOLDS[c] ?? c)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * One search string from many fields: each normalised, empty ones dropped, repeated words kept
 * once, in first-seen order. Suits a trigram or ILIKE index.
 */
export function searchText(...parts: (string | undefined | null)[]): string {
  const seen = new Set<string>();
  for (const p of parts) for (const w of normalizeForSearch(p).split(' ')) if (w) seen.add(w);
  return [...seen].join(' ');
}
