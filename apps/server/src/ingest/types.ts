import type { NewInstance } from '@vetpacs/jobs';

/** Who sent an instance, for receipts and the audit trail. */
export interface IngestActor {
  type: 'USER' | 'API_TOKEN' | 'GATEWAY';
  id: string;
}

export interface IngestContext {
  practiceId: string;
  /** Site of origin (from gateway credentials); null for browser/API uploads without a site. */
  siteId: string | null;
  actor: IngestActor;
  /** tus upload id or STOW request id: receipts are grouped by it. */
  uploadId: string;
  /**
   * The upload id was made for this request (STOW-RS): no receipt of it can exist but this
   * request's own (a tus upload's id outlives an interrupted attempt).
   */
  newUpload?: boolean;
  sourceIp?: string;
  /** Calling AE title reported by the gateway (selects a per-device PatientName style). */
  callingAeTitle?: string;
  /** STOW-RS `/studies/{study}`: every instance must belong to this study (PS3.18 §10.5.3). */
  requiredStudyInstanceUid?: string;
  traceId: string;
  /**
   * New instances whose derived work is queued at the request's end, together with other
   * requests' (`IngestService.bufferFollowUps`, FollowUpBuffer); when absent, each instance
   * enqueues its own jobs.
   */
  followUps?: NewInstance[];
}

export type ReceiptStatus = 'STORED' | 'DUPLICATE' | 'CONFLICT' | 'REJECTED';

/** The per-instance answer to an upload; also stored and queryable afterwards. */
export interface InstanceReceipt {
  status: ReceiptStatus;
  reason?: string;
  /** Machine-readable reason class for rejections (e.g. INVALID_UID, HASH_MISMATCH). */
  code?: string;
  /** Bundle member name, when the instance came in a bundle. */
  member?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sha256?: string;
  size?: number;
  /** Version number of the stored bytes (conflicts create version 2, 3…). */
  version?: number;
}

/** Everything ingest records about one verified instance (built by the service from the parsed header). */
export interface InstanceRecord {
  patient: {
    patientId: string;
    issuer: string;
    rawPatientName: string | null;
    petName: string | null;
    ownerName: string | null;
    ownerFamilyName: string | null;
    speciesDescription: string | null;
    speciesCode: string | null;
    breedDescription: string | null;
    breedCode: string | null;
    breedRegistration: unknown;
    sex: string | null;
    neutered: 'ALTERED' | 'UNALTERED' | 'UNKNOWN';
    birthDate: string | null;
    microchip: string | null;
    responsiblePersonRole: string | null;
    responsibleOrganization: string | null;
    searchText: string;
  };
  study: {
    studyInstanceUid: string;
    studyDate: string | null;
    studyDateValue: Date | null;
    studyTime: string | null;
    accessionNumber: string | null;
    studyDescription: string | null;
    referringPhysician: string | null;
    studyId: string | null;
    institutionName: string | null;
  };
  series: {
    seriesInstanceUid: string;
    modality: string | null;
    seriesNumber: number | null;
    seriesDescription: string | null;
    bodyPartExamined: string | null;
  };
  instance: {
    sopInstanceUid: string;
    sopClassUid: string;
    instanceNumber: number | null;
    transferSyntaxUid: string;
    byteSize: number;
    sha256: string;
    objectKey: string;
    numberOfFrames: number;
    rows: number | null;
    columns: number | null;
    bitsAllocated: number | null;
    pixelDataOffset: number | null;
    pixelDataLength: number | null;
    frameOffsets: unknown;
    /** The instance's DICOM JSON (PS3.18 §F.2) as its text (JSON.stringify of datasetToDicomJson). */
    metadata: string;
  };
}

export type RecordOutcome = (
  | { kind: 'created'; instanceId: string; seriesId: string; studyId: string; version: 1 }
  | { kind: 'duplicate'; instanceId: string; seriesId: string; studyId: string; version: number }
  | { kind: 'conflict'; instanceId: string; seriesId: string; studyId: string; version: number; originalSha256: string }
) & {
  /** The reason written to the receipt (duplicates and conflicts). */
  reason?: string;
};

/**
 * One request's share of an ingest batch (written in one transaction, see IngestRepo.writePart):
 * instances to record, each with its receipt; receipts of instances that never reached the index
 * (rejected); and, on the request's last batch, its audit event.
 */
export interface RequestPart {
  ctx: IngestContext;
  records: InstanceRecord[];
  /**
   * Per record, the write of its object when it is still in flight: the rows are written
   * meanwhile, and the transaction commits only after every such write has made its object
   * durable (a row never refers to an object that a crash could lose).
   */
  durable?: (Promise<unknown> | undefined)[];
  receipts: InstanceReceipt[];
  audit: boolean;
  /**
   * The request's first write (IngestPipeline). With `audit` (so also its last) and a new upload
   * id, every receipt of the upload is in this part: its audit event is counted from it.
   */
  first?: boolean;
}

export interface PartResult {
  /** Per record, in order; an Error when that instance could not be recorded (its rows rolled back). */
  outcomes: (RecordOutcome | Error)[];
  /** Whether the audit event was written (not when one of the request's records failed in this batch). */
  audited: boolean;
}

/** A reason to refuse one instance; becomes a REJECTED receipt (or a FailedSOPSequence item). */
export class IngestRejection extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'IngestRejection';
  }
}
