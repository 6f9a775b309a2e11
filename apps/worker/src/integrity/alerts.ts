import { recordAudit } from '@vetpacs/db';
import type { WorkerDeps } from '../deps';

/** What went wrong with a stored original. */
export type MismatchKind = 'missing' | 'size' | 'hash' | 'unindexed';

export interface IntegrityAlert {
  practiceId: string;
  kind: MismatchKind;
  objectKey: string;
  instanceId?: string;
  version?: number;
  detail: string;
  /** true: restored from the second copy and verified; false: needs a human. */
  repaired: boolean;
}

/**
 * Raises an integrity alert where operators look: an append-only audit event (action
 * `integrity.mismatch`, or `integrity.unindexed` for objects nobody indexed; shown in the admin
 * view), the `vetpacs_integrity_mismatches_total` metric (alert rules), and the worker log.
 */
export async function raiseIntegrityAlert(deps: WorkerDeps, a: IntegrityAlert): Promise<void> {
  deps.metrics.integrityMismatches.inc({ kind: a.kind, repaired: String(a.repaired) });
  deps.log.error({ ...a }, 'integrity alert');
  await recordAudit(deps.db, {
    practiceId: a.practiceId,
    actor: { type: 'SYSTEM', id: 'worker' },
    action: a.kind === 'unindexed' ? 'integrity.unindexed' : 'integrity.mismatch',
    entityType: a.instanceId ? 'instance' : 'object',
    entityId: a.instanceId ?? a.objectKey,
    details: { kind: a.kind, objectKey: a.objectKey, version: a.version ?? null, detail: a.detail, repaired: a.repaired },
  });
}
