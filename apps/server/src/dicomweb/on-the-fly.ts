import { Readable } from 'node:stream';
import type { Db } from '@vetpacs/db';
import { TransferSyntax } from '@vetpacs/dicom';
import { canTranscodeOnTheFly, frameSourceSize, ImageDecodeError, LosslessCheckError, readAll, readFrameSource, type StoredImage, type TranscodePool } from '@vetpacs/imaging';
import type { ObjectStore } from '@vetpacs/storage';
import { AppError } from '../lib/errors';
import type { OutPart } from './multipart-writer';
import { semaphore } from './semaphore';

/**
 * Part of the ETag of transcoded representations: bump when the codecs or the transcoding change
 * the bytes they produce, so caches do not keep the old ones.
 */
export const ON_THE_FLY_VERSION = 'otf1';

const NATIVE_LE = new Set<string>([TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]);

/** What deciding and transcoding need of one instance. */
export interface TranscodableInstance {
  id: string;
  transferSyntaxUid: string;
  byteSize: number;
}

export interface OnTheFlyOptions {
  /** TRANSCODE_ON_THE_FLY_MAX_BYTES: stored bytes read and decoded bytes, each at most this. */
  maxBytes: number;
  /** Transcodes in progress at once (each holds its instance in memory). */
  concurrency: number;
}

/**
 * On-the-fly transcoding for WADO-RS (PS3.18 §8.7.3.5): serves an instance or a frame in a
 * transfer syntax it is not stored in, when our decoders read its syntax, the target is one we
 * write (native little endian or a verified lossless one), and it fits the memory cap. The
 * original is only read. Concurrency is bounded before any byte is read, so memory is at most
 * `concurrency` × (stored + decoded + output) regardless of how many requests wait.
 */
export class OnTheFly {
  private readonly limit: ReturnType<typeof semaphore>;

  constructor(
    private readonly db: Db,
    private readonly store: ObjectStore,
    private readonly pool: TranscodePool,
    private readonly opts: OnTheFlyOptions,
  ) {
    this.limit = semaphore(Math.max(1, opts.concurrency));
  }

  /** Decoded pixel data size per instance (Rows × Columns × Samples × bytes × frames), by id. */
  async decodedSizes(practiceId: string, ids: string[]): Promise<Map<string, number>> {
    if (!ids.length) return new Map();
    const rows = await this.db.$queryRaw<{ id: string; size: number | null }[]>`
      SELECT id, (rows::bigint * columns * coalesce((metadata->'00280002'->'Value'->>0)::int, 1)
                  * ceil(coalesce(bits_allocated, 16) / 8.0) * greatest(number_of_frames, 1))::float8 AS size
      FROM instance WHERE practice_id = ${practiceId}::uuid AND id = ANY(${ids}::uuid[])`;
    return new Map(rows.map((r) => [r.id, r.size ?? 0]));
  }

  /**
   * Whole instance in `target`: syntax pair supported, stored and decoded sizes within the cap.
   * Compressed targets need pixel data (a structured report cannot be JPEG-LS encoded); native
   * targets only re-encode the data set.
   */
  fitsInstance(inst: TranscodableInstance, decodedSize: number | undefined, target: string): boolean {
    const size = decodedSize ?? 0;
    if (size === 0 && !NATIVE_LE.has(target)) return false;
    return canTranscodeOnTheFly(inst.transferSyntaxUid, target) && inst.byteSize <= this.opts.maxBytes && size <= this.opts.maxBytes;
  }

  /** One frame in `target`: the bytes read for it (whole file, or header + frame) and its decoded size within the cap. */
  fitsFrame(img: StoredImage, frame: number, decodedFrameSize: number, target: string): boolean {
    return canTranscodeOnTheFly(img.transferSyntaxUid, target) && frameSourceSize(img, frame, { wholeFileLimit: 0 }) <= this.opts.maxBytes && decodedFrameSize <= this.opts.maxBytes;
  }

  /** The instance's Part-10 bytes in `target`. */
  async instance(objectKey: string, target: string): Promise<Buffer> {
    return this.limit(() =>
      translate(async () => {
        const original = await readAll(this.store, objectKey);
        return this.pool.instance(original, target);
      }),
    );
  }

  /**
   * Frame `frame` (0-based) in `target`. Multi-frame files are read as header plus that frame only
   * (viewers ask for frames one by one: decoding the whole cine per request would be quadratic).
   */
  async frame(img: StoredImage, frame: number, target: string): Promise<Buffer> {
    return this.limit(() =>
      translate(async () => {
        const src = await readFrameSource(this.store, img, frame, { wholeFileLimit: 0 });
        return (await this.pool.frame(src, target)).data;
      }),
    );
  }
}

/** Decoder failures become 406 (the client can still ask for `transfer-syntax=*`). */
async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ImageDecodeError || err instanceof LosslessCheckError) {
      throw new AppError(406, 'NOT_ACCEPTABLE', `cannot transcode on the fly: ${err.message}; request transfer-syntax=* for the stored bytes`, { cause: err });
    }
    throw err;
  }
}

/** A finished buffer as a part body. */
export const bufferStream = (b: Buffer) => Readable.from([b]);

/** A part whose body is transcoded on the fly when opened. */
export interface TranscodedPart extends OutPart {
  load?: () => Promise<Buffer>;
}

/** A part made by `load` when the response streams (the next part is made while this one is sent). */
export function transcodedPart(contentType: string, load: () => Promise<Buffer>): TranscodedPart {
  return { contentType, load, open: async () => bufferStream(await load()) };
}

/**
 * A response of one transcoded part is made before the response starts, so a decoder failure
 * still gets its status code (not a cut-off body) and the response a Content-Length. Responses of
 * several parts stream: the status is sent before the later parts exist (a failure then ends
 * the body early, which multipart clients detect by the missing close delimiter).
 */
export async function settleSingle(parts: TranscodedPart[], method: string): Promise<OutPart[]> {
  const only = parts[0];
  if (method === 'HEAD' || parts.length !== 1 || !only?.load) return parts;
  const data = await only.load();
  return [{ contentType: only.contentType, length: data.length, open: () => bufferStream(data) }];
}
