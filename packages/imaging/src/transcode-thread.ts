import Piscina from 'piscina';
import { runTranscodeTask, type TranscodeTask } from './transcode-worker';

/**
 * Worker-thread entry of the transcoding pool. The result's bytes are transferred back (not
 * copied), so a transcoded instance exists once in memory on each side of the hand-over.
 */
export default async function transcodeThread(task: TranscodeTask) {
  const r = await runTranscodeTask(task);
  if (!r.ok) return r;
  // piscina's Transferable protocol (its symbols are typed as plain `symbol`, hence the cast).
  const transferable = {
    get [Piscina.transferableSymbol]() {
      return [r.data.buffer];
    },
    get [Piscina.valueSymbol]() {
      return r;
    },
  };
  return Piscina.move(transferable as unknown as ArrayBuffer);
}
