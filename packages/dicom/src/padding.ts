/**
 * Value padding (PS3.5 §6.2): trailing NULs and spaces are insignificant, and leading spaces for
 * most VRs. Trimmed with character loops instead of the regular expressions `/[\0 ]+$/` and
 * `/^ +/`: these run for every text value of every instance ingested (a tiny instance has ~50),
 * and an end-anchored pattern is tried from every position of the string.
 */

/** `text` without trailing NULs and spaces. */
export function trimEndPadding(text: string): string {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0) break;
    end--;
  }
  return end === text.length ? text : text.slice(0, end);
}

/** `text` without leading spaces. */
export function trimStartSpaces(text: string): string {
  let start = 0;
  while (start < text.length && text.charCodeAt(start) === 0x20) start++;
  return start === 0 ? text : text.slice(start);
}
