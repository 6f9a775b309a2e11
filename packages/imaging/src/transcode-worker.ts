import { ImageDecodeError } from './dataset';
import { type FrameSource, transcodeFrame, transcodeInstance } from './on-the-fly';
import { LosslessCheckError } from './transcode';

/** A task of the on-the-fly transcoding pool (structured-cloned into the worker thread). */
export type TranscodeTask = { kind: 'instance'; bytes: Uint8Array; target: string } | { kind: 'frame'; source: FrameSource; target: string };

/** Errors cross the thread boundary as plain data: custom Error classes do not survive cloning. */
export type TranscodeResult = { ok: true; data: Uint8Array; photometricInterpretation?: string } | { ok: false; name: string; message: string };

/** A Uint8Array that owns its whole ArrayBuffer, so it can be transferred without detaching a shared pool. */
export function owned(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b;
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return copy;
}

/** Runs one task; used by the worker thread and, with no threads configured, inline. */
export async function runTranscodeTask(task: TranscodeTask): Promise<TranscodeResult> {
  try {
    if (task.kind === 'instance') return { ok: true, data: owned(await transcodeInstance(task.bytes, task.target)) };
    const { data, photometricInterpretation } = await transcodeFrame(task.source, task.target);
    return { ok: true, data: owned(data), photometricInterpretation };
  } catch (err) {
    if (err instanceof ImageDecodeError || err instanceof LosslessCheckError) return { ok: false, name: err.name, message: err.message };
    throw err;
  }
}
