import { type FormEvent, useCallback, useState } from 'react';
import { api, type Role } from '../../api';
import { ErrorState, Spinner } from '../../components/States';
import { ROLES, RoleOptions, ShowOnce, useAction, useResource, when } from './common';

interface Token {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function TokensAdmin() {
  const load = useCallback(() => api<{ tokens: Token[] }>('/api/admin/tokens').then((r) => r.tokens), []);
  const { data, error, reload } = useResource(load);
  const action = useAction();
  const [form, setForm] = useState({ name: '', role: 'READ_ONLY' as Role });
  const [secret, setSecret] = useState<string | null>(null);

  function add(e: FormEvent) {
    e.preventDefault();
    void action.run(async () => {
      const r = await api<{ token: string }>('/api/admin/tokens', { method: 'POST', body: form });
      setSecret(r.token);
      setForm({ name: '', role: 'READ_ONLY' });
      reload();
    });
  }

  return (
    <section className="panel" aria-labelledby="tokens-title">
      <h1 id="tokens-title">API tokens</h1>
      {secret && <ShowOnce title="API token" value={secret} onDone={() => setSecret(null)} />}
      <form className="inline-form" onSubmit={add} aria-label="Create an API token">
        <label>
          Name
          <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <label>
          Role
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            <RoleOptions />
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          Create token
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
              <th scope="col">Prefix</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((t) => (
              <tr key={t.id} className={t.revokedAt ? 'revoked' : undefined}>
                <td>{t.name}</td>
                <td className="mono">vp_{t.prefix}_…</td>
                <td>{ROLES.find((r) => r.value === t.role)?.label}</td>
                <td>{when(t.createdAt)}</td>
                <td>{when(t.lastUsedAt)}</td>
                <td>
                  {t.revokedAt ? (
                    <span className="badge badge-muted">Revoked</span>
                  ) : (
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      onClick={() => {
                        if (!window.confirm(`Revoke token ${t.name}?`)) return;
                        void action.run(async () => {
                          await api(`/api/admin/tokens/${t.id}/revoke`, { method: 'POST' });
                          reload();
                        });
                      }}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
