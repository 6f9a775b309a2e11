/**
 * @vetpacs/imaging: decoding and rendering of stored DICOM frames, shared by the worker (thumbnails,
 * transcodes) and the server (DICOMweb /rendered and /thumbnail, on-the-fly transcoding). WASM
 * codecs from dcmjs-imaging and dcmjs-codecs; sharp for JPEG/PNG/WebP.
 */
export { initCodecs } from './codecs';
export { frameCount, type ImageDataset, ImageDecodeError, isColour, parsePart10 } from './dataset';
export { canTranscodeOnTheFly, type FrameSource, transcodeFrame, transcodeInstance } from './on-the-fly';
export { type RenderedImage, type RenderFormat, type RenderOptions, renderFrame, type Viewport, voiLutWindow, type WindowSpec } from './render';
export { frameSourceSize, type LoadedFrame, loadFrame, readAll, readFrameSource, type StoredImage } from './source';
export { decodeToNative, LOSSLESS_COPY_SYNTAX, LosslessCheckError, type TranscodeCandidate, type TranscodePolicy, transcodeTargets, transcodeVerified } from './transcode';
export { createTranscodePool, type TranscodePool, type TranscodePoolOptions } from './transcode-pool';
export { renderThumbnail, THUMBNAIL_SIZE, middleFrame } from './thumbnail';
