import { connect } from 'node:net';
import type { DatabaseSync } from 'node:sqlite';
import { TransferSyntax } from '@vetpacs/dicom';
import dimse from 'dcmjs-dimse';
import type { Logger } from 'pino';
import { SerialTask } from '../lib/periodic';
import { backoffDelay } from '../upload/backoff';

const { Scp, Dataset } = dimse;
const { Association } = dimse.association;
const { NEventReportRequest } = dimse.requests;
const { Status } = dimse.constants;

export const STORAGE_COMMITMENT_SOP_CLASS = '1.2.840.10008.1.20.1';
/** The well-known Storage Commitment Push Model SOP Instance (PS3.4 J.3.5). */
export const STORAGE_COMMITMENT_SOP_INSTANCE = '1.2.840.10008.1.20.1.1';

/** PS3.4 Table J.3-2 failure reasons used here. */
export const FailureReason = { ProcessingFailure: 0x0110, NoSuchObjectInstance: 0x0112, ClassInstanceConflict: 0x0119 } as const;

export interface CommitRef {
  sopClassUid: string;
  sopInstanceUid: string;
}

export interface CommitmentPeer {
  aeTitle: string;
  host: string;
  port: number;
}

/** Per referenced instance: committed, failed (with reason), or still waiting for the cloud. */
export type RefState = { state: 'success' } | { state: 'failed'; reason: number } | { state: 'pending' };

/**
 * Resolves one reference against the queue: committed only when every local copy of that SOP
 * Instance is verified by hash in the cloud (PS3.4 J.3.2: the SCP commits to keeping it safely).
 */
export function resolveRef(rows: { state: string; fail_class: string | null; sop_class_uid: string | null }[], ref: CommitRef): RefState {
  if (rows.length === 0) return { state: 'failed', reason: FailureReason.NoSuchObjectInstance };
  if (rows.some((r) => r.sop_class_uid && r.sop_class_uid !== ref.sopClassUid)) return { state: 'failed', reason: FailureReason.ClassInstanceConflict };
  if (rows.some((r) => r.state === 'failed' && r.fail_class === 'permanent')) return { state: 'failed', reason: FailureReason.ProcessingFailure };
  return rows.every((r) => r.state === 'verified') ? { state: 'success' } : { state: 'pending' };
}

/**
 * Storage Commitment Push Model SCP (PS3.4 Annex J). N-ACTION requests are recorded durably and
 * acknowledged at once; the N-EVENT-REPORT follows on a new association to the requester (with
 * SCP/SCU role selection, PS3.4 J.3.3 / PS3.7 D.3.3.4) once the cloud has verified every
 * referenced instance by SHA-256, or some were found missing or rejected.
 */
export class CommitmentService {
  private readonly task: SerialTask;

  constructor(
    private readonly deps: {
      db: DatabaseSync;
      log: Logger;
      aeTitle: string;
      peers: readonly CommitmentPeer[];
      intervalMs: number;
      backoff: { baseMs: number; maxMs: number };
    },
  ) {
    this.task = new SerialTask(() => this.processDue(), deps.intervalMs, (err) => deps.log.warn({ err }, 'storage commitment processing failed'));
  }

