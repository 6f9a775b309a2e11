import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { supportedTransferSyntaxes, TransferSyntax } from '@vetpacs/dicom';
import dimse from 'dcmjs-dimse';
import type { Logger } from 'pino';
import type { QueueRepo } from '../queue/repo';
import { part10Header } from '../spool/file-meta';
import { queueReceived } from '../spool/receive';
import type { Spool, SpoolWriter } from '../spool/spool';
import { type CommitmentService, STORAGE_COMMITMENT_SOP_CLASS } from './commitment';

const { Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse, NActionResponse } = dimse.responses;
const { PresentationContextResult: PCR, RejectResult, RejectSource, RejectReason, Status } = dimse.constants;

type ScpCtor = typeof dimse.Scp;
type PresentationContext = InstanceType<typeof dimse.association.PresentationContext>;
type CStoreRequest = InstanceType<typeof dimse.requests.CStoreRequest>;

/** C-STORE statuses not in the library's table (PS3.4 Table B.2-1). */
export const StoreStatus = { Success: 0x0000, OutOfResources: 0xa700, CannotUnderstand: 0xc000 } as const;

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
const STORAGE_PREFIX = '1.2.840.10008.5.1.4.1.1.';
/** Verification and Storage Commitment are negotiated with native syntaxes only. */
const UNCOMPRESSED = new Set<string>([TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]);

/**
 * Transfer syntaxes accepted for storage: every syntax the cloud accepts at ingest (native LE/BE,
 * deflate, JPEG, JPEG-LS, JPEG 2000, HTJ2K, RLE, MPEG-2/4 and HEVC video), taken from
 * @vetpacs/dicom so the edge never drifts from the cloud. The bytes are stored as received;
 * nothing is transcoded at the edge.
 */
export const STORAGE_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set(supportedTransferSyntaxes().map((t) => t.uid));

export interface ScpOptions {
  aeTitle: string;
  checkCalledAeTitle: boolean;
  allowedCallingAeTitles: readonly string[];
  acceptPrivateSopClasses: boolean;
  urgentCallingAeTitles: readonly string[];
}

export interface ScpDeps {
  options: ScpOptions;
  spool: Spool;
  repo: QueueRepo;
  commitments: CommitmentService;
  log: Logger;
  /** Called after an instance was queued (wakes the uploader). */
  onQueued: () => void;
}

/** True for abstract syntaxes handled as storage (every standard storage SOP class, PS3.4 B.5). */
export function isStorageSopClass(uid: string, acceptPrivate: boolean): boolean {
  return uid.startsWith(STORAGE_PREFIX) || (acceptPrivate && !uid.startsWith('1.2.840.10008.'));
}

/**
 * Picks the transfer syntax to accept for one presentation context: the sender's first proposal we
 * support (a modality lists its preferred, usually the image's own encoding, first), so images
 * arrive as they were made.
 */
export function chooseTransferSyntax(abstractSyntax: string, proposed: string[], acceptPrivate: boolean): string | 'abstract-not-supported' | 'ts-not-supported' {
  const storage = isStorageSopClass(abstractSyntax, acceptPrivate);
  if (!storage && abstractSyntax !== VERIFICATION_SOP_CLASS && abstractSyntax !== STORAGE_COMMITMENT_SOP_CLASS) return 'abstract-not-supported';
  const allowed = storage ? STORAGE_TRANSFER_SYNTAXES : UNCOMPRESSED;
  return proposed.find((ts) => allowed.has(ts)) ?? 'ts-not-supported';
}

/**
 * Builds the SCP class (dcmjs-dimse constructs one per connection). The data set of a C-STORE is
 * streamed straight into the spool (never held in memory) and answered only once it is fsynced
 * and its queue row committed.
 */
