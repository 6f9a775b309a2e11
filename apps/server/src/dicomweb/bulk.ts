import { type ParsedInstance, readDicomHeader } from '@vetpacs/dicom';
import type { ObjectStore } from '@vetpacs/storage';
import { AppError, notFound } from '../lib/errors';
import type { PixelInstance } from './repo';

type DataSet = ParsedInstance['dataset'];

/** Headers larger than this are not parsed on a request path (bulk data of such files → 413). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

/**
 * Finds the byte range of a bulk data value named by a BulkDataURI path of ingest's form
 * (`[seqTag, itemIndex, …,] tagHex`, see ingest/record.ts) by parsing the stored header up to the
 * Pixel Data value. Pixel Data itself is served by `/frames`.
 */
export async function locateBulk(store: ObjectStore, inst: PixelInstance, path: string[]): Promise<{ offset: number; length: number }> {
  if (!path.length || path.length % 2 === 0 || !path.every((p, i) => (i % 2 === 0 ? /^[0-9A-Fa-f]{8}$/.test(p) : /^\d+$/.test(p)))) {
    throw notFound('bulk data');
  }
  const end = inst.pixelDataOffset ?? inst.byteSize;
  if (end > MAX_HEADER_BYTES) throw new AppError(413, 'HEADER_TOO_LARGE', 'the data set before the pixel data is too large to index on request');
  const prefix = await store.getRange(inst.objectKey, 0, end);
  let parsed: ReturnType<typeof readDicomHeader>;
  try {
    parsed = readDicomHeader(prefix, { complete: inst.pixelDataOffset === null });
  } catch (err) {
    throw new AppError(500, 'STORED_OBJECT_UNREADABLE', 'stored object could not be parsed', { cause: err });
  }
  if (parsed.deflated) throw new AppError(406, 'NOT_ACCEPTABLE', 'bulk data of deflated originals is not addressable in the stored bytes');
  let ds: DataSet = parsed.dataset;
  for (let i = 0; i < path.length - 1; i += 2) {
    const item = ds.elements[`x${path[i]!.toLowerCase()}`]?.items?.[Number(path[i + 1])]?.dataSet;
    if (!item) throw notFound('bulk data');
    ds = item;
  }
  const el = ds.elements[`x${path.at(-1)!.toLowerCase()}`];
  if (!el || el.length === undefined || el.length < 0 || el.dataOffset === undefined) throw notFound('bulk data');
  return { offset: el.dataOffset, length: el.length };
}
