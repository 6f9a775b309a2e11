import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeaderCollector, TransferSyntax } from '@vetpacs/dicom';
import { convertTransferSyntax, makeDicom } from '@vetpacs/dicom/testing';
import { FsObjectStore, type ObjectStore } from '@vetpacs/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePart10 } from './dataset';
import { renderFrame } from './render';
import { loadFrame, type StoredImage } from './source';
import { toRaster } from './testing';

/** Counts bytes read through getRange/get of a real filesystem store. */
function counting(store: ObjectStore) {
  const stats = { rangeBytes: 0, fullReads: 0 };
  const wrapped = Object.create(store) as ObjectStore;
  wrapped.getRange = async (k, s, l) => {
    const b = await store.getRange(k, s, l);
    stats.rangeBytes += b.length;
    return b;
  };
  wrapped.get = async (k, o) => {
    stats.fullReads++;
    return store.get(k, o);
  };
  return { store: wrapped, stats };
}

async function storeInstance(store: ObjectStore, key: string, file: Buffer): Promise<StoredImage> {
  const c = new HeaderCollector();
  c.push(file);
  const p = c.finish();
  await store.put(key, file);
  return {
    objectKey: key,
    transferSyntaxUid: p.transferSyntaxUid,
    byteSize: file.length,
    numberOfFrames: p.numberOfFrames,
    pixelDataOffset: p.pixelData?.offset ?? null,
    frameOffsets: p.pixelData?.frames ?? null,
  };
}

describe('loadFrame', () => {
  let dir: string;
  let fs: FsObjectStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'vetpacs-imaging-'));
    fs = new FsObjectStore(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const cine = makeDicom({ seed: 77, modality: 'US', rows: 120, columns: 160, bitsAllocated: 8, samplesPerPixel: 3, frames: 9 });
  it.each([
    ['native', cine],
    ['jpeg-baseline', convertTransferSyntax(cine, TransferSyntax.JPEGBaseline)],
    ['rle', convertTransferSyntax(cine, TransferSyntax.RLELossless)],
  ] as const)('reads only the header and one frame of a large %s multi-frame file, with the same pixels', async (name, file) => {
    const img = await storeInstance(fs, `t/${name}.dcm`, file);
    const { store, stats } = counting(fs);
    const partial = await loadFrame(store, img, 6, { wholeFileLimit: 0 });
    expect(stats.fullReads).toBe(0);
    expect(stats.rangeBytes).toBeLessThan(file.length / 3);
    const whole = parsePart10(file);
    const a = await toRaster((await renderFrame(partial, { frame: partial.frame, format: 'png' })).data);
    const b = await toRaster((await renderFrame(whole, { frame: 6, format: 'png' })).data);
    expect(a.data.equals(b.data)).toBe(true);
    // A different frame really is different (the disc moves), so the equality above means something.
    const c = await toRaster((await renderFrame(whole, { frame: 1, format: 'png' })).data);
    expect(a.data.equals(c.data)).toBe(false);
  });

  it('rejects a frame number past the end', async () => {
    const img = await storeInstance(fs, 't/range.dcm', cine);
    await expect(loadFrame(fs, img, 9)).rejects.toThrow(/does not exist/);
  });
});
