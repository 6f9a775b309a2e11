import { TransferSyntax } from '@vetpacs/dicom';
import { codecs, imaging, initCodecs } from './codecs';
import { type ImageDataset, ImageDecodeError, isColour } from './dataset';

/** Output media types of rendered frames and thumbnails. */
export type RenderFormat = 'jpeg' | 'png' | 'webp';

/** VOI windowing requested by a client (PS3.18 §8.3.5.1.4 `window=center,width,function`). */
export interface WindowSpec {
  center: number;
  width: number;
  /** VOI LUT Function (PS3.3 §C.11.2.1.3). */
  fn?: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
}

/** Region and size (PS3.18 §8.3.5.1.3 `viewport=vw,vh[,sx,sy,sw,sh]`). */
export interface Viewport {
  width: number;
  height: number;
  /** Source region in image pixels; default the whole image. */
  region?: { left: number; top: number; width: number; height: number };
}

export interface RenderOptions {
  /** Frame index inside the data set (0-based). */
  frame?: number;
  format?: RenderFormat;
  /** 1–100; JPEG and WebP only. */
  quality?: number;
  window?: WindowSpec;
  viewport?: Viewport;
}

export interface RenderedImage {
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
}

/**
 * sharp (libvips) is loaded on first render, not at import: it adds ~35 MB of resident memory, and
 * most server processes (ingest, QIDO, retrieval) never render an image.
 */
let sharpModule: Promise<typeof import('sharp')> | undefined;
async function loadSharp(): Promise<typeof import('sharp').default> {
  sharpModule ??= import('sharp');
  return (await sharpModule).default;
}

const CONTENT_TYPES: Record<RenderFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/**
 * Renders one frame as a consumer-format image, the way a viewer would show it: Modality LUT
 * (Rescale Slope/Intercept or LUT), the image's own VOI (Window Center/Width, VOI LUT Function or
 * VOI LUT Sequence) unless `window` overrides it, MONOCHROME1 inverted, and RGB / YBR / PALETTE
 * COLOR converted to RGB (PS3.3 §C.11, §C.7.6.3.1.2). Scales to fit `viewport` keeping the aspect
 * ratio, never enlarging.
 */
export async function renderFrame(ds: ImageDataset, opts: RenderOptions = {}): Promise<RenderedImage> {
  await initCodecs();
  const sharp = await loadSharp();
  const { width, height, pixels } = renderRgba(ds, opts);
  const format = opts.format ?? 'jpeg';
  let img = sharp(Buffer.from(pixels), { raw: { width, height, channels: 4 } }).removeAlpha();
  const r = opts.viewport?.region;
  if (r) {
    if (r.left < 0 || r.top < 0 || r.width < 1 || r.height < 1 || r.left + r.width > width || r.top + r.height > height) {
      throw new RangeError(`viewport region ${r.left},${r.top},${r.width},${r.height} is outside the ${width}x${height} image`);
    }
    img = img.extract(r);
  }
  if (opts.viewport) img = img.resize(opts.viewport.width, opts.viewport.height, { fit: 'inside', withoutEnlargement: true });
  // Greyscale images encode as one channel: a third of the bytes and no chroma artefacts.
  if (!isColour(ds.elements)) img = img.toColourspace('b-w');
  const quality = opts.quality ?? 85;
  img = format === 'jpeg' ? img.jpeg({ quality, mozjpeg: false }) : format === 'webp' ? img.webp({ quality }) : img.png();
  const { data, info } = await img.toBuffer({ resolveWithObject: true });
  return { data, contentType: CONTENT_TYPES[format], width: info.width, height: info.height };
}

/** Renders a frame to RGBA with dcmjs-imaging. */
function renderRgba(ds: ImageDataset, opts: RenderOptions): { width: number; height: number; pixels: ArrayBuffer } {
  let { elements, transferSyntaxUid } = ds;
  // dcmjs-imaging 0.2 renders colour RLE as grey (its RLE path ignores the segment order of
  // multi-sample frames); dcmjs-codecs decodes it correctly, so decode to native first.
  if (transferSyntaxUid === TransferSyntax.RLELossless && Number(elements.SamplesPerPixel ?? 1) > 1) {
    const t = new codecs.Transcoder({ ...elements }, transferSyntaxUid);
    t.transcode(TransferSyntax.ExplicitVRLittleEndian);
    elements = t.getElements();
    transferSyntaxUid = TransferSyntax.ExplicitVRLittleEndian;
  }
  let image: InstanceType<typeof imaging.DicomImage>;
  try {
    image = new imaging.DicomImage(elements, transferSyntaxUid);
  } catch (err) {
    throw new ImageDecodeError(`cannot read image: ${(err as Error).message}`);
  }
  const w = opts.window ?? voiLutWindow(elements);
  if (w) {
    if (!(w.width >= 1)) throw new RangeError('window width must be at least 1');
    if (w.fn) image.setElement('VOILUTFunction', w.fn);
  }
  try {
    const out = image.render({ frame: opts.frame ?? 0, windowLevel: w ? new imaging.WindowLevel(w.width, w.center) : undefined });
    return { width: out.width, height: out.height, pixels: out.pixels };
  } catch (err) {
    throw new ImageDecodeError(`cannot decode frame: ${(err as Error).message}`);
  }
}

/**
 * dcmjs-imaging applies Window Center/Width but not a VOI LUT Sequence (PS3.3 §C.11.2). When an
 * image carries only the LUT (common on CR), window over the LUT's input range instead: a linear
 * approximation of the (usually sigmoid) table, far closer than a min/max window.
 */
export function voiLutWindow(elements: Record<string, unknown>): WindowSpec | undefined {
  if (elements.WindowCenter !== undefined && elements.WindowWidth !== undefined) return undefined;
  const seq = elements.VOILUTSequence;
  const item = (Array.isArray(seq) ? seq[0] : seq) as Record<string, unknown> | undefined;
  const d = item?.LUTDescriptor;
  if (!Array.isArray(d) || d.length < 2) return undefined;
  // LUT Descriptor: entries (0 means 65536), first mapped value (PS3.3 §C.11.2.1.1).
  const entries = Number(d[0]) === 0 ? 65536 : Number(d[0]);
  const first = Number(d[1]);
  if (!Number.isFinite(entries) || !Number.isFinite(first) || entries < 2) return undefined;
  return { center: first + entries / 2, width: entries, fn: 'LINEAR' };
}
