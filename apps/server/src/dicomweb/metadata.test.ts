import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseEncoding, placeholderReplacer, replacePlaceholder } from './metadata';

async function run(chunks: string[], root: string): Promise<string> {
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks.map((s) => Buffer.from(s))).pipe(placeholderReplacer(root))) out.push(c as Buffer);
  return Buffer.concat(out).toString();
}

describe('metadata streaming helpers', () => {
  it('replaces the BulkDataURI placeholder even when split across chunks', async () => {
    const text = '[{"BulkDataURI":"{{DICOMWEB_ROOT}}/studies/1"},{"BulkDataURI":"{{DICOMWEB_ROOT}}/x"}]';
    const expected = text.replaceAll('{{DICOMWEB_ROOT}}', 'https://pacs.example/dicomweb');
    for (let cut = 1; cut < text.length; cut += 3) {
      expect(await run([text.slice(0, cut), text.slice(cut)], 'https://pacs.example/dicomweb')).toBe(expected);
    }
  });

  it('replaces placeholders across many small chunks and adjacent placeholders', async () => {
    const text = '{{DICOMWEB_ROOT}}{{DICOMWEB_ROOT}}/a{{DICOMWEB_ROOT';
    const expected = text.replaceAll('{{DICOMWEB_ROOT}}', 'R');
    for (const size of [1, 2, 5, 16, 17, 18]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(await run(chunks, 'R'), `chunk size ${size}`).toBe(expected);
    }
  });

  it('replaces every placeholder of a finished document', () => {
    const text = '[{"BulkDataURI":"{{DICOMWEB_ROOT}}/a"},{"BulkDataURI":"{{DICOMWEB_ROOT}}/b"}]';
    expect(replacePlaceholder(Buffer.from(text), 'http://h/dicomweb').toString()).toBe(text.replaceAll('{{DICOMWEB_ROOT}}', 'http://h/dicomweb'));
    expect(replacePlaceholder(Buffer.from('[{}]'), 'x').toString()).toBe('[{}]');
  });

  it('prefers br, then gzip, honouring q=0', () => {
    expect(chooseEncoding('gzip, deflate, br')).toBe('br');
    expect(chooseEncoding('gzip, br;q=0')).toBe('gzip');
    expect(chooseEncoding(undefined)).toBe('identity');
    expect(chooseEncoding('identity')).toBe('identity');
  });
});