  /** Handles an N-ACTION request; returns the DIMSE status to answer with. */
  accept(request: InstanceType<typeof dimse.requests.NActionRequest>, callingAe: string): number {
    const { log, db } = this.deps;
    if (request.getRequestedSopClassUid() !== STORAGE_COMMITMENT_SOP_CLASS) return Status.NoSuchSopClass;
    if (request.getActionTypeId() !== 1) return Status.NoSuchActionType;
    const ds = (request.getDataset()?.getElements() ?? {}) as { TransactionUID?: string; ReferencedSOPSequence?: Record<string, string>[] };
    const refs = (ds.ReferencedSOPSequence ?? []).map((i) => ({ sopClassUid: i.ReferencedSOPClassUID ?? '', sopInstanceUid: i.ReferencedSOPInstanceUID ?? '' }));
    if (!ds.TransactionUID || refs.length === 0 || refs.some((r) => !r.sopInstanceUid)) return Status.MissingAttribute;
    if (!this.peerFor(callingAe)) {
      // Without a return address the report could never be delivered: say so now.
      log.warn({ callingAe }, 'storage commitment refused: no commitment peer configured for this AE title');
      return Status.ProcessingFailure;
    }
    db.prepare(`insert into commitment (transaction_uid, calling_ae, refs, state, created_at) values (?, ?, ?, 'pending', ?) on conflict (transaction_uid) do nothing`).run(
      ds.TransactionUID, callingAe, JSON.stringify(refs), Date.now(),
    );
    log.info({ callingAe, transactionUid: ds.TransactionUID, refs: refs.length }, 'storage commitment requested');
    this.kick();
    return Status.Success;
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  /** Checks pending requests now (also called after uploads are verified). */
  kick(): void {
    void this.task.kick();
  }

  private peerFor(ae: string): CommitmentPeer | undefined {
    return this.deps.peers.find((p) => p.aeTitle === ae);
  }

  private async processDue(): Promise<void> {
    const { db } = this.deps;
    const due = db.prepare(`select * from commitment where state = 'pending' and next_attempt_at <= ? order by id`).all(Date.now()) as {
      id: number; transaction_uid: string; calling_ae: string; refs: string; attempts: number;
    }[];
    const rowsOf = db.prepare('select state, fail_class, sop_class_uid from instance where sop_instance_uid = ?');
    for (const c of due) {
      const refs = JSON.parse(c.refs) as CommitRef[];
      const states = refs.map((r) => ({ ref: r, s: resolveRef(rowsOf.all(r.sopInstanceUid) as never, r) }));
      if (states.some((x) => x.s.state === 'pending')) continue;
      const peer = this.peerFor(c.calling_ae);
      try {
        if (!peer) throw new Error(`no commitment peer configured for ${c.calling_ae}`);
        await this.sendReport(peer, c.transaction_uid, states.map((x) => ({ ...x.ref, reason: x.s.state === 'failed' ? x.s.reason : undefined })));
        db.prepare(`update commitment set state = 'delivered', delivered_at = ? where id = ?`).run(Date.now(), c.id);
        this.deps.log.info({ transactionUid: c.transaction_uid, failed: states.filter((x) => x.s.state === 'failed').length }, 'storage commitment reported');
      } catch (err) {
        const next = Date.now() + backoffDelay(c.attempts + 1, this.deps.backoff);
        db.prepare('update commitment set attempts = attempts + 1, next_attempt_at = ?, last_error = ? where id = ?').run(next, (err as Error).message, c.id);
        this.deps.log.warn({ transactionUid: c.transaction_uid, err: (err as Error).message }, 'storage commitment report not delivered; will retry');
      }
    }
  }

  /** Sends one N-EVENT-REPORT on a new association in which we take the SCP role. */
  private sendReport(peer: CommitmentPeer, transactionUid: string, refs: (CommitRef & { reason?: number })[]): Promise<void> {
    const ok = refs.filter((r) => r.reason === undefined);
    const failed = refs.filter((r) => r.reason !== undefined);
    const item = (r: CommitRef) => ({ ReferencedSOPClassUID: r.sopClassUid, ReferencedSOPInstanceUID: r.sopInstanceUid });
    const dataset: Record<string, unknown> = { TransactionUID: transactionUid };
    if (ok.length) dataset.ReferencedSOPSequence = ok.map(item);
    if (failed.length) dataset.FailedSOPSequence = failed.map((r) => ({ ...item(r), FailureReason: r.reason }));
    // Event Type ID 1: all committed; 2: some failed (PS3.4 J.3.3.1).
    const request = new NEventReportRequest(STORAGE_COMMITMENT_SOP_CLASS, STORAGE_COMMITMENT_SOP_INSTANCE, failed.length ? 2 : 1);
    request.setDataset(new Dataset(dataset, TransferSyntax.ImplicitVRLittleEndian));

    const association = new Association(this.deps.aeTitle, peer.aeTitle);
    const pc = association.addPresentationContext(STORAGE_COMMITMENT_SOP_CLASS);
    association.addTransferSyntaxToPresentationContext(pc, TransferSyntax.ImplicitVRLittleEndian);
    association.addTransferSyntaxToPresentationContext(pc, TransferSyntax.ExplicitVRLittleEndian);
    const ctx = association.getPresentationContext(pc);
    ctx.setUserRole(false);
    ctx.setProviderRole(true);

    return new Promise<void>((resolve, reject) => {
      const socket = connect({ host: peer.host, port: peer.port });
      const network = new Scp(socket, { connectTimeout: 30_000, associationTimeout: 30_000, pduTimeout: 30_000 });
      let status: number | undefined;
      const fail = (why: string) => {
        socket.destroy();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail('timed out'), 60_000);
      socket.on('error', (e) => fail(e.message));
      network.on('connect', () => network.sendAssociationRequest(association));
      network.on('associationRejected', () => fail('association rejected'));
      network.on('associationAccepted', () => network.sendRequests(request));
      network.on('done', () => network.sendAssociationReleaseRequest());
      network.on('associationReleaseResponse', () => socket.end());
      network.on('networkError', (e: Error) => fail(e.message));
      request.on('response', (response: InstanceType<typeof dimse.responses.NEventReportResponse>) => {
        status = response.getStatus();
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (status === Status.Success) resolve();
        else reject(new Error(status === undefined ? 'no N-EVENT-REPORT response' : `N-EVENT-REPORT status 0x${status.toString(16)}`));
      });
    });
  }
}
