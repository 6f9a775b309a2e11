import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../../api';

/** Loads a resource with loading / error state and a reload function. */
export function useResource<T>(load: () => Promise<T>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    setError(null);
    load()
      .then(setData)
      .catch((err) => setError(errorMessage(err)));
  }, [load]);
  useEffect(reload, [reload]);
  return { data, error, reload };
}

/** Runs an admin action, reporting failure inline. */
export function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(fn: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, run };
}

/** A secret shown exactly once (gateway secret, API token, generated password). */
export function ShowOnce({ title, value, onDone }: { title: string; value: string; onDone: () => void }) {
  return (
    <div className="show-once" role="alert">
      <p>
        <strong>{title}</strong> — copy it now; it is not stored and will not be shown again.
      </p>
      <code className="secret" data-testid="secret">
        {value}
      </code>
      <div className="row-buttons">
        <button type="button" className="btn" onClick={() => void navigator.clipboard?.writeText(value)}>
          Copy
        </button>
        <button type="button" className="btn btn-quiet" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

export const ROLES = [
  { value: 'OWNER_ADMIN', label: 'Owner / admin' },
  { value: 'VET', label: 'Vet' },
  { value: 'NURSE', label: 'Nurse' },
  { value: 'READ_ONLY', label: 'Read-only' },
] as const;

/** The `<option>`s of a role `<select>`. */
export function RoleOptions() {
  return (
    <>
      {ROLES.map((r) => (
        <option key={r.value} value={r.value}>
          {r.label}
        </option>
      ))}
    </>
  );
}

export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
