import { describe, expect, it } from 'vitest';
import { splitRange, toLike } from './qido-match';
import { MAX_RESULTS, parseQidoQuery } from './qido-query';

describe('QIDO-RS query parsing (PS3.18 §8.3.4)', () => {
  it('includefield: comma lists, repeats, keywords and tags; non-indexed tags come from stored JSON', () => {
    const q = parseQidoQuery('study', { includefield: ['00081030,00100021', 'PatientWeight', 'PatientSpeciesDescription'] });
    expect(q.returnTags.has('00081030')).toBe(true);
    expect(q.returnTags.has('00100021')).toBe(true);
    expect(q.returnTags.has('00102201')).toBe(true);
    expect(q.extraTags).toEqual(['00101030']);
    expect(q.unsupported).toEqual([]);
    expect(parseQidoQuery('study', { includefield: 'NotAKeyword' }).unsupported).toEqual(['includefield=NotAKeyword']);
  });

  it('matching keys: tags or keywords; unknown or non-indexed keys are reported, not matched', () => {
    const q = parseQidoQuery('series', { '00100020': 'X', Modality: 'CT', PatientWeight: '3', SOPInstanceUID: '1.2' });
    expect(q.filters.map((f) => f.attr.keyword)).toEqual(['PatientID', 'Modality']);
    expect(q.unsupported).toEqual(['PatientWeight', 'SOPInstanceUID']);
  });

  it('limit/offset/fuzzymatching validation and the server maximum', () => {
    expect(parseQidoQuery('study', {}).limit).toBe(MAX_RESULTS);
    expect(parseQidoQuery('study', { limit: '101', offset: '50' })).toMatchObject({ limit: 101, offset: 50, capped: false });
    expect(parseQidoQuery('study', { limit: '100000' })).toMatchObject({ limit: MAX_RESULTS, capped: true });
    expect(() => parseQidoQuery('study', { limit: '0' })).toThrow();
    expect(() => parseQidoQuery('study', { offset: '-1' })).toThrow();
    expect(() => parseQidoQuery('study', { fuzzymatching: 'yes' })).toThrow();
  });

  it('wildcards become escaped LIKE patterns; ranges split on the dash', () => {
    expect(toLike('Sm?th*')).toBe('Sm_th%');
    expect(toLike('100%_a\\b')).toBe('100\\%\\_a\\\\b');
    expect(splitRange('20240101-20240131')).toEqual({ from: '20240101', to: '20240131' });
    expect(splitRange('-20240131')).toEqual({ from: undefined, to: '20240131' });
    expect(splitRange('20240101')).toEqual({ from: '20240101', to: '20240101' });
  });
});
