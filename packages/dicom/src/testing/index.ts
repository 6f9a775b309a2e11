/**
 * Test support for code that handles DICOM: realistic veterinary Part-10 files generated in memory,
 * re-encoded with dcmtk, and corrupt variants. Not for production paths.
 */
export { type ConvertOptions, convertibleTransferSyntaxes, convertTransferSyntax } from './convert';
export { type CorruptVariant, makeCorruptVariants } from './corrupt';
export { type MakeDicomOptions, makeDicom, makeElements, type TestCode } from './make-dicom';
export { makePixels, type PixelSpec } from './pixels';
export { type Encoding, el, encodeValue, type WriteElement, type WriteValue, writeDataset, writeFileMeta } from './writer';
