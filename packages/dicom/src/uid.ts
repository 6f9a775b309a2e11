import { trimEndPadding } from './padding';

/** Maximum UID length (PS3.5 §9.1). */
export const MAX_UID_LENGTH = 64;

/**
 * True when `uid` is a syntactically valid DICOM UID (PS3.5 §9.1): components of digits separated
 * by single dots, no leading zero in a component unless the component is exactly `0`, at most 64
 * characters, no leading or trailing dot. Anything that could traverse a path or confuse a key
 * ('/', '\\', NUL, '..', whitespace) fails by construction, and is checked explicitly too because
 * these strings become object-store keys.
 */
export function isValidUid(uid: string): boolean {
  if (uid.length === 0 || uid.length > MAX_UID_LENGTH) return false;
  if (/[/\\\0\s]/.test(uid) || uid.includes('..')) return false;
  return /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid);
}

/**
 * Strips the padding a UI value may carry: a trailing NUL pads odd lengths (PS3.5 §6.2); trailing
 * spaces are wrong but common. Embedded NULs are kept so validation rejects them.
 */
export function trimUidPadding(raw: string): string {
  return trimEndPadding(raw);
}
