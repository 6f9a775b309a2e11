import { describe, expect, it } from 'vitest';
import { parsePart10 } from './dataset';
import { renderFrame, voiLutWindow } from './render';
import { dcmtkReference, imageFixtures, meanAbsDiff, meanOf, toRaster } from './testing';

const fixtures = await imageFixtures();

describe('renderFrame against dcmtk reference decodes', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s renders like dcm2pnm', async (_name, f) => {
    const ds = parsePart10(f.file);
    const png = await renderFrame(ds, { frame: f.frame, format: 'png' });
    const ours = await toRaster(png.data);
    const ref = await dcmtkReference(f);
    expect([ours.width, ours.height]).toEqual([ref.width, ref.height]);
    expect(ours.channels >= 3).toBe(f.colour);
    // Same pixels up to rounding and codec differences (lossy JPEG decoders differ by a level or two).
    expect(Math.abs(meanOf(ours) - meanOf(ref))).toBeLessThan(2);
    expect(meanAbsDiff(ours, ref)).toBeLessThan(2.5);
  });

  it('fits the viewport keeping the aspect ratio, and honours an explicit window', async () => {
    const f = fixtures.find((x) => x.name === 'explicit-le')!;
    const ds = parsePart10(f.file);
    const small = await renderFrame(ds, { viewport: { width: 40, height: 40 }, format: 'jpeg' });
    expect(small.contentType).toBe('image/jpeg');
    expect([small.width, small.height]).toEqual([33, 40]);
    // A window far above every pixel value renders black; far below renders white.
    const dark = meanOf(await toRaster((await renderFrame(ds, { format: 'png', window: { center: 100_000, width: 10 } })).data));
    const bright = meanOf(await toRaster((await renderFrame(ds, { format: 'png', window: { center: -100_000, width: 10 } })).data));
    expect(dark).toBeLessThan(1);
    expect(bright).toBeGreaterThan(254);
  });

  it('derives a window from a VOI LUT Sequence when no window is given', () => {
    expect(voiLutWindow({ VOILUTSequence: [{ LUTDescriptor: [4096, 0, 12] }] })).toEqual({ center: 2048, width: 4096, fn: 'LINEAR' });
    expect(voiLutWindow({ WindowCenter: 40, WindowWidth: 400, VOILUTSequence: [{ LUTDescriptor: [4096, 0, 12] }] })).toBeUndefined();
  });
});
