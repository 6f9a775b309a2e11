import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ImageFixture } from './fixtures';

/** A decoded 8-bit image: dimensions plus interleaved pixels (1 or 3 channels). */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
}

/**
 * Reference decode by dcmtk (`dcm2pnm`, `dcmj2pnm` for JPEG, `dcml2pnm` for JPEG-LS) of the frame a
 * fixture's thumbnail must show, windowed like the image says (`+Wi 1`), as a PNG read back raw.
 */
export async function dcmtkReference(f: ImageFixture): Promise<Raster> {
  const file = f.referenceFile ?? f.file;
  const ts = f.referenceFile ? '' : f.transferSyntaxUid;
  const tool = ts.startsWith('1.2.840.10008.1.2.4.8') ? 'dcml2pnm' : ts.startsWith('1.2.840.10008.1.2.4.') ? 'dcmj2pnm' : 'dcm2pnm';
  const dir = mkdtempSync(join(tmpdir(), 'vetpacs-ref-'));
  try {
    writeFileSync(join(dir, 'in.dcm'), file);
    const args = ['--write-png', '+F', String(f.frame + 1)];
    if (f.windowed) args.push('+Wi', '1');
    execFileSync(tool, [...args, join(dir, 'in.dcm'), join(dir, 'out.png')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return await toRaster(readFileSync(join(dir, 'out.png')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Decodes any image sharp reads (PNG, JPEG, WebP) to raw pixels, optionally resized. */
export async function toRaster(image: Buffer, size?: { width: number; height: number }): Promise<Raster> {
  const meta = await sharp(image).metadata();
  let s = sharp(image).removeAlpha();
  // sharp would expand greyscale to sRGB on raw output; keep one channel.
  if ((meta.channels ?? 3) - (meta.hasAlpha ? 1 : 0) === 1) s = s.toColourspace('b-w');
  if (size) s = s.resize(size.width, size.height, { fit: 'fill' });
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

/** Resizes a raster (as the thumbnail pipeline would) for comparison at thumbnail size. */
export async function resizeRaster(r: Raster, size: { width: number; height: number }): Promise<Raster> {
  const png = await sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels as 1 | 3 | 4 } }).png().toBuffer();
  return toRaster(png, size);
}

/** Mean brightness of a raster (all channels). */
export function meanOf(r: Raster): number {
  let s = 0;
  for (const v of r.data) s += v;
  return s / r.data.length;
}

/** Mean absolute difference of two rasters of equal size, comparing luminance when channels differ. */
export function meanAbsDiff(a: Raster, b: Raster): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`size ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const n = a.width * a.height;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (a.channels === b.channels) {
      for (let c = 0; c < a.channels; c++) sum += Math.abs(a.data[i * a.channels + c]! - b.data[i * b.channels + c]!) / a.channels;
    } else sum += Math.abs(luma(a, i) - luma(b, i));
  }
  return sum / n;
}

function luma(r: Raster, i: number): number {
  if (r.channels < 3) return r.data[i * r.channels]!;
  const p = i * r.channels;
  return 0.299 * r.data[p]! + 0.587 * r.data[p + 1]! + 0.114 * r.data[p + 2]!;
}
