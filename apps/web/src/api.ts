/**
 * The portal's only way to talk to the server: same-origin fetch with the session cookie and the
 * CSRF header the server requires on every state-changing request.
 */
export const CSRF_HEADERS = { 'X-Requested-With': 'vetpacs' };

/** An error answer from the API (`{ error: { code, message } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: (() => void) | null = null;

/** Called when any request answers 401 (session expired or ended elsewhere). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

/** JSON request; throws {@link ApiError} for non-2xx answers. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    signal: init.signal,
    credentials: 'same-origin',
    headers: { ...CSRF_HEADERS, ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}), Accept: 'application/json' },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy error page, say): reported below with the status.
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized?.();
    throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `request failed (${res.status})`);
  }
  return json as T;
}

/** A human-readable message for anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export type Role = 'OWNER_ADMIN' | 'VET' | 'NURSE' | 'READ_ONLY';

export interface Me {
  user: { id: string; email: string; name: string };
  practice: { id: string; name: string; slug: string; role: Role };
  role: Role;
  practices: { id: string; name: string; slug: string; role: Role }[];
}

export interface Study {
  studyInstanceUid: string;
  studyDate: string | null;
  studyTime: string | null;
  accessionNumber: string | null;
  description: string | null;
  referringPhysician: string | null;
  modalities: string[];
  seriesCount: number;
  instanceCount: number;
  receivedAt: string;
  patient: {
    patientId: string;
    issuer: string;
    rawName: string | null;
    petName: string | null;
    ownerName: string | null;
    ownerFamilyName: string | null;
    species: string | null;
    speciesGroup: string | null;
    breed: string | null;
    microchip: string | null;
    sex: string | null;
    neutered: string;
    birthDate: string | null;
  };
  site: { id: string; name: string; code: string } | null;
  status: 'SAFE' | 'RECEIVING' | 'CONFLICT';
  verifiedInstances: number;
  thumbnailUrl: string | null;
}

export interface Series {
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  description: string | null;
  bodyPart: string | null;
  instanceCount: number;
  thumbnailUrl: string | null;
}

export interface Receipt {
  status: 'STORED' | 'DUPLICATE' | 'CONFLICT' | 'REJECTED';
  reason: string | null;
  sha256: string | null;
  uploadId?: string;
  at: string;
  via?: string;
  sopInstanceUid?: string | null;
}

export interface Instance {
  sopInstanceUid: string;
  instanceNumber: number | null;
  transferSyntaxUid: string;
  size: number;
  sha256: string;
  frames: number;
  rows: number | null;
  columns: number | null;
  hasConflict: boolean;
  receivedAt: string;
  versions: { version: number; sha256: string; size: number; receivedFrom: string | null; at: string }[];
  receipts: Receipt[];
}

export interface AuditEvent {
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  sourceIp: string | null;
  details: unknown;
}

export interface Site {
  id: string;
  name: string;
  code: string;
}

/** URL of the embedded OHIF viewer for one study, or two side by side (PS3.18 UIDs in the query). */
export function viewerUrl(studyUids: string[]): string {
  const q = new URLSearchParams({ StudyInstanceUIDs: studyUids.join(',') });
  // OHIF's built-in comparison protocol: current study left, the other right.
  if (studyUids.length > 1) q.set('hangingProtocolId', '@ohif/hpCompare');
  return `/ohif/viewer?${q.toString()}`;
}
