import { Transform, type TransformCallback } from 'node:stream';
import { HeaderCollector, type HeaderOptions } from './header-collector';
import type { ParsedInstance } from './types';

/** Options of {@link readDicomHeader}. */
export interface ReadHeaderOptions extends HeaderOptions {
  /**
   * `source` is the whole file: a Pixel Data value that ends early is then TRUNCATED. Default
   * false: `source` may stop anywhere after the start of the Pixel Data value, and
   * `pixelData.complete` tells whether it was all there.
   */
  complete?: boolean;
}

/**
 * Parses a DICOM file, or a prefix of one reaching at least the start of the Pixel Data value, from
 * memory. Throws {@link DicomValidationError} on unacceptable input.
 */
export function readDicomHeader(source: Uint8Array, options: ReadHeaderOptions = {}): ParsedInstance {
  const c = new HeaderCollector(options);
  c.push(source);
  return options.complete ? c.finish() : c.finishPartial();
}

/**
 * A pass-through stream that parses what flows through it: pipe the upload through it on its way
 * to storage (`pipeline(req, tap, upload)`). `result` settles when the stream ends; a validation
 * failure destroys the stream with the {@link DicomValidationError}, aborting the pipeline.
 */
export class HeaderTap extends Transform {
  readonly collector: HeaderCollector;
  /** Resolves with the parsed instance at end of stream, rejects with the validation error. */
  readonly result: Promise<ParsedInstance>;
  private settle!: { resolve: (p: ParsedInstance) => void; reject: (e: unknown) => void };

  constructor(options: HeaderOptions = {}) {
    super();
    this.collector = new HeaderCollector(options);
    this.result = new Promise<ParsedInstance>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // The caller may only await `result` after the pipeline: never report an unhandled rejection.
    this.result.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.collector.push(chunk);
    } catch (e) {
      this.settle.reject(e);
      callback(e as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.settle.resolve(this.collector.finish());
      callback();
    } catch (e) {
      this.settle.reject(e);
      callback(e as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.settle.reject(error ?? new Error('HeaderTap destroyed before the end of the stream'));
    callback(error);
  }
}
