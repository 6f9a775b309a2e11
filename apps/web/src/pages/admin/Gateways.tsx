import { type FormEvent, useCallback, useState } from 'react';
import { api, type Site } from '../../api';
import { ErrorState, Spinner } from '../../components/States';
import { ShowOnce, useAction, useResource, when } from './common';

interface Gateway {
  id: string;
  siteId: string;
  name: string;
  keyId: string;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
  version: string | null;
}

/** What the gateway itself last reported (heartbeat), from `GET /api/gateways`. */
interface GatewayHealth {
  id: string;
  silent: boolean;
  queue: Record<string, number> | null;
  oldestPendingAt: string | null;
  diskFreeBytes: number | null;
  modalities: { callingAeTitle: string; lastCStoreAt: string; stores: number; silent: boolean }[];
  alerts: { kind: string; message: string }[];
}

const gb = (n: number | null) => (n === null ? '—' : `${(n / 1e9).toFixed(1)} GB free`);

/** A gateway is "online" when its last heartbeat is recent (they report every minute or so). */
function health(g: Gateway): { label: string; cls: string } {
  if (g.revokedAt) return { label: 'Revoked', cls: 'badge-muted' };
  if (!g.lastSeenAt) return { label: 'Never seen', cls: 'badge-pending' };
  const age = Date.now() - new Date(g.lastSeenAt).getTime();
  return age < 5 * 60_000 ? { label: 'Online', cls: 'badge-safe' } : { label: 'Offline', cls: 'badge-conflict' };
}

export function GatewaysAdmin() {
  const load = useCallback(
    () =>
      Promise.all([
        api<{ gateways: Gateway[] }>('/api/admin/gateways'),
        api<{ sites: Site[] }>('/api/sites'),
        api<{ gateways: GatewayHealth[] }>('/api/gateways'),
      ]).then(([g, s, h]) => ({ gateways: g.gateways, sites: s.sites, health: new Map(h.gateways.map((x) => [x.id, x])) })),
    [],
  );
  const { data, error, reload } = useResource(load);
  const action = useAction();
  const [form, setForm] = useState({ name: '', siteId: '' });
  const [secret, setSecret] = useState<string | null>(null);

  function add(e: FormEvent) {
    e.preventDefault();
    void action.run(async () => {
      const siteId = form.siteId || data?.sites[0]?.id || '';
      const r = await api<{ keyId: string; secret: string }>('/api/admin/gateways', { method: 'POST', body: { name: form.name, siteId } });
      setSecret(`GATEWAY_KEY_ID=${r.keyId}\nGATEWAY_SECRET=${r.secret}`);
      setForm({ name: '', siteId: '' });
      reload();
    });
  }

  const siteName = (id: string) => data?.sites.find((s) => s.id === id)?.name ?? '—';
  return (
    <section className="panel" aria-labelledby="gw-title">
      <h1 id="gw-title">Gateways</h1>
      {secret && <ShowOnce title="Gateway credentials" value={secret} onDone={() => setSecret(null)} />}
      <form className="inline-form" onSubmit={add} aria-label="Register a gateway">
        <label>
          Name
          <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <label>
          Site
          <select required value={form.siteId || data?.sites[0]?.id || ''} onChange={(e) => setForm({ ...form, siteId: e.target.value })}>
            {data?.sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={action.busy || !data?.sites.length}>
          Register gateway
        </button>
      </form>
      {action.error && <p className="form-error" role="alert">{action.error}</p>}
      {data && [...data.health.values()].some((h) => h.alerts.length > 0) && (
        <div className="form-error" role="alert" aria-label="Gateway alerts">
          <strong>Needs attention</strong>
          <ul>
            {data.gateways.flatMap((g) =>
              (data.health.get(g.id)?.alerts ?? []).map((a) => (
                <li key={`${g.id}-${a.kind}-${a.message}`}>
                  {g.name}: {a.message}
                </li>
              )),
            )}
          </ul>
        </div>
      )}
      {error ? (
        <ErrorState message={error} onRetry={reload} />
      ) : !data ? (
        <Spinner />
      ) : (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Site</th>
              <th scope="col">Key ID</th>
              <th scope="col">Status</th>
              <th scope="col">Last seen</th>
              <th scope="col">Queue</th>
              <th scope="col">Modalities (last image)</th>
              <th scope="col">Version</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.gateways.map((g) => {
              const h = health(g);
              return (
                <tr key={g.id}>
                  <td>{g.name}</td>
                  <td>{siteName(g.siteId)}</td>
                  <td className="mono small">{g.keyId}</td>
                  <td>
                    <span className={`badge ${h.cls}`}>{h.label}</span>
                  </td>
                  <td>{when(g.lastSeenAt)}</td>
                  <td className="small">
                    {(() => {
                      const hb = data.health.get(g.id);
                      if (!hb?.queue) return '—';
                      const pending = (hb.queue.queued ?? 0) + (hb.queue.uploading ?? 0);
                      return `${pending} pending${hb.oldestPendingAt ? ` since ${when(hb.oldestPendingAt)}` : ''} · ${gb(hb.diskFreeBytes)}`;
                    })()}
                  </td>
                  <td className="small">
                    {(data.health.get(g.id)?.modalities ?? []).map((m) => (
                      <div key={m.callingAeTitle} className={m.silent ? 'text-warn' : undefined}>
                        {m.callingAeTitle}: {when(m.lastCStoreAt)}
                      </div>
                    ))}
                  </td>
                  <td>{g.version ?? '—'}</td>
                  <td>
                    {!g.revokedAt && (
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => {
                          if (!window.confirm(`Revoke gateway ${g.name}? It will stop uploading immediately.`)) return;
                          void action.run(async () => {
                            await api(`/api/admin/gateways/${g.id}/revoke`, { method: 'POST' });
                            reload();
                          });
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
