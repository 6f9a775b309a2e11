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

  it('frames: canTranscode is asked only when the stored bytes do not satisfy a range (the route skips the size query otherwise)', () => {
    const asked: string[] = [];
    const probe = (target: string) => {
      asked.push(target);
      return false;
    };
    expect(chooseFrameMedia(parseAccept('multipart/related; type="image/jpeg"'), JPEG, false, probe)?.contentType).toBe(`image/jpeg; transfer-syntax=${JPEG}`);
    expect(chooseFrameMedia(parseAccept('multipart/related; type=application/octet-stream; transfer-syntax=*'), JPEG, false, probe)).toBeDefined();
    expect(chooseFrameMedia(parseAccept(`multipart/related; type="application/octet-stream"; transfer-syntax=${ELE}`), ELE, false, probe)).toBeDefined();
    expect(asked).toEqual([]);
    // A preferred range that needs a transcode is asked about before a lower-q stored match.
    const mixed = parseAccept(`multipart/related; type="application/octet-stream"; transfer-syntax=${ELE}, multipart/related; type="image/jpeg"; q=0.5`);
    expect(chooseFrameMedia(mixed, JPEG, false, probe)?.contentType).toBe(`image/jpeg; transfer-syntax=${JPEG}`);
    expect(asked).toEqual([ELE]);
    expect(chooseFrameMedia(mixed, JPEG, false, () => true)).toEqual({ multipart: true, contentType: `application/octet-stream; transfer-syntax=${ELE}`, transcodeTo: ELE });
  });

  it('frames: octet-stream with * carries the real syntax; native LE serves either LE syntax', () => {
    const star = parseAccept('multipart/related; type=application/octet-stream; transfer-syntax=*');
    expect(chooseFrameMedia(star, JPEG, false)).toEqual({ multipart: true, contentType: `application/octet-stream; transfer-syntax=${JPEG}` });
    const plain = parseAccept('multipart/related; type="application/octet-stream"');
    expect(chooseFrameMedia(plain, JPEG, false)).toBeUndefined();
    // With on-the-fly decoding allowed, no syntax means Explicit VR LE (PS3.18 §8.7.3.5.2).
    const yes = () => true;
    expect(chooseFrameMedia(plain, JPEG, false, yes)).toEqual({ multipart: true, contentType: `application/octet-stream; transfer-syntax=${ELE}`, transcodeTo: ELE });
    expect(chooseFrameMedia(parseAccept(`multipart/related; type=application/octet-stream; transfer-syntax=${ILE}`), JPEG, false, yes)).toEqual({ multipart: true, contentType: `application/octet-stream; transfer-syntax=${ILE}`, transcodeTo: ELE });
    // `*` never transcodes; a refused target falls through to the next range.
    expect(chooseFrameMedia(star, JPEG, false, yes)!.transcodeTo).toBeUndefined();
    const two = parseAccept(`multipart/related; type=application/octet-stream; transfer-syntax=${ELE}, multipart/related; type=application/octet-stream; transfer-syntax=*; q=0.5`);
    expect(chooseFrameMedia(two, JPEG, false, () => false)).toEqual({ multipart: true, contentType: `application/octet-stream; transfer-syntax=${JPEG}` });
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
    // Lossless compressed targets on the fly, by the media type's default syntax or a named one.
    const yes = () => true;
    expect(chooseFrameMedia(parseAccept('multipart/related; type="image/jls"'), ELE, false, yes)).toEqual({ multipart: true, contentType: 'image/jls; transfer-syntax=1.2.840.10008.1.2.4.80', transcodeTo: '1.2.840.10008.1.2.4.80' });
    expect(chooseFrameMedia(parseAccept('multipart/related; type="image/jp2"; transfer-syntax=1.2.840.10008.1.2.4.90'), JPEG, false, yes)!.transcodeTo).toBe('1.2.840.10008.1.2.4.90');
    // A media type that does not carry the named syntax is not served.
    expect(chooseFrameMedia(parseAccept('multipart/related; type="image/jls"; transfer-syntax=1.2.840.10008.1.2.4.90'), ELE, false, yes)).toBeUndefined();
  });
});
