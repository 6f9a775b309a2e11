import { describe, expect, it } from 'vitest';
import { trimEndPadding, trimStartSpaces } from './padding';

describe('value padding', () => {
  const samples = ['', ' ', '\0', 'ABC', 'ABC ', 'ABC\0', 'AB C \0 \0', '  AB C  ', '\0AB', ' \0 A', 'A\\B ', '1.2.840\0'];

  it('trims trailing NULs and spaces exactly as /[\\0 ]+$/ does', () => {
    for (const s of samples) expect(trimEndPadding(s)).toBe(s.replace(/[\0 ]+$/, ''));
  });

  it('trims leading spaces exactly as /^ +/ does', () => {
    for (const s of samples) expect(trimStartSpaces(s)).toBe(s.replace(/^ +/, ''));
  });
});
