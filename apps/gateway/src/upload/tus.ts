import { createReadStream } from 'node:fs';
import { DefaultHttpStack, type DetailedError, Upload } from 'tus-js-client';
import type { CloudClient } from './cloud';
import type { Throttle } from './throttle';

/** What the final tus response (or a HEAD on a finished upload) said. */
export interface TusFinish {
  status: number;
  body: string;
  url: string;
}

/** A tus failure with the HTTP status when there was one (0 = network error). */
export class TusError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = 'TusError';
  }
}

/**
 * Reads slices of a spool file straight from disk through the shared bandwidth throttle: nothing is
 * buffered beyond one stream's high-water mark, and a resumed upload starts at any offset.
 */
function fileReader(throttle: Throttle) {
  return {
    async openFile(input: { path: string; size: number }) {
      return {
        size: input.size,
        slice(start: number, end: number) {
          const stop = Math.min(end, input.size);
          const stream = createReadStream(input.path, { start, end: Math.max(start, stop - 1), highWaterMark: 256 * 1024 }).pipe(throttle.stream());
          // The HTTP stack sets Content-Length from `size`.
          Object.assign(stream, { size: stop - start });
          return Promise.resolve({ value: stop > start ? stream : null, done: stop >= input.size });
        },
        close() {},
      };
    },
  };
}

/**
 * Runs one tus upload to completion: creates it (and reports the URL before any byte is sent so the
 * caller persists it), or resumes it from `url` — never silently re-created, because a vanished
 * upload may mean "already ingested" and the caller must ask for receipts first.
 */
export function runTusUpload(opts: {
  cloud: CloudClient;
  throttle: Throttle;
  path: string;
  size: number;
  url: string | null;
  metadata: Record<string, string>;
  chunkSize: number;
  onUrl: (url: string) => void;
  onOffset: (offset: number) => void;
  signal?: AbortSignal;
}): Promise<TusFinish> {
  return new Promise<TusFinish>((resolve, reject) => {
    const upload = new Upload({ path: opts.path, size: opts.size } as never, {
      endpoint: opts.url ? null : opts.cloud.uploadEndpoint,
      uploadUrl: opts.url,
      uploadSize: opts.size,
      metadata: opts.metadata,
      chunkSize: opts.chunkSize,
      // Retries are ours: persisted, with backoff and jitter, across restarts.
      retryDelays: null,
      storeFingerprintForResuming: false,
      headers: { Authorization: opts.cloud.authorization },
      httpStack: new DefaultHttpStack({ agent: opts.cloud.agent }),
      fileReader: fileReader(opts.throttle) as never,
      onUploadUrlAvailable: () => {
        if (upload.url && upload.url !== opts.url) opts.onUrl(upload.url);
      },
      onChunkComplete: (_chunk, accepted) => opts.onOffset(accepted),
      onSuccess: ({ lastResponse }) => resolve({ status: lastResponse.getStatus(), body: lastResponse.getBody() ?? '', url: upload.url ?? '' }),
      onError: (err) => {
        const res = (err as DetailedError).originalResponse;
        reject(new TusError(err.message, res?.getStatus() ?? 0, res?.getBody() ?? ''));
      },
    });
    opts.signal?.addEventListener('abort', () => {
      void upload.abort(false);
      reject(new TusError('aborted', 0, ''));
    });
    upload.start();
  });
}