export function createScpClass(deps: ScpDeps): ScpCtor {
  const { options, log } = deps;
  return class GatewayScp extends Scp {
    private readonly writers = new Map<number, SpoolWriter>();
    private callingAe = '';
    private readonly remote: string | undefined;

    constructor(socket: Socket, opts?: ConstructorParameters<ScpCtor>[1]) {
      super(socket, opts);
      this.remote = socket.remoteAddress;
      socket.on('close', () => this.dropWriters('connection closed'));
    }

    override associationRequested(association: InstanceType<typeof dimse.association.Association>): void {
      (this as unknown as { association: unknown }).association = association;
      const calling = association.getCallingAeTitle().trim();
      const called = association.getCalledAeTitle().trim();
      this.callingAe = calling;
      const reject = (reason: number, why: string) => {
        log.warn({ callingAe: calling, calledAe: called, remote: this.remote }, `association rejected: ${why}`);
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason);
      };
      if (options.checkCalledAeTitle && called !== options.aeTitle) {
        reject(RejectReason.CalledAeNotRecognized, `called AE ${called} is not ${options.aeTitle}`);
        return;
      }
      if (options.allowedCallingAeTitles.length && !options.allowedCallingAeTitles.includes(calling)) {
        reject(RejectReason.CallingAeNotRecognized, `calling AE ${calling} not allowed`);
        return;
      }
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        const choice = chooseTransferSyntax(ctx.getAbstractSyntaxUid(), ctx.getTransferSyntaxUids(), options.acceptPrivateSopClasses);
        if (choice === 'abstract-not-supported') ctx.setResult(PCR.RejectAbstractSyntaxNotSupported);
        else if (choice === 'ts-not-supported') ctx.setResult(PCR.RejectTransferSyntaxesNotSupported);
        else ctx.setResult(PCR.Accept, choice);
      }
      log.debug({ callingAe: calling, remote: this.remote }, 'association accepted');
      this.sendAssociationAccept();
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }

    override cEchoRequest(request: InstanceType<typeof dimse.requests.CEchoRequest>, callback: (r: InstanceType<typeof CEchoResponse>) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    override createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable {
      const prefix = part10Header({
        sopClassUid: request.getAffectedSopClassUid(),
        sopInstanceUid: request.getAffectedSopInstanceUid(),
        transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? TransferSyntax.ImplicitVRLittleEndian,
        sourceAeTitle: this.callingAe,
      });
      const writer = deps.spool.writer(prefix);
      this.writers.set(request.getMessageId(), writer);
      return writer;
    }

    override createDatasetFromStoreWritableStream(_w: Writable, context: PresentationContext, callback: (d: InstanceType<typeof Dataset>) => void): void {
      // The bytes are in the spool; cStoreRequest works from there. Never parse the whole data set here.
      callback(new Dataset({}, context.getAcceptedTransferSyntaxUid()));
    }

    override cStoreRequest(request: CStoreRequest, callback: (r: InstanceType<typeof CStoreResponse>) => void): void {
      const writer = this.writers.get(request.getMessageId());
      this.writers.delete(request.getMessageId());
      const response = CStoreResponse.fromRequest(request);
      if (!writer) {
        response.setStatus(StoreStatus.CannotUnderstand);
        callback(response);
        return;
      }
      const urgent = options.urgentCallingAeTitles.includes(this.callingAe);
      void queueReceived(deps, writer, {
        source: 'dimse',
        callingAe: this.callingAe,
        sopInstanceUid: request.getAffectedSopInstanceUid(),
        sopClassUid: request.getAffectedSopClassUid(),
        urgent,
      }).then((outcome) => {
        const fields = { callingAe: this.callingAe, sopInstanceUid: request.getAffectedSopInstanceUid() };
        if (!('reason' in outcome)) {
          deps.repo.touchAe(this.callingAe, this.remote);
          response.setStatus(StoreStatus.Success);
          log.info({ ...fields, queueId: outcome.id, duplicate: outcome.status === 'duplicate' }, 'C-STORE stored');
          deps.onQueued();
        } else {
          // PS3.4 B.2.3: A7xx "Refused: Out of Resources" — the sender keeps the image and retries later.
          response.setStatus(StoreStatus.OutOfResources);
          response.setErrorComment(outcome.reason.slice(0, 64));
          log.warn({ ...fields, reason: outcome.reason }, 'C-STORE refused');
          deps.repo.event('warn', `C-STORE from ${this.callingAe} refused: ${outcome.reason}`);
        }
        callback(response);
      });
    }

    override nActionRequest(request: InstanceType<typeof dimse.requests.NActionRequest>, callback: (r: InstanceType<typeof NActionResponse>) => void): void {
      const response = NActionResponse.fromRequest(request);
      response.setStatus(deps.commitments.accept(request, this.callingAe));
      callback(response);
    }

    override abort(): void {
      this.dropWriters('association aborted');
    }

    private dropWriters(reason: string): void {
      for (const w of this.writers.values()) w.destroy(new Error(reason));
      this.writers.clear();
    }
  } as unknown as ScpCtor;
}
