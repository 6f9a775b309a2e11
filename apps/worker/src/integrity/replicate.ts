import { type JobPayload, PermanentJobError } from '@vetpacs/jobs';
import { ObjectIntegrityError } from '@vetpacs/storage';
import type { WorkerDeps } from '../deps';
import { raiseIntegrityAlert } from './alerts';

/**
 * `instance.replicate`: copies one stored version of an original to the second object store under
 * the same key, verified by hash while streaming (the replica put rejects and keeps nothing unless
 * the bytes hash to the SHA-256 recorded at ingest). Safe to run twice: an existing copy of the
 * right size is kept; the scrub re-hashes replicas when it needs them for a repair.
 */
export function replicateHandler(deps: WorkerDeps) {
  return async (p: JobPayload<'instance.replicate'>) => {
    const replica = deps.replica;
    if (!replica) return { skipped: 'no replica configured' };
    const v = await deps.db.instanceVersion.findFirst({ where: { instanceId: p.instanceId, version: p.version, practiceId: p.practiceId } });
    if (!v) return { skipped: 'version gone' };
    const size = Number(v.byteSize);
    if ((await replica.head(v.objectKey))?.size === size) return { skipped: 'already replicated' };
    const { body } = await deps.store.get(v.objectKey);
    try {
      await replica.put(v.objectKey, body, { expectedSha256: v.sha256, expectedSize: size, contentType: 'application/dicom' });
    } catch (err) {
      if (!(err instanceof ObjectIntegrityError)) throw err;
      // The primary no longer holds the ingested bytes: nothing to copy from. Raise it; the scrub
      // decides about repair. Retrying would copy the same damaged bytes.
      await raiseIntegrityAlert(deps, {
        practiceId: p.practiceId, kind: 'hash', objectKey: v.objectKey, instanceId: v.instanceId, version: v.version,
        detail: `primary copy failed verification while replicating: ${(err as Error).message}`, repaired: false,
      });
      throw new PermanentJobError(`primary ${v.objectKey} does not match its SHA-256`);
    }
    deps.metrics.replicatedBytes.inc(size);
    return { key: v.objectKey, bytes: size };
  };
}
