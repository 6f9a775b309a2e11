import { type FormEvent, useCallback, useState } from 'react';
import { api } from '../../api';
import { ErrorState, Spinner } from '../../components/States';
import { useAction, useResource, when } from './common';

interface AdminSite {
  id: string;
  name: string;
  code: string;
  patientNameStyle: string;
  createdAt: string;
}

const STYLES = [
  { value: 'OWNER_PET', label: 'Owner^Pet (standard)' },
  { value: 'PET_OWNER', label: 'Pet^Owner' },
  { value: 'PET', label: 'Pet only' },
  { value: 'OWNER_COMMA_PET', label: 'Owner, Pet' },
];

export function SitesAdmin() {
  const load = useCallback(() => api<{ sites: AdminSite[] }>('/api/admin/sites').then((r) => r.sites), []);
  const { data, error, reload } = useResource(load);
  const action = useAction();
  const [form, setForm] = useState({ name: '', code: '', patientNameStyle: 'OWNER_PET' });

  function add(e: FormEvent) {
    e.preventDefault();
    void action.run(async () => {
      await api('/api/admin/sites', { method: 'POST', body: form });
      setForm({ name: '', code: '', patientNameStyle: 'OWNER_PET' });
      reload();
    });
  }

  return (
    <section className="panel" aria-labelledby="sites-title">
      <h1 id="sites-title">Sites</h1>
      <form className="inline-form" onSubmit={add} aria-label="Add a site">
        <label>
          Name
          <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <label>
          Code
          <input required pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,31}" value={form.code} onChange={(e) => setForm({ ...form, code: e.target.value })} />
        </label>
        <label>
          Patient name style of its devices
          <select value={form.patientNameStyle} onChange={(e) => setForm({ ...form, patientNameStyle: e.target.value })}>
            {STYLES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          Add site
        </button>
      </form>
      {action.error && <p className="form-error" role="alert">{action.error}</p>}
      {error ? (
        <ErrorState message={error} onRetry={reload} />
      ) : !data ? (
        <Spinner />
      ) : (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Code</th>
              <th scope="col">Name style</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {data.map((s) => (
              <tr key={s.id}>
                <td>{s.name}</td>
                <td className="mono">{s.code}</td>
                <td>
                  <select
                    aria-label={`Patient name style of ${s.name}`}
                    value={s.patientNameStyle}
                    onChange={(e) => void action.run(async () => {
                      await api(`/api/admin/sites/${s.id}`, { method: 'PATCH', body: { patientNameStyle: e.target.value } });
                      reload();
                    })}
                  >
                    {STYLES.map((st) => (
                      <option key={st.value} value={st.value}>
                        {st.label}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{when(s.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
