import type { StatusSnapshot } from './snapshot';

/** A text progress bar: `bar(0.42, 20)` → `████████░░░░░░░░░░░░`. */
export function bar(fraction: number, width = 30): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function formatDuration(s: number | null): string {
  if (s === null) return 'unknown (no throughput yet)';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** The `status` command's screen: queue by state with bars, throughput, ETA, last error. */
export function renderStatus(s: StatusSnapshot): string {
  const q = s.queue;
  const total = Math.max(1, q.queued + q.uploading + q.verified + q.failedTransient + q.failedPermanent);
  const row = (label: string, n: number) => `  ${label.padEnd(18)} ${bar(n / total)} ${String(n).padStart(7)}`;
  const lines = [
    `VetPACS gateway ${s.version}${s.aeTitle ? `  AE ${s.aeTitle}:${s.dimsePort}` : ''}  (${s.at})`,
    '',
    'Queue',
    row('queued', q.queued),
    row('uploading', q.uploading),
    row('verified', q.verified),
    row('failed (retrying)', q.failedTransient),
    row('failed (rejected)', q.failedPermanent),
    '',
    `  studies            ${s.studies.complete} complete in the cloud, ${s.studies.incomplete} not yet`,
    `  pending            ${q.pendingInstances} instances, ${formatBytes(q.pendingBytes)}; oldest since ${s.oldestPendingAt ?? '—'}`,
    `  LAN cache          ${formatBytes(q.cachedBytes)}${s.diskFreeBytes !== undefined ? `; disk free ${formatBytes(s.diskFreeBytes)}` : ''}`,
    `  throughput         ${formatBytes(s.throughputBytesPerSec)}/s`,
    `  ETA                ${formatDuration(s.etaSeconds)}`,
  ];
  if (s.uploads.length) {
    lines.push('', 'Uploads in flight');
    for (const u of s.uploads) lines.push(`  #${String(u.id).padEnd(6)} ${bar(u.offset / Math.max(1, u.size))} ${formatBytes(u.offset)} / ${formatBytes(u.size)}`);
  }
  if (s.lastCStoreByAe.length) {
    lines.push('', 'Modalities (last C-STORE)');
    for (const a of s.lastCStoreByAe) lines.push(`  ${a.callingAe.padEnd(16)} ${a.at}  ${a.stores} instances  ${a.address ?? ''}`);
  }
  if (s.permanentFailures.length) {
    lines.push('', `Rejected by the cloud (kept locally; ${q.failedPermanent})`);
    for (const f of s.permanentFailures.slice(0, 10)) lines.push(`  #${f.id} ${f.sopInstanceUid}  ${f.code}: ${f.reason}`);
  }
  lines.push('', `Storage commitment: ${s.commitments.pending} pending, ${s.commitments.delivered} reported`);
  lines.push(`Last error: ${s.lastError ? `${s.lastError.at} ${s.lastError.message}` : 'none'}`);
  return lines.join('\n');
}
