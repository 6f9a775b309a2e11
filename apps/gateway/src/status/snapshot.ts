import type { DatabaseSync } from 'node:sqlite';

/** Everything an operator (status page, `status` command) and the cloud heartbeat get to see. */
export interface StatusSnapshot {
  at: string;
  version: string;
  aeTitle?: string;
  dimsePort?: number;
  queue: {
    queued: number;
    uploading: number;
    verified: number;
    failedTransient: number;
    failedPermanent: number;
    pendingInstances: number;
    pendingBytes: number;
    cachedBytes: number;
  };
  /** A study is complete in the cloud only when every one of its instances is verified. */
  studies: { complete: number; incomplete: number };
  oldestPendingAt: string | null;
  throughputBytesPerSec: number;
  etaSeconds: number | null;
  lastError: { at: string; message: string } | null;
  permanentFailures: { id: number; sopInstanceUid: string; studyInstanceUid: string | null; callingAe: string | null; code: string | null; reason: string | null }[];
  uploads: { id: number; offset: number; size: number }[];
  lastCStoreByAe: { callingAe: string; at: string; stores: number; address: string | null }[];
  commitments: { pending: number; delivered: number };
  diskFreeBytes?: number;
  importer?: unknown;
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/**
 * Builds the status from the queue database; `live` adds what only the running process knows
 * (uploads in flight, current rate). Without it, throughput is taken from the last ten minutes of
 * verified bytes, so the `status` command works even when the gateway is stopped.
 */
export function buildSnapshot(
  db: DatabaseSync,
  live: { version: string; aeTitle?: string; dimsePort?: number; rate?: number; uploads?: StatusSnapshot['uploads']; diskFreeBytes?: number; importer?: unknown } = { version: 'unknown' },
  now = Date.now(),
): StatusSnapshot {
  const count = (where: string) => (db.prepare(`select count(*) as n from instance where ${where}`).get() as { n: number }).n;
  const sum = (where: string) => (db.prepare(`select coalesce(sum(size), 0) as b from instance where ${where}`).get() as { b: number }).b;
  const oldest = db.prepare(`select min(received_at) as t from instance where state != 'verified' and not (state = 'failed' and fail_class = 'permanent')`).get() as { t: number | null };
  const recentVerified = sum(`verified_at >= ${now - 600_000}`);
  const pendingBytes = sum(`state != 'verified' and not (state = 'failed' and fail_class = 'permanent')`);
  const rate = live.rate ?? recentVerified / 600;
  const lastError = db.prepare(`select at, message from event where level in ('warn','error') order by id desc limit 1`).get() as { at: number; message: string } | undefined;
  const commit = (state: string) => (db.prepare('select count(*) as n from commitment where state = ?').get(state) as { n: number }).n;
  return {
    at: new Date(now).toISOString(),
    version: live.version,
    aeTitle: live.aeTitle,
    dimsePort: live.dimsePort,
    queue: {
      queued: count(`state = 'queued'`),
      uploading: count(`state = 'uploading'`),
      verified: count(`state = 'verified'`),
      failedTransient: count(`state = 'failed' and fail_class = 'transient'`),
      failedPermanent: count(`state = 'failed' and fail_class = 'permanent'`),
      pendingInstances: count(`state != 'verified' and not (state = 'failed' and fail_class = 'permanent')`),
      pendingBytes,
      cachedBytes: sum(`state = 'verified' and forgotten_at is null`),
    },
    studies: db.prepare(
      `select coalesce(sum(done), 0) as complete, coalesce(sum(1 - done), 0) as incomplete from
        (select min(state = 'verified') as done from instance where study_instance_uid is not null group by study_instance_uid)`,
    ).get() as { complete: number; incomplete: number },
    oldestPendingAt: iso(oldest.t),
    throughputBytesPerSec: Math.round(rate),
    etaSeconds: pendingBytes === 0 ? 0 : rate > 0 ? Math.round(pendingBytes / rate) : null,
    lastError: lastError ? { at: iso(lastError.at)!, message: lastError.message } : null,
    permanentFailures: (
      db.prepare(`select id, sop_instance_uid, study_instance_uid, calling_ae, fail_code, fail_reason from instance where state = 'failed' and fail_class = 'permanent' order by id desc limit 50`).all() as {
        id: number; sop_instance_uid: string; study_instance_uid: string | null; calling_ae: string | null; fail_code: string | null; fail_reason: string | null;
      }[]
    ).map((r) => ({ id: r.id, sopInstanceUid: r.sop_instance_uid, studyInstanceUid: r.study_instance_uid, callingAe: r.calling_ae, code: r.fail_code, reason: r.fail_reason })),
    uploads: live.uploads ?? [],
    lastCStoreByAe: (db.prepare('select * from ae_activity order by calling_ae').all() as { calling_ae: string; last_store_at: number; stores: number; last_address: string | null }[]).map((r) => ({
      callingAe: r.calling_ae, at: iso(r.last_store_at)!, stores: r.stores, address: r.last_address,
    })),
    commitments: { pending: commit('pending'), delivered: commit('delivered') },
    diskFreeBytes: live.diskFreeBytes,
    importer: live.importer,
  };
}
