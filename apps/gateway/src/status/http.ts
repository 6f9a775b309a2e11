import { createServer, type Server } from 'node:http';
import type { DatabaseSync } from 'node:sqlite';
import { formatBytes, formatDuration } from './render';
import type { StatusSnapshot } from './snapshot';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The LAN status page: one self-refreshing HTML page, plus the same data as JSON. */
export function renderHtml(s: StatusSnapshot): string {
  const q = s.queue;
  const total = Math.max(1, q.queued + q.uploading + q.verified + q.failedTransient + q.failedPermanent);
  const row = (label: string, n: number) => `<tr><th>${label}</th><td><progress max="${total}" value="${n}"></progress></td><td>${n}</td></tr>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>VetPACS gateway</title><style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left}progress{width:20em}.err{color:#a00}</style></head><body>
<h1>VetPACS gateway ${esc(s.version)}</h1>
<p>AE title <b>${esc(s.aeTitle)}</b> port ${esc(s.dimsePort)} · ${esc(s.at)}</p>
<h2>Queue</h2><table>${row('queued', q.queued)}${row('uploading', q.uploading)}${row('verified', q.verified)}${row('failed, retrying', q.failedTransient)}${row('rejected by the cloud', q.failedPermanent)}</table>
<p>Studies: ${s.studies.complete} complete in the cloud, ${s.studies.incomplete} not yet.</p>
<p>Pending ${q.pendingInstances} instances (${esc(formatBytes(q.pendingBytes))}), oldest since ${esc(s.oldestPendingAt ?? '—')} · throughput ${esc(formatBytes(s.throughputBytesPerSec))}/s · ETA ${esc(formatDuration(s.etaSeconds))}
· LAN cache ${esc(formatBytes(q.cachedBytes))}${s.diskFreeBytes !== undefined ? ` · disk free ${esc(formatBytes(s.diskFreeBytes))}` : ''}</p>
${s.uploads.length ? `<h2>Uploads in flight</h2><table>${s.uploads.map((u) => `<tr><td>#${u.id}</td><td><progress max="${u.size}" value="${u.offset}"></progress></td><td>${esc(formatBytes(u.offset))} / ${esc(formatBytes(u.size))}</td></tr>`).join('')}</table>` : ''}
<h2>Modalities</h2><table><tr><th>calling AE</th><th>last C-STORE</th><th>instances</th><th>address</th></tr>${s.lastCStoreByAe.map((a) => `<tr><td>${esc(a.callingAe)}</td><td>${esc(a.at)}</td><td>${a.stores}</td><td>${esc(a.address)}</td></tr>`).join('')}</table>
${s.permanentFailures.length ? `<h2 class="err">Rejected by the cloud (kept here)</h2><table>${s.permanentFailures.map((f) => `<tr><td>${esc(f.sopInstanceUid)}</td><td>${esc(f.callingAe)}</td><td>${esc(f.code)}</td><td>${esc(f.reason)}</td></tr>`).join('')}</table>` : ''}
<p>Storage commitment: ${s.commitments.pending} pending, ${s.commitments.delivered} reported.</p>
<p class="err">${s.lastError ? `Last error ${esc(s.lastError.at)}: ${esc(s.lastError.message)}` : ''}</p>
</body></html>`;
}

/**
 * Why the gateway is not healthy, or null: the queue database must answer a query (every C-STORE
 * is committed there before it is acknowledged) and the DICOM listener must be accepting.
 */
export function healthProblem(db: DatabaseSync, dicomListening: () => boolean): string | null {
  try {
    db.prepare('select 1').get();
  } catch (err) {
    return `queue database unavailable: ${(err as Error).message}`;
  }
  return dicomListening() ? null : 'DICOM listener is not accepting connections';
}

/**
 * Starts the status server; resolves with the bound port. `/healthz` answers 200 "ok", or 503 with
 * the reason `health` gives.
 */
export function startStatusServer(
  snapshot: () => Promise<StatusSnapshot>,
  health: () => string | null,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/healthz') {
      const problem = health();
      res.writeHead(problem ? 503 : 200, { 'content-type': 'text/plain' }).end(`${problem ?? 'ok'}\n`);
      return;
    }
    if (url.pathname !== '/' && url.pathname !== '/status.json') {
      res.writeHead(404).end();
      return;
    }
    snapshot().then(
      (s) => {
        if (url.pathname === '/status.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s));
        else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(renderHtml(s));
      },
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`status unavailable: ${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : port });
    });
  });
}
