import { createHash } from 'node:crypto';
import type { JobPayload } from '@vetpacs/jobs';
import { ObjectIntegrityError, type ObjectStore } from '@vetpacs/storage';
import type { WorkerDeps } from '../deps';
import { derivedKeys } from '../lib/keys';
import { type MismatchKind, raiseIntegrityAlert } from './alerts';

export interface ScrubSettings {
  /** Objects younger than this are not reported as unindexed (ingest stores before it indexes). */
  unindexedGraceMs: number;
}

export interface ScrubReport {
  practices: number;
  checked: number;
  mismatches: number;
  repaired: number;
  unindexed: number;
}

const PAGE = 500;

/**
 * `integrity.scrub`: compares every stored original (every InstanceVersion) with the index. Always
 * checks existence and size against one listing of the practice's originals; a `full` scrub also
 * re-reads each object and compares its SHA-256. Objects nobody indexed are reported (never
 * deleted: an image is never thrown away by a machine). Damaged or missing originals are restored
 * from the second copy when there is one, the copy verified against the indexed SHA-256 before it
 * replaces anything.
 */
export function scrubHandler(deps: WorkerDeps, s: ScrubSettings) {
  return async (p: JobPayload<'integrity.scrub'>): Promise<ScrubReport> => {
    const practiceIds = p.practiceId ? [p.practiceId] : (await deps.db.practice.findMany({ select: { id: true } })).map((x) => x.id);
    const report: ScrubReport = { practices: practiceIds.length, checked: 0, mismatches: 0, repaired: 0, unindexed: 0 };
    for (const practiceId of practiceIds) await scrubPractice(deps, s, practiceId, p.full, report);
    deps.metrics.scrubRuns.inc({ full: String(p.full) });
    deps.log.info({ ...report, full: p.full }, 'integrity scrub finished');
    return report;
  };
}

async function scrubPractice(deps: WorkerDeps, s: ScrubSettings, practiceId: string, full: boolean, report: ScrubReport): Promise<void> {
  const listed = new Map<string, number>();
  for await (const o of deps.store.list(derivedKeys.originals(practiceId))) listed.set(o.key, o.size);
  let cursor: string | undefined;
  for (;;) {
    const page = await deps.db.instanceVersion.findMany({
      where: { practiceId },
      orderBy: { id: 'asc' },
      take: PAGE,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      select: { id: true, instanceId: true, version: true, objectKey: true, sha256: true, byteSize: true },
    });
    for (const v of page) {
      report.checked++;
      const size = listed.get(v.objectKey);
      listed.delete(v.objectKey);
      let problem: { kind: MismatchKind; detail: string } | undefined;
      if (size === undefined) problem = { kind: 'missing', detail: 'indexed original is not in the object store' };
      else if (size !== Number(v.byteSize)) problem = { kind: 'size', detail: `stored size ${size}, indexed ${v.byteSize}` };
      else if (full) {
        const actual = await hashObject(deps.store, v.objectKey);
        if (actual !== v.sha256) problem = { kind: 'hash', detail: `stored SHA-256 ${actual}, indexed ${v.sha256}` };
      }
      if (!problem) continue;
      report.mismatches++;
      const repaired = await repairFromReplica(deps, v.objectKey, v.sha256, Number(v.byteSize));
      if (repaired) report.repaired++;
      deps.metrics.integrityRepairs.inc({ result: repaired ? 'repaired' : deps.replica ? 'failed' : 'no_replica' });
      await raiseIntegrityAlert(deps, { practiceId, instanceId: v.instanceId, version: v.version, objectKey: v.objectKey, ...problem, repaired });
    }
    if (page.length < PAGE) break;
    cursor = page[page.length - 1]!.id;
  }
  // What is left was listed but is not indexed: a crash between store and index, or foreign data.
  const cutoff = Date.now() - s.unindexedGraceMs;
  for (const [key, size] of listed) {
    const info = await deps.store.head(key);
    if (!info || (info.lastModified && info.lastModified.getTime() > cutoff)) continue;
    report.unindexed++;
    await raiseIntegrityAlert(deps, { practiceId, kind: 'unindexed', objectKey: key, detail: `${size}-byte object under originals/ has no index row`, repaired: false });
  }
}

/** Streams an object through SHA-256 (constant memory). */
async function hashObject(store: ObjectStore, key: string): Promise<string> {
  const h = createHash('sha256');
  const { body } = await store.get(key);
  for await (const c of body) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * Restores `key` from the replica. The replica's bytes are verified against the indexed SHA-256
 * and size while they stream in (the put is atomic and keeps nothing on mismatch), so a damaged
 * replica can never overwrite anything. Returns false when there is no good copy.
 */
async function repairFromReplica(deps: WorkerDeps, key: string, sha256: string, size: number): Promise<boolean> {
  if (!deps.replica) return false;
  try {
    if (!(await deps.replica.head(key))) return false;
    const { body } = await deps.replica.get(key);
    await deps.store.put(key, body, { expectedSha256: sha256, expectedSize: size, contentType: 'application/dicom' });
    return true;
  } catch (err) {
    if (err instanceof ObjectIntegrityError) {
      deps.log.error({ key, err: err.message }, 'replica copy is damaged too');
      return false;
    }
    throw err;
  }
}
