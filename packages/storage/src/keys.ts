import { InvalidObjectKeyError } from './errors';

/** S3's own limit on key length (UTF-8 bytes); we apply it to every backend so keys stay portable. */
export const MAX_KEY_BYTES = 1024;

// C0 controls, DEL and C1 controls. NUL truncates paths in C APIs; the rest make keys that log,
// display and round-trip through HTTP headers badly.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Throws {@link InvalidObjectKeyError} unless `key` is a portable object key: non-empty,
 * at most 1024 UTF-8 bytes, `/`-separated segments that are neither empty, `.` nor `..`,
 * no leading or trailing `/`, no backslash and no control characters.
 *
 * The rules are deliberately stricter than S3's so that the same key means the same object on the
 * filesystem backend (where `a//b`, `a/./b` and `a/` would alias or escape) and on S3.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidObjectKeyError(String(key), 'empty');
  checkCommon(key);
  if (key.endsWith('/')) throw new InvalidObjectKeyError(key, 'must not end with "/"');
  for (const segment of key.split('/')) checkSegment(key, segment);
}

/**
 * Throws {@link InvalidObjectKeyError} unless `prefix` is usable for `list`: empty, or a string that
 * could start a valid key (`studies/`, `studies/1.2`). A trailing `/` is allowed here.
 */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidObjectKeyError(String(prefix), 'prefix must be a string');
  if (prefix === '') return;
  checkCommon(prefix);
  const segments = prefix.split('/');
  // The last segment may be a partial name ("1.2" of "1.2.840…") or empty (prefix ends in "/"),
  // but ".." is never a partial name we want to accept.
  const last = segments.pop()!;
  for (const segment of segments) checkSegment(prefix, segment);
  if (last === '..') throw new InvalidObjectKeyError(prefix, 'contains a ".." segment');
}

function checkCommon(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidObjectKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  }
  if (key.startsWith('/')) throw new InvalidObjectKeyError(key, 'must not start with "/"');
  if (key.includes('\\')) throw new InvalidObjectKeyError(key, 'must not contain a backslash');
  if (CONTROL_CHARS.test(key)) throw new InvalidObjectKeyError(key, 'must not contain control characters');
  // Lone surrogates cannot be encoded as UTF-8: S3 and the filesystem would both mangle them.
  if (!key.isWellFormed()) throw new InvalidObjectKeyError(key, 'is not well-formed Unicode');
}

function checkSegment(key: string, segment: string): void {
  if (segment === '') throw new InvalidObjectKeyError(key, 'contains an empty segment ("//")');
  if (segment === '.' || segment === '..') throw new InvalidObjectKeyError(key, `contains a "${segment}" segment`);
}
