import Piscina from 'piscina';
import { ImageDecodeError } from './dataset';
import type { FrameSource } from './on-the-fly';
import { LosslessCheckError } from './transcode';
import { owned, runTranscodeTask, type TranscodeResult, type TranscodeTask } from './transcode-worker';

/** Decodes and re-encodes off the request thread; one pool per server, closed with it. */
export interface TranscodePool {
  /**
   * An instance's Part-10 file in `target` (see transcodeInstance). Takes ownership of `bytes`:
   * a buffer that owns its memory is transferred to the thread and detached here.
   */
  instance(bytes: Uint8Array, target: string): Promise<Buffer>;
  /** One frame's bytes in `target` (see transcodeFrame); the source is copied once into one transfer. */
  frame(source: FrameSource, target: string): Promise<{ data: Buffer; photometricInterpretation: string }>;
  close(): Promise<void>;
}

export interface TranscodePoolOptions {
  /**
   * Worker threads. 0 runs tasks on the calling thread (tests, tiny installs): a large JPEG 2000
   * decode then blocks the event loop for its duration.
   */
  threads: number;
  /** Idle threads exit after this, giving back their WASM heaps (tens of MB each). */
  idleTimeoutMs?: number;
}

function unwrap(r: TranscodeResult): { data: Buffer; photometricInterpretation: string } {
  if (!r.ok) throw r.name === 'LosslessCheckError' ? new LosslessCheckError(r.message) : new ImageDecodeError(r.message);
  return { data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), photometricInterpretation: r.photometricInterpretation ?? '' };
}

/**
 * A pool of worker threads for on-the-fly transcoding (piscina). WASM decoding of one large image
 * takes from tens of milliseconds (JPEG) to seconds (JPEG 2000); on the request thread that would
 * stall every other response. Input bytes are transferred to the thread, not copied. The pool has
 * no queue limit of its own: callers bound concurrency (and so memory) before they read bytes.
 */
export function createTranscodePool(opts: TranscodePoolOptions): TranscodePool {
  const pool =
    opts.threads > 0
      ? new Piscina({
          filename: new URL('./transcode-thread.mjs', import.meta.url).href,
          minThreads: 0,
          maxThreads: opts.threads,
          idleTimeout: opts.idleTimeoutMs ?? 60_000,
        })
      : undefined;
  const run = async (task: TranscodeTask, input: Uint8Array) => {
    if (!pool) return unwrap(await runTranscodeTask(task));
    return unwrap((await pool.run(task, { transferList: [input.buffer as ArrayBuffer] })) as TranscodeResult);
  };
  return {
    async instance(bytes, target) {
      const input = owned(bytes);
      return (await run({ kind: 'instance', bytes: input, target }, input)).data;
    },
    async frame(source, target) {
      // Header and frame go in one buffer so a single transfer moves both.
      const joined = new Uint8Array(source.bytes.byteLength + (source.pixel?.byteLength ?? 0));
      joined.set(source.bytes);
      if (source.pixel) joined.set(source.pixel, source.bytes.byteLength);
      const bytes = joined.subarray(0, source.bytes.byteLength);
      const pixel = source.pixel ? joined.subarray(source.bytes.byteLength) : undefined;
      return run({ kind: 'frame', source: { bytes, pixel, frame: source.frame }, target }, joined);
    },
    async close() {
      await pool?.destroy();
    },
  };
}
