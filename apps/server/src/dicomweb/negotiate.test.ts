import { describe, expect, it } from 'vitest';
import { parseAccept } from './http';
import { chooseFrameMedia, dicomSyntaxChoices } from './negotiate';

const JPEG = '1.2.840.10008.1.2.4.50';
const ELE = '1.2.840.10008.1.2.1';
const ILE = '1.2.840.10008.1.2';

describe('Accept parsing and transfer syntax negotiation (PS3.18 §8.7.3)', () => {
  it('parses quoted and unquoted parameters and orders by q', () => {
    const r = parseAccept('multipart/related; type=application/octet-stream; transfer-syntax=*, multipart/related; type="image/jpeg";q=0.5');
    expect(r[0]).toEqual({ type: 'multipart/related', params: { type: 'application/octet-stream', 'transfer-syntax': '*' }, q: 1 });
    expect(r[1]!.params.type).toBe('image/jpeg');
    expect(parseAccept(undefined)[0]!.type).toBe('*/*');
  });

  it('retrieve: * and a missing syntax mean the stored bytes; explicit UIDs are kept in order', () => {
    expect(dicomSyntaxChoices(parseAccept('multipart/related; type="application/dicom"; transfer-syntax=*'))).toEqual(['stored']);
    expect(dicomSyntaxChoices(parseAccept('multipart/related; type="application/dicom"'))).toEqual(['stored']);
    expect(dicomSyntaxChoices(parseAccept(`multipart/related; type="application/dicom"; transfer-syntax=${JPEG}`))).toEqual([JPEG]);
    expect(dicomSyntaxChoices(parseAccept('application/json'))).toEqual([]);
  });

  it('frames: octet-stream with * carries the real syntax; native LE serves either LE syntax', () => {
    const star = parseAccept('multipart/related; type=application/octet-stream; transfer-syntax=*');
    expect(chooseFrameMedia(star, JPEG, false)).toEqual({ multipart: true, contentType: `application/octet-stream; transfer-syntax=${JPEG}` });
    const plain = parseAccept('multipart/related; type="application/octet-stream"');
    expect(chooseFrameMedia(plain, JPEG, false)).toBeUndefined();
    expect(chooseFrameMedia(plain, ILE, false)!.contentType).toBe(`application/octet-stream; transfer-syntax=${ELE}`);
    expect(chooseFrameMedia(parseAccept(`multipart/related; type="application/octet-stream"; transfer-syntax=${ILE}`), ELE, false)!.contentType).toContain(ILE);
  });

  it('frames: image media types, their legacy aliases, and single-part answers', () => {
    expect(chooseFrameMedia(parseAccept('multipart/related; type="image/jpeg"'), JPEG, false)!.contentType).toBe(`image/jpeg; transfer-syntax=${JPEG}`);
    expect(chooseFrameMedia(parseAccept('multipart/related; type="image/x-jls"'), '1.2.840.10008.1.2.4.80', false)!.contentType).toMatch(/^image\/x-jls;/);
    expect(chooseFrameMedia(parseAccept('multipart/related; type="image/jpeg"'), ELE, false)).toBeUndefined();
    expect(chooseFrameMedia(parseAccept('image/jpeg'), JPEG, true)).toEqual({ multipart: false, contentType: `image/jpeg; transfer-syntax=${JPEG}` });
    expect(chooseFrameMedia(parseAccept('image/jpeg'), JPEG, false)).toBeUndefined();
    expect(chooseFrameMedia(parseAccept('*/*'), JPEG, false)!.multipart).toBe(true);
  });
});
