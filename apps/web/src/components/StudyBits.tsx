import type { Study } from '../api';

const STATUS = {
  SAFE: { label: 'Safe in cloud', cls: 'badge-safe', title: 'Every image has a verified receipt (SHA-256 matches the stored original)' },
  RECEIVING: { label: 'Receiving', cls: 'badge-pending', title: 'Some images have no verified receipt yet' },
  CONFLICT: { label: 'Conflict', cls: 'badge-conflict', title: 'An image was re-sent with different bytes; both versions are kept' },
} as const;

/** The ingest status badge ("safe in cloud" once every instance has a verified receipt). */
export function StatusBadge({ status, verified, total }: { status: Study['status']; verified: number; total: number }) {
  const s = STATUS[status];
  return (
    <span className={`badge ${s.cls}`} title={`${s.title} (${verified}/${total})`} data-status={status}>
      {s.label}
    </span>
  );
}

/** Series/study thumbnail, or a neutral placeholder with the modality while none exists. */
export function Thumb({ url, modality, size = 64 }: { url: string | null; modality?: string; size?: number }) {
  if (!url) {
    return (
      <span className="thumb thumb-empty" style={{ width: size, height: size }} aria-hidden="true">
        {modality ?? ''}
      </span>
    );
  }
  return <img className="thumb" src={url} alt="" width={size} height={size} loading="lazy" />;
}

/** "Rex (Smith)" with fallbacks for the many ways names arrive. */
export function animalLabel(s: Study): { pet: string; owner: string } {
  return {
    pet: s.patient.petName || s.patient.rawName || s.patient.patientId,
    owner: s.patient.ownerName || s.patient.ownerFamilyName || '',
  };
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(`${iso}T00:00:00`);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** DICOM PN "Family^Given^Middle^Prefix^Suffix" as people write it: "Dr James Herriot". */
export function personName(pn: string | null): string | null {
  if (!pn) return null;
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = pn.split('=')[0]!.split('^');
  return [prefix, given, middle, family, suffix].map((x) => x.trim()).filter(Boolean).join(' ') || pn;
}
