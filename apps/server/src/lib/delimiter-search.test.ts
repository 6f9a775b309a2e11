import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DelimiterSearch, partialMatchAtEnd } from './delimiter-search';

const DELIM = Buffer.from('\r\n--boundary42');

/** Runs the search over `chunks` and returns the segments between delimiters (and after the last). */
function split(chunks: Buffer[]): { segments: string[]; delimiters: number } {
  const segments: Buffer[][] = [[]];
  let delimiters = 0;
  const search = new DelimiterSearch(
    DELIM,
    (data) => segments.at(-1)!.push(Buffer.from(data)),
    () => {
      delimiters++;
      segments.push([]);
    },
  );
  for (const c of chunks) search.push(c);
  return { segments: segments.map((s) => Buffer.concat(s).toString('latin1')), delimiters };
}

/** `bytes` cut at random places, including empty and one-byte chunks. */
function cut(bytes: Buffer, seed: number): Buffer[] {
  const chunks: Buffer[] = [];
  let x = seed;
  for (let off = 0; off < bytes.length; ) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = x % 5 === 0 ? x % 3 : 1 + (x % 40);
    chunks.push(bytes.subarray(off, off + n));
    off += n;
  }
  return chunks;
}

describe('DelimiterSearch', () => {
  it('finds every delimiter and keeps every other byte, however the stream is cut', () => {
    // Segments full of near-misses: "\r", "\r\n-", "\r\n--boundary4" and the like, around real delimiters.
    const near = ['\r', '\r\n', '\r\n-', '\r\n--', '\r\n--boundary4', '\r\n--boundary43', '--boundary42', 'x\r\n--boundary'];
    const parts: string[] = [];
    // The random bytes may complete a near-miss into a real delimiter ("\r\n--boundary4" + "2…": 1 in
    // 256 per such part): drawn again then, so the parts hold none. (Across a part's edge none can
    // form: the delimiter has no prefix that is also its suffix.)
    for (let i = 0; i < 40; i++) {
      let part: string;
      do part = near[i % near.length]! + randomBytes(i % 7).toString('latin1') + near[(i * 3) % near.length]!;
      while (part.includes(DELIM.toString('latin1')));
      parts.push(part);
    }
    const whole = Buffer.from(parts.join(DELIM.toString('latin1')), 'latin1');
    for (let seed = 1; seed <= 200; seed++) {
      const { segments, delimiters } = split(cut(whole, seed));
      expect(delimiters).toBe(parts.length - 1);
      // The last segment may still hold a partial delimiter at the end of the stream; none here.
      expect(segments).toEqual(parts);
    }
  });

  it('holds back a possible delimiter start at the end of a chunk until the next chunk decides', () => {
    const data: string[] = [];
    const search = new DelimiterSearch(DELIM, (d) => data.push(d.toString('latin1')), () => data.push('|'));
    search.push(Buffer.from('abc\r\n--bound'));
    expect(data).toEqual(['abc']);
    search.push(Buffer.from('ary42def'));
    expect(data).toEqual(['abc', '|', 'def']);
    search.push(Buffer.from('\r\n-'));
    search.push(Buffer.from('x'));
    expect(data.join('')).toBe('abc|def\r\n-x');
  });

  it('hands out views that stay valid after later pushes', () => {
    const kept: Buffer[] = [];
    const search = new DelimiterSearch(DELIM, (d) => kept.push(d), () => {});
    search.push(Buffer.from('first\r\n--bou'));
    search.push(Buffer.from('Xsecond'));
    search.push(Buffer.from('third'));
    expect(Buffer.concat(kept).toString()).toBe('first\r\n--bouXsecondthird');
  });
});

describe('partialMatchAtEnd', () => {
  it('is the longest proper prefix of the delimiter that ends the buffer', () => {
    expect(partialMatchAtEnd(Buffer.from('ab\r\n--bo'), 0, DELIM)).toBe(6);
    expect(partialMatchAtEnd(Buffer.from('ab\r'), 0, DELIM)).toBe(1);
    expect(partialMatchAtEnd(Buffer.from('ab'), 0, DELIM)).toBe(0);
    expect(partialMatchAtEnd(Buffer.from('\r\n--bo'), 3, DELIM)).toBe(0); // not before `from`
  });
});
