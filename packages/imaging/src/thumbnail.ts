import type { ObjectStore } from '@vetpacs/storage';
import { type RenderedImage, renderFrame } from './render';
import { loadFrame, type StoredImage } from './source';

/** Longest side of stored thumbnails, in pixels (PS3.18 §8.3.5.1.1 leaves the size to the server). */
export const THUMBNAIL_SIZE = 256;

/** The representative frame of a multi-frame image (ultrasound cine, enhanced CT): the middle one. */
export function middleFrame(numberOfFrames: number): number {
  return Math.floor(Math.max(1, numberOfFrames) / 2);
}

/** Renders the thumbnail of a stored instance: middle frame, own window, JPEG, fit in THUMBNAIL_SIZE². */
export async function renderThumbnail(store: ObjectStore, img: StoredImage, opts: { size?: number; quality?: number } = {}): Promise<RenderedImage> {
  const loaded = await loadFrame(store, img, middleFrame(img.numberOfFrames));
  const size = opts.size ?? THUMBNAIL_SIZE;
  return renderFrame(loaded, { frame: loaded.frame, format: 'jpeg', quality: opts.quality ?? 80, viewport: { width: size, height: size } });
}
