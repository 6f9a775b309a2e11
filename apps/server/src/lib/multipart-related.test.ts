import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { MultipartError, parseMultipartContentType, parseMultipartRelated } from './multipart-related';

function body(boundary: string, parts: { headers: string; content: Buffer | string }[], preamble = '') {
  const chunks: Buffer[] = [Buffer.from(preamble)];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.headers}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function chunked(buf: Buffer, size: number): AsyncIterable<Buffer> {
  return Readable.from((function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })());
}

async function collect(buf: Buffer, boundary: string, size: number) {
  const out: { headers: Record<string, string>; content: string }[] = [];
  await parseMultipartRelated(chunked(buf, size), boundary, async (part) => {
    out.push({ headers: part.headers, content: await text(part.body) });
  });
  return out;
}

describe('parseMultipartRelated', () => {
  const boundary = 'b0undary-xyz';
  // Content that contains boundary-like sequences but not the real delimiter.
  const parts = [
    { headers: 'Content-Type: application/dicom', content: 'first\r\n--b0undary-xy not quite' },
    { headers: 'Content-Type: application/dicom\r\nContent-Location: x', content: 'second' },
    { headers: 'Content-Type: application/dicom', content: '' },
  ];

  for (const size of [1, 3, 7, 64, 1 << 20]) {
    it(`splits parts identically with ${size}-byte chunks`, async () => {
      const got = await collect(body(boundary, parts, 'ignored preamble\r\n'), boundary, size);
      expect(got.map((p) => p.content)).toEqual(parts.map((p) => p.content));
      expect(got[1]!.headers['content-location']).toBe('x');
      expect(got[0]!.headers['content-type']).toBe('application/dicom');
    });
  }

  it('hands over the bytes of a part that arrived whole with its headers, and streams the others', async () => {
    const big = Buffer.alloc(200 * 1024, 7);
    const all = [...parts, { headers: 'Content-Type: application/dicom', content: big }];
    const seen: { whole?: string; content: string }[] = [];
    // 64 KB reads: the three small parts arrive whole in the first read, the 200 KB one does not.
    await parseMultipartRelated(chunked(body(boundary, all), 65536), boundary, async (p) => {
      seen.push({ whole: p.whole?.toString('latin1'), content: await text(p.body) });
    });
    expect(seen.map((p) => p.whole)).toEqual([...parts.map((p) => p.content), undefined]);
    // The body of a whole part, asked for, holds the same bytes.
    expect(seen.map((p) => p.content)).toEqual(all.map((p) => p.content.toString('latin1')));
    // Read a byte at a time, no part is whole.
    const oneByte: (Buffer | undefined)[] = [];
    await parseMultipartRelated(chunked(body(boundary, parts), 1), boundary, async (p) => {
      oneByte.push(p.whole);
      p.body.resume();
    });
    expect(oneByte).toEqual([undefined, undefined, undefined]);
  });

  it('lets a handler skip a part without stalling', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 1);
    const seen: number[] = [];
    await parseMultipartRelated(chunked(body(boundary, [{ headers: 'A: 1', content: big }, { headers: 'A: 2', content: 'x' }]), 65536), boundary, async (p) => {
      seen.push(p.index); // never reads the body
    });
    expect(seen).toEqual([0, 1]);
  });

  it('rejects a body cut off before the closing boundary', async () => {
    const full = body(boundary, parts);
    await expect(collect(full.subarray(0, full.length - 20), boundary, 5)).rejects.toBeInstanceOf(MultipartError);
  });

  it('parses Content-Type parameters, quoted or not', () => {
    expect(parseMultipartContentType('multipart/related; type="application/dicom"; boundary="abc"')).toEqual({
      mediaType: 'multipart/related',
      type: 'application/dicom',
      boundary: 'abc',
    });
    expect(parseMultipartContentType('Multipart/Related; boundary=abc; type=application/dicom').boundary).toBe('abc');
  });
});
