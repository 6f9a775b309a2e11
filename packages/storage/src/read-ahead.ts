import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Bytes per read: Node's own stream chunk size (larger fresh buffers cost full GCs, see docs). */
const CHUNK = 64 * 1024;

/**
 * A byte range of an open file as a stream, with several positional reads in flight. A plain
 * fs.ReadStream issues one 64 KiB read at a time and waits for it before the next, so a response
 * made of many small files spends most of its time waiting for thread-pool round trips; keeping
 * `depth` reads queued hides that latency. Chunks are pushed in file order. The stream owns the
 * handle and closes it when it ends, fails or is destroyed.
 */
export function readAhead(fh: FileHandle, start: number, end: number, depth = 4): Readable {
  let next = start; // next offset to request
  const pending: Promise<Buffer>[] = []; // in file order
  let pumping = false;

  const fill = () => {
    while (pending.length < depth && next <= end) {
      const length = Math.min(CHUNK, end - next + 1);
      const position = next;
      next += length;
      const read = fh.read(Buffer.allocUnsafeSlow(length), 0, length, position).then(({ buffer, bytesRead }) => {
        // The file shrank under us (it never should: objects are immutable): end early, no garbage.
        if (bytesRead < length) next = end + 1;
        return buffer.subarray(0, bytesRead);
      });
      read.catch(() => undefined); // surfaced in order by pump()
      pending.push(read);
    }
  };

  const stream = new Readable({
    highWaterMark: depth * CHUNK,
    read() {
      if (pumping) return;
      pumping = true;
      void (async () => {
        try {
          for (;;) {
            fill();
            const head = pending.shift();
            if (!head) {
              stream.push(null);
              return;
            }
            const chunk = await head;
            if (stream.destroyed) return;
            if (chunk.length === 0) continue;
            if (!stream.push(chunk)) return;
          }
        } catch (err) {
          stream.destroy(err as Error);
        } finally {
          pumping = false;
        }
      })();
    },
    destroy(err, cb) {
      // Let reads still in flight finish before the handle goes away.
      void Promise.allSettled(pending)
        .then(() => fh.close())
        .then(
          () => cb(err),
          () => cb(err),
        );
    },
  });
  return stream;
}
