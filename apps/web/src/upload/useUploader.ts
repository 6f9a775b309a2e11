import Uppy, { type UppyFile } from '@uppy/core';
import Tus from '@uppy/tus';
import { useEffect, useMemo, useState } from 'react';
import { api, CSRF_HEADERS, type Receipt } from '../api';
import type { PickedFile } from './files';

type Meta = { filename: string; relativePath: string };
type Body = Record<string, never>;

/** One row of the upload list. */
export interface UploadRow {
  id: string;
  path: string;
  size: number;
  percent: number;
  state: 'waiting' | 'uploading' | 'paused' | 'done' | 'error';
  error?: string;
  receipts?: Receipt[];
}

/**
 * Uppy with the tus plugin against `/api/uploads` (one Part-10 file per tus upload). tus resumes
 * from the server's offset after a dropped connection (retryDelays) and across page reloads
 * (Uppy keeps upload URLs by file fingerprint). Receipts come in the final PATCH response, or
 * from `GET /api/receipts/{uploadId}` when the upload was already complete on resume.
 */
export function useUploader() {
  const [receipts, setReceipts] = useState<Record<string, Receipt[]>>({});
  const [, setTick] = useState(0);

  const uppy = useMemo(() => {
    const u = new Uppy<Meta, Body>({ autoProceed: true, allowMultipleUploadBatches: true });
    u.use(Tus, {
      endpoint: '/api/uploads',
      headers: CSRF_HEADERS,
      // Upload-Metadata: only the file name; the server treats each upload as one instance.
      allowedMetaFields: ['filename'],
      limit: 4,
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
      removeFingerprintOnSuccess: true,
    });
    return u;
  }, []);

  useEffect(() => {
    let frame = 0;
    // Progress events arrive per chunk for every file: repaint at most once per frame.
    const repaint = () => {
      if (!frame) frame = requestAnimationFrame(() => {
        frame = 0;
        setTick((n) => n + 1);
      });
    };
    const onSuccess = (file: UppyFile<Meta, Body> | undefined, response: { uploadURL?: string; body?: unknown }) => {
      if (!file) return;
      const xhr = (response.body as { xhr?: XMLHttpRequest } | undefined)?.xhr;
      let got: Receipt[] | null = null;
      try {
        got = (JSON.parse(xhr?.responseText ?? '') as { receipts?: Receipt[] }).receipts ?? null;
      } catch {
        got = null;
      }
      if (got) setReceipts((r) => ({ ...r, [file.id]: got }));
      else if (response.uploadURL) {
        const uploadId = response.uploadURL.split('/').pop() ?? '';
        void api<{ receipts: Receipt[] }>(`/api/receipts/${encodeURIComponent(uploadId)}`)
          .then((res) => setReceipts((r) => ({ ...r, [file.id]: res.receipts })))
          .catch(() => undefined);
      }
    };
    const online = () => void uppy.retryAll();
    uppy.on('state-update', repaint);
    uppy.on('upload-success', onSuccess);
    window.addEventListener('online', online);
    return () => {
      uppy.off('state-update', repaint);
      uppy.off('upload-success', onSuccess);
      window.removeEventListener('online', online);
      cancelAnimationFrame(frame);
    };
  }, [uppy]);

  function add(files: PickedFile[]) {
    uppy.addFiles(
      files.map((f) => ({
        name: f.path.split('/').pop() ?? f.path,
        type: 'application/dicom',
        data: f.file,
        source: 'Local',
        meta: { filename: f.path.split('/').pop() ?? f.path, relativePath: f.path },
      })),
    );
  }

  const state = uppy.getState();
  const rows: UploadRow[] = Object.values(state.files).map((f) => {
    const done = Boolean(f.progress.uploadComplete);
    return {
      id: f.id,
      path: f.meta.relativePath || f.name || f.id,
      size: f.size ?? 0,
      percent: f.progress.percentage ?? 0,
      state: f.error ? 'error' : done ? 'done' : f.isPaused ? 'paused' : f.progress.uploadStarted ? 'uploading' : 'waiting',
      error: f.error ?? undefined,
      receipts: receipts[f.id],
    };
  });
  const totalBytes = rows.reduce((n, r) => n + r.size, 0);
  const sentBytes = rows.reduce((n, r) => n + (r.size * r.percent) / 100, 0);
  return {
    rows,
    overall: totalBytes ? Math.round((sentBytes / totalBytes) * 100) : 0,
    add,
    pause: () => uppy.pauseAll(),
    resume: () => uppy.resumeAll(),
    retry: () => void uppy.retryAll(),
    clear: () => {
      uppy.cancelAll();
      setReceipts({});
    },
  };
}
