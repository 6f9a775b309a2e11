import { ImageDecodeError, LosslessCheckError, readAll, type TranscodePolicy, transcodeTargets, transcodeVerified } from '@vetpacs/imaging';
import { type JobPayload, PermanentJobError } from '@vetpacs/jobs';
import { sha256Hex } from '@vetpacs/storage';
import type { WorkerDeps } from '../deps';
import { upsertInstanceDerived } from '../lib/derived';
import { derivedKeys } from '../lib/keys';

/**
 * `instance.transcode`: writes a derived copy of the served original in the target transfer syntax
 * (never touching the original), after proving it lossless: the copy's decoded pixels must equal
 * the original's, else the job fails permanently and nothing is stored. The DerivedObject row
 * (kind TRANSCODED, transferSyntaxUid) lets WADO-RS serve the copy when a client asks for that syntax.
 */
export function transcodeHandler(deps: WorkerDeps, s: TranscodePolicy) {
  return async (p: JobPayload<'instance.transcode'>) => {
    const inst = await deps.db.instance.findFirst({
      where: { id: p.instanceId, practiceId: p.practiceId },
      select: { id: true, seriesId: true, sopInstanceUid: true, objectKey: true, sha256: true, byteSize: true, transferSyntaxUid: true, bitsAllocated: true, version: true },
    });
    if (!inst) return { skipped: 'instance gone' };
    const target = p.targetTransferSyntaxUid;
    // Re-decide: the payload may predate a policy change (or the original exceed TRANSCODE_MAX_BYTES); an unwanted copy is not made.
    if (!transcodeTargets(inst, s).includes(target)) return { skipped: `no ${target} copy wanted` };
    const key = derivedKeys.transcoded(p.practiceId, inst.sopInstanceUid, inst.version, target);
    const existing = await deps.db.derivedObject.findFirst({ where: { instanceId: inst.id, kind: 'TRANSCODED', transferSyntaxUid: target, objectKey: key } });
    if (existing && (await deps.store.head(key))?.size === Number(existing.byteSize)) return { skipped: 'already transcoded', key };

    const original = await readAll(deps.store, inst.objectKey);
    // Never derive from damaged bytes: the scrub repairs the original first.
    if (sha256Hex(original) !== inst.sha256) throw new Error(`original ${inst.objectKey} does not match its SHA-256; not transcoding`);
    let bytes: Buffer;
    try {
      ({ bytes } = await transcodeVerified(original, target));
    } catch (err) {
      if (err instanceof LosslessCheckError || err instanceof ImageDecodeError) throw new PermanentJobError(`${target} copy rejected: ${err.message}`);
      throw err;
    }
    const put = await deps.store.put(key, bytes, { contentType: 'application/dicom' });
    await upsertInstanceDerived(deps.db, inst.id, inst.seriesId, {
      practiceId: p.practiceId, kind: 'TRANSCODED', transferSyntaxUid: target, objectKey: key, sha256: put.sha256, byteSize: put.size,
    });
    return { key, bytes: put.size, originalBytes: original.length };
  };
}
