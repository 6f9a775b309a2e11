/** Machine-readable reasons an object is refused at ingest. */
export type DicomErrorCode =
  | 'NOT_DICOM'
  | 'TRUNCATED'
  | 'MALFORMED'
  | 'MISSING_UID'
  | 'INVALID_UID'
  | 'UNKNOWN_TRANSFER_SYNTAX'
  | 'HEADER_TOO_LARGE'
  | 'PIXEL_DATA_MISMATCH';

/**
 * Raised when bytes are not an acceptable DICOM instance. `reason` is a sentence for humans that
 * names the attribute and tag involved (it ends up in STOW FailureReason comments and logs).
 */
export class DicomValidationError extends Error {
  readonly code: DicomErrorCode;
  readonly reason: string;

  constructor(code: DicomErrorCode, reason: string, options?: { cause?: unknown }) {
    super(`${code}: ${reason}`, options);
    this.name = 'DicomValidationError';
    this.code = code;
    this.reason = reason;
  }
}
