import { rm } from 'node:fs/promises';
import type { QueueRepo } from '../queue/repo';
import type { Spool, SpoolWriter } from './spool';

/** What became of one received file. */
export type ReceiveOutcome =
  | { status: 'queued' | 'duplicate'; id: number; sopInstanceUid: string; studyInstanceUid?: string }
  | { status: 'refused'; reason: string }
  | { status: 'failed'; reason: string };

export interface ReceiveInfo {
  source: 'dimse' | 'import';
  callingAe?: string;
  /** SOP Instance UID from the C-STORE command, used when the header cannot be parsed. */
  sopInstanceUid?: string;
  sopClassUid?: string;
  urgent?: boolean;
}

/**
 * Turns a finished {@link SpoolWriter} into a durable queue row: fsynced file moved into the spool,
 * then the row committed. Only after this returns `queued`/`duplicate` may the sender be told
 * "success" (PS3.4 B.2.3: success means the SCP has taken responsibility for the instance).
 */
export async function queueReceived(deps: { spool: Spool; repo: QueueRepo }, writer: SpoolWriter, info: ReceiveInfo): Promise<ReceiveOutcome> {
  const result = await writer.result();
  let queued = false;
  try {
    if (result.status === 'refused') return { status: 'refused', reason: result.reason };
    if (result.status === 'failed') return { status: 'failed', reason: result.error };
    const p = result.parsed;
    const sopInstanceUid = p?.sopInstanceUid ?? info.sopInstanceUid ?? `unparsed.${result.sha256.slice(0, 32)}`;
    const final = await deps.spool.commit(result.tmpPath);
    const { id, duplicate } = deps.repo.addInstance({
      sopInstanceUid,
      sopClassUid: p?.sopClassUid ?? info.sopClassUid,
      studyInstanceUid: p?.studyInstanceUid,
      seriesInstanceUid: p?.seriesInstanceUid,
      transferSyntaxUid: p?.transferSyntaxUid,
      modality: p?.series.modality ?? undefined,
      callingAe: info.callingAe,
      source: info.source,
      path: final,
      size: result.size,
      sha256: result.sha256,
      urgent: info.urgent,
      parseError: result.parseError,
    });
    // A modality's retry of an instance we already hold: keep one copy.
    if (duplicate) await rm(final, { force: true });
    queued = !duplicate;
    return { status: duplicate ? 'duplicate' : 'queued', id, sopInstanceUid, studyInstanceUid: p?.studyInstanceUid };
  } catch (err) {
    if (result.status === 'ok') await rm(result.tmpPath, { force: true }).catch(() => {});
    return { status: 'failed', reason: (err as Error).message };
  } finally {
    writer.releaseReservation(queued);
  }
}
