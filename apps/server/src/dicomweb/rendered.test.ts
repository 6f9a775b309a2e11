import { describe, expect, it } from 'vitest';
import type { AppError } from '../lib/errors';
import { parseRenderQuery } from './rendered';

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as AppError).statusCode;
  }
  return 200;
};

describe('parseRenderQuery (PS3.18 §8.3.5.1)', () => {
  it('negotiates the media type from Accept or the accept parameter, JPEG by default', () => {
    expect(parseRenderQuery({}, undefined).format).toBe('jpeg');
    expect(parseRenderQuery({}, 'image/png').format).toBe('png');
    expect(parseRenderQuery({}, 'image/gif;q=1, image/png;q=0.5').format).toBe('png');
    expect(parseRenderQuery({ accept: 'image/webp' }, 'image/png').format).toBe('webp');
    expect(parseRenderQuery({}, 'image/*').format).toBe('jpeg');
    expect(status(() => parseRenderQuery({}, 'application/pdf'))).toBe(406);
  });

  it('parses window with its function and rejects malformed ones', () => {
    expect(parseRenderQuery({ window: '40,400' }, undefined).window).toEqual({ center: 40, width: 400, fn: 'LINEAR' });
    expect(parseRenderQuery({ window: '-600,1500,sigmoid' }, undefined).window).toEqual({ center: -600, width: 1500, fn: 'SIGMOID' });
    expect(parseRenderQuery({ window: '1,2,LINEAR-EXACT' }, undefined).window?.fn).toBe('LINEAR_EXACT');
    for (const w of ['40', 'a,b', '40,0', '40,400,cubic', '1,2,linear,4', ',400']) expect(status(() => parseRenderQuery({ window: w }, undefined)), w).toBe(400);
  });

  it('parses viewport with and without a source region', () => {
    expect(parseRenderQuery({ viewport: '128,64' }, undefined).viewport).toEqual({ width: 128, height: 64 });
    expect(parseRenderQuery({ viewport: '100,100,10,20,50,60' }, undefined).viewport).toEqual({ width: 100, height: 100, region: { left: 10, top: 20, width: 50, height: 60 } });
    for (const v of ['0,10', '10', '10,10,1', '10,10,0,0,-5,5', '99999,10', '1.5,2']) expect(status(() => parseRenderQuery({ viewport: v }, undefined)), v).toBe(400);
  });

  it('bounds quality to 1-100', () => {
    expect(parseRenderQuery({ quality: '75' }, undefined).quality).toBe(75);
    for (const q of ['0', '101', 'high', '5.5']) expect(status(() => parseRenderQuery({ quality: q }, undefined)), q).toBe(400);
  });
});
