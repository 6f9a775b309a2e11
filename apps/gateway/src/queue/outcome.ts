/** One entry of the cloud's receipt list (see the server's ingest types). */
export interface CloudReceipt {
  status: 'STORED' | 'DUPLICATE' | 'CONFLICT' | 'REJECTED';
  code?: string | null;
  reason?: string | null;
  member?: string | null;
  sopInstanceUid?: string | null;
  sha256?: string | null;
  size?: number | null;
  version?: number | null;
}

/** What to do with one local instance after the cloud answered. */
export type InstanceOutcome =
  | { kind: 'verified'; status: CloudReceipt['status']; version: number | null }
  /** `confirm`: a content rejection to be confirmed by one more, single-instance upload. */
  | { kind: 'retry'; code: string; reason: string; confirm?: boolean }
  | { kind: 'permanent'; code: string; reason: string };

/**
 * Rejections that say the bytes were damaged on the way (or the bundle framing was), not that the
 * instance is bad: re-send. HASH_MISMATCH is what a corrupted chunk produces.
 */
const TRANSPORT_CODES = new Set(['HASH_MISMATCH', 'SIZE_MISMATCH', 'BUNDLE_FORMAT', 'BUNDLE_MEMBER', 'BUNDLE_MEMBER_MISSING']);

/**
 * Decides an instance's fate from its receipt. Verified only when the cloud's SHA-256 of what it
 * stored equals ours. A content rejection (bad UID, unparseable header…) becomes permanent only
 * when it is confirmed by a second, single-instance upload: a byte flipped in transit can also
 * break a header, and then the receipt carries no hash to tell the two cases apart.
 */
export function decideOutcome(local: { sha256: string; rejections: number }, receipt: CloudReceipt | undefined): InstanceOutcome {
  if (!receipt) return { kind: 'retry', code: 'NO_RECEIPT', reason: 'the cloud returned no receipt for this instance' };
  if (receipt.status !== 'REJECTED') {
    if (receipt.sha256 === local.sha256) return { kind: 'verified', status: receipt.status, version: receipt.version ?? null };
    return { kind: 'retry', code: 'HASH_MISMATCH', reason: `cloud stored SHA-256 ${receipt.sha256 ?? '(none)'}, local file has ${local.sha256}` };
  }
  const code = receipt.code ?? 'REJECTED';
  const reason = receipt.reason ?? 'rejected by the cloud';
  if (TRANSPORT_CODES.has(code)) return { kind: 'retry', code, reason };
  if (receipt.sha256 && receipt.sha256 !== local.sha256) return { kind: 'retry', code: 'HASH_MISMATCH', reason: `damaged in transit (${code}: ${reason})` };
  // The cloud hashed what it got and it is ours: the content itself is refused.
  if (receipt.sha256 === local.sha256 || local.rejections >= 1) return { kind: 'permanent', code, reason };
  return { kind: 'retry', code, reason: `${reason} (re-sending once alone to confirm)`, confirm: true };
}

/** Bundle member name of a queue row (stable, so a resumed bundle is byte-identical). */
export function memberName(instanceId: number): string {
  return `i${instanceId}.dcm`;
}
