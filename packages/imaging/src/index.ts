/**
 * @vetpacs/imaging: decoding and rendering of stored DICOM frames, shared by the worker (thumbnails,
 * transcodes) and the server (DICOMweb /rendered and /thumbnail). WASM codecs from dcmjs-imaging and
 * dcmjs-codecs; sharp for JPEG/PNG/WebP.
 */
export { initCodecs } from './codecs';
export { frameCount, type ImageDataset, ImageDecodeError, isColour, parsePart10 } from './dataset';
export { type RenderedImage, type RenderFormat, type RenderOptions, renderFrame, type Viewport, voiLutWindow, type WindowSpec } from './render';
export { type LoadedFrame, loadFrame, readAll, type StoredImage, WHOLE_FILE_LIMIT } from './source';
export { decodeToNative, LOSSLESS_COPY_SYNTAX, LosslessCheckError, type TranscodeCandidate, transcodeTargets, transcodeVerified } from './transcode';
export { renderThumbnail, THUMBNAIL_SIZE, middleFrame } from './thumbnail';
