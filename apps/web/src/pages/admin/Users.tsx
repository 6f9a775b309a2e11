import { type FormEvent, useCallback, useState } from 'react';
import { api, type Role } from '../../api';
import { useAuth } from '../../auth';
import { ErrorState, Spinner } from '../../components/States';
import { RoleOptions, ShowOnce, useAction, useResource, when } from './common';

interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
}

export function UsersAdmin() {
  const { me } = useAuth();
  const load = useCallback(() => api<{ users: Member[] }>('/api/admin/users').then((r) => r.users), []);
  const { data, error, reload } = useResource(load);
  const action = useAction();
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [form, setForm] = useState({ email: '', name: '', role: 'VET' as Role });

  function add(e: FormEvent) {
    e.preventDefault();
    void action.run(async () => {
      const r = await api<{ generatedPassword: string | null; existingUser: boolean }>('/api/admin/users', { method: 'POST', body: form });
      if (r.generatedPassword) setSecret({ title: `Password for ${form.email}`, value: r.generatedPassword });
      setForm({ email: '', name: '', role: 'VET' });
      reload();
    });
  }

  return (
    <section className="panel" aria-labelledby="users-title">
      <h1 id="users-title">Users &amp; roles</h1>
      {secret && <ShowOnce title={secret.title} value={secret.value} onDone={() => setSecret(null)} />}
      <form className="inline-form" onSubmit={add} aria-label="Add a user">
        <label>
          E-mail
          <input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </label>
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
          Add user
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
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
              <th scope="col">Added</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.map((u) => (
              <tr key={u.userId}>
                <td>{u.name}</td>
                <td>{u.email}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    disabled={action.busy}
                    onChange={(e) => void action.run(async () => {
                      await api(`/api/admin/users/${u.userId}`, { method: 'PATCH', body: { role: e.target.value } });
                      reload();
                    })}
                  >
                    <RoleOptions />
                  </select>
                </td>
                <td>{when(u.createdAt)}</td>
                <td className="row-buttons">
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => void action.run(async () => {
                      const r = await api<{ generatedPassword: string }>(`/api/admin/users/${u.userId}/password`, { method: 'POST', body: {} });
                      setSecret({ title: `New password for ${u.email}`, value: r.generatedPassword });
                    })}
                  >
                    Reset password
                  </button>
                  {u.userId !== me?.user.id && (
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      onClick={() => {
                        if (!window.confirm(`Remove ${u.email} from the practice?`)) return;
                        void action.run(async () => {
                          await api(`/api/admin/users/${u.userId}`, { method: 'DELETE' });
                          reload();
                        });
                      }}
                    >
                      Remove
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
