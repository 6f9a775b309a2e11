import * as tus from 'tus-js-client';

export interface TusResult {
  uploadUrl: string;
  body: { uploadId: string; receipts: { status: string; code?: string; reason?: string; sopInstanceUid?: string; sha256?: string; member?: string; version?: number }[] };
}

/** Uploads `data` with the real tus-js-client; resolves with the final response's receipts. */
export function tusUpload(
  baseUrl: string,
  auth: string,
  data: Buffer,
  opts: {
    metadata?: Record<string, string>;
    chunkSize?: number;
    uploadUrl?: string;
    /** Abort (without terminating) once this fraction of the bytes has been sent. */
    abortAt?: number;
    onStarted?: (uploadUrl: string) => void;
  } = {},
): Promise<TusResult | { aborted: true; uploadUrl: string; offset: number }> {
  return new Promise((resolve, reject) => {
    let upload: tus.Upload;
    let aborted = false;
    upload = new tus.Upload(data, {
      endpoint: `${baseUrl}/api/uploads`,
      uploadUrl: opts.uploadUrl ? `${baseUrl}${new URL(opts.uploadUrl, baseUrl).pathname}` : undefined,
      chunkSize: opts.chunkSize ?? Number.POSITIVE_INFINITY,
      headers: { authorization: auth },
      metadata: { type: 'instance', ...opts.metadata },
      retryDelays: [],
      uploadSize: data.length,
      onUploadUrlAvailable: () => opts.onStarted?.(upload.url!),
      onChunkComplete: (_chunk, sent, total) => {
        if (opts.abortAt !== undefined && !aborted && sent / total >= opts.abortAt && sent < total) {
          aborted = true;
          void upload.abort(false).then(() => resolve({ aborted: true, uploadUrl: upload.url!, offset: sent }));
        }
      },
      onSuccess: (payload) => {
        const text = payload.lastResponse.getBody();
        resolve({ uploadUrl: upload.url!, body: JSON.parse(text) });
      },
      onError: (err) => {
        if (!aborted) reject(err);
      },
    });
    upload.start();
  });
}

/** Narrowing helper for tests. */
export function completed(r: Awaited<ReturnType<typeof tusUpload>>): TusResult {
  if ('aborted' in r) throw new Error('upload was aborted');
  return r;
}
