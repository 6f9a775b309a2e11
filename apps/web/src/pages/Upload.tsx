import { type DragEvent, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { Receipt } from '../api';
import { EmptyState } from '../components/States';
import { formatBytes } from '../components/StudyBits';
import { filesFromDrop, filesFromInput, isPart10Image, type PickedFile } from '../upload/files';
import { type UploadRow, useUploader } from '../upload/useUploader';

/** Drag a folder or files (a referral CD, a USB stick) into the portal; tus upload with receipts. */
export function UploadPage() {
  const up = useUploader();
  const [over, setOver] = useState(false);
  const [skipped, setSkipped] = useState<string[]>([]);
  const [scanning, setScanning] = useState(false);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  async function accept(picked: PickedFile[]) {
    setScanning(true);
    try {
      const checks = await Promise.all(picked.map(isPart10Image));
      setSkipped((s) => [...s, ...picked.filter((_, i) => !checks[i]).map((f) => f.path)]);
      up.add(picked.filter((_, i) => checks[i]));
    } finally {
      setScanning(false);
    }
  }

  async function onDrop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    await accept(await filesFromDrop(e.dataTransfer));
  }

  const done = up.rows.filter((r) => r.state === 'done').length;
  const failed = up.rows.filter((r) => r.state === 'error').length;
  const counts = countReceipts(up.rows);

  return (
    <div className="upload-page">
      <section className="panel" aria-labelledby="upload-title">
        <h1 id="upload-title">Upload images</h1>
        <p className="muted">
          Drop a folder (a referral CD, a USB stick) or DICOM files. Uploads resume after a dropped connection; every image gets a receipt.
        </p>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the drop target; the buttons below are the keyboard path */}
        <div
          className={`dropzone${over ? ' is-over' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => void onDrop(e)}
        >
          <p>Drag a folder or files here</p>
          <div className="dropzone-buttons">
            <button type="button" className="btn" onClick={() => filesInput.current?.click()}>
              Choose files
            </button>
            <button type="button" className="btn" onClick={() => folderInput.current?.click()}>
              Choose folder
            </button>
          </div>
          <input
            ref={filesInput}
            type="file"
            multiple
            hidden
            data-testid="file-input"
            onChange={(e) => {
              void accept(filesFromInput(e.target.files));
              e.target.value = '';
            }}
          />
          <input
            ref={folderInput}
            type="file"
            hidden
            data-testid="folder-input"
            webkitdirectory=""
            onChange={(e) => {
              void accept(filesFromInput(e.target.files));
              e.target.value = '';
            }}
          />
        </div>
        {scanning && <p role="status">Checking files…</p>}
      </section>

      {up.rows.length > 0 && (
        <section className="panel" aria-labelledby="progress-title">
          <div className="results-head">
            <h2 id="progress-title">
              {done} of {up.rows.length} files uploaded{failed ? `, ${failed} failed` : ''}
            </h2>
            <div className="row-buttons">
              <button type="button" className="btn" onClick={up.pause}>
                Pause
              </button>
              <button type="button" className="btn" onClick={up.resume}>
                Resume
              </button>
              {failed > 0 && (
                <button type="button" className="btn" onClick={up.retry}>
                  Retry failed
                </button>
              )}
              <button type="button" className="btn btn-quiet" onClick={up.clear}>
                Clear
              </button>
            </div>
          </div>
          <label className="overall">
            Overall progress <span data-testid="overall-percent">{up.overall}%</span>
            <progress max={100} value={up.overall} />
          </label>
          <p className="receipt-summary" data-testid="receipt-summary" aria-live="polite">
            Receipts: {counts.STORED} stored, {counts.DUPLICATE} already stored, {counts.CONFLICT} conflicts, {counts.REJECTED} rejected.{' '}
            {done === up.rows.length && counts.STORED + counts.DUPLICATE > 0 && <Link to="/">See the studies</Link>}
          </p>
          <ul className="upload-list">
            {up.rows.map((r) => (
              <UploadItem key={r.id} row={r} />
            ))}
          </ul>
        </section>
      )}

      {skipped.length > 0 && (
        <section className="panel" aria-labelledby="skipped-title">
          <h2 id="skipped-title">Skipped {skipped.length} files that are not DICOM images</h2>
          <p className="muted">DICOMDIR indexes, viewer programs and other files on a disc are not uploaded.</p>
          <details>
            <summary>Show skipped files</summary>
            <ul className="mono small">
              {skipped.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          </details>
        </section>
      )}
      {up.rows.length === 0 && skipped.length === 0 && <EmptyState title="Nothing uploaded in this session yet" />}
    </div>
  );
}

function countReceipts(rows: UploadRow[]) {
  const c: Record<Receipt['status'], number> = { STORED: 0, DUPLICATE: 0, CONFLICT: 0, REJECTED: 0 };
  for (const r of rows) for (const rc of r.receipts ?? []) c[rc.status]++;
  return c;
}

function UploadItem({ row }: { row: UploadRow }) {
  return (
    <li className={`upload-item state-${row.state}`} data-state={row.state}>
      <div className="upload-name mono small">{row.path}</div>
      <div className="upload-meta small">
        {formatBytes(row.size)} · {row.state === 'error' ? <span className="error-text">{row.error}</span> : `${Math.round(row.percent)}%`}
      </div>
      <progress max={100} value={row.percent} aria-label={`${row.path} progress`} />
      {row.receipts?.map((r) => (
        <div key={`${r.sopInstanceUid}-${r.status}`} className="small">
          <span className={`receipt receipt-${r.status.toLowerCase()}`}>{r.status.toLowerCase()}</span>
          {r.reason && <span> — {r.reason}</span>}
          {r.sha256 && <span className="mono muted"> SHA-256 {r.sha256.slice(0, 16)}…</span>}
        </div>
      ))}
    </li>
  );
}
