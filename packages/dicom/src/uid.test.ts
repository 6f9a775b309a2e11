import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDictionary } from '../tools/render-dictionary';
import { keywordToTag, tag, tagToKeyword, vrOf } from './dictionary/tags';
import { isValidUid } from './uid';

describe('isValidUid (PS3.5 §9.1)', () => {
  it.each([
    ['1.2.840.10008.1.2.1', true],
    ['0', true],
    ['1.0.2', true],
    ['2.25.329800735698586629295641978511506172918', true],
    [`1.${'2'.repeat(62)}`, true],
    [`1.${'2'.repeat(63)}`, false],
    ['', false],
    ['1.02.3', false],
    ['01.2', false],
    ['1.2.', false],
    ['.1.2', false],
    ['1..2', false],
    ['1.2.3/../x', false],
    ['1.2/3', false],
    ['1.2\\3', false],
    ['1.2\u00003', false],
    ['1.2 3', false],
    [' 1.2.3', false],
    ['1.2.3\n', false],
    ['1.2.a', false],
    ['1.-2', false],
  ])('%j → %s', (uid, ok) => {
    expect(isValidUid(uid)).toBe(ok);
  });
});

describe('tag dictionary', () => {
  it('is generated from the installed dcmjs (no drift)', async () => {
    const committed = readFileSync(new URL('./generated/dictionary.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await renderDictionary());
  });

  it('gives dicom-parser keys and JSON keys for keywords', () => {
    expect(tag('PatientSpeciesDescription')).toBe('x00102201');
    expect(tag('PixelData')).toBe('x7fe00010');
    expect(keywordToTag('ResponsiblePerson')).toBe('00102297');
    expect(keywordToTag('NotAKeyword')).toBeUndefined();
  });

  it('maps tags back to keywords, including repeating groups', () => {
    expect(tagToKeyword('(0010,2297)')).toBe('ResponsiblePerson');
    expect(tagToKeyword('x00100010')).toBe('PatientName');
    expect(tagToKeyword('60023000')).toBe('OverlayData');
    expect(tagToKeyword('00091010')).toBeUndefined();
  });

  it('resolves VRs for implicit VR data (PS3.5 Annex A.1)', () => {
    expect(vrOf('x00100010')).toBe('PN');
    expect(vrOf('x7fe00010')).toBe('OW');
    expect(vrOf('x00280106')).toBe('US');
    expect(vrOf('x00280106', 1)).toBe('SS');
    expect(vrOf('x00180000')).toBe('UL');
    expect(vrOf('x00091010')).toBe('UN');
  });
});
