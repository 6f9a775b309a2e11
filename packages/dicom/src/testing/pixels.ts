/** Geometry of a synthetic image. */
export interface PixelSpec {
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  samplesPerPixel: 1 | 3;
  frames: number;
}

/**
 * Deterministic test image: a diagonal gradient, a bright disc whose position moves with the frame
 * and a dark rectangle (enough structure for codecs and viewers to show something recognisable).
 * Native little-endian layout, colour-by-pixel for RGB (PlanarConfiguration 0).
 */
export function makePixels(spec: PixelSpec): Buffer {
  const { rows, columns, samplesPerPixel: spp, frames } = spec;
  const bytesPer = spec.bitsAllocated / 8;
  const max = 2 ** spec.bitsStored - 1;
  const out = Buffer.alloc(rows * columns * spp * bytesPer * frames);
  let at = 0;
  for (let f = 0; f < frames; f++) {
    const cx = ((f * 7) % columns) + columns / 4;
    const cy = rows / 2;
    const radius = Math.min(rows, columns) / 6;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        let v = ((x + y) / (rows + columns - 2 || 1)) * 0.6;
        if ((x - cx) ** 2 + (y - cy) ** 2 < radius ** 2) v = 0.95;
        if (x > columns * 0.65 && x < columns * 0.85 && y > rows * 0.15 && y < rows * 0.35) v = 0.05;
        for (let s = 0; s < spp; s++) {
          const sample = Math.round(max * (spp === 3 ? (v * (s + 1)) / 3 + 0.1 * s : v));
          if (bytesPer === 1) out[at++] = Math.min(sample, max);
          else {
            out.writeUInt16LE(Math.min(sample, max), at);
            at += 2;
          }
        }
      }
    }
  }
  return out;
}
