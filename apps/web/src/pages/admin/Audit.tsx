import { useCallback } from 'react';
import { type AuditEvent, api } from '../../api';
import { EmptyState, ErrorState, Spinner } from '../../components/States';
import { useResource, when } from './common';

export function AuditAdmin() {
  const load = useCallback(() => api<{ events: AuditEvent[] }>('/api/admin/audit?limit=200').then((r) => r.events), []);
  const { data, error, reload } = useResource(load);
  return (
    <section className="panel" aria-labelledby="audit-admin-title">
      <h1 id="audit-admin-title">Audit log</h1>
      {error ? (
        <ErrorState message={error} onRetry={reload} />
      ) : !data ? (
        <Spinner />
      ) : data.length === 0 ? (
        <EmptyState title="No events yet" />
      ) : (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Entity</th>
              <th scope="col">By</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {data.map((e) => (
              <tr key={e.id}>
                <td>{when(e.at)}</td>
                <td>{e.action}</td>
                <td className="small">
                  {e.entityType} <span className="mono muted">{e.entityId.slice(0, 12)}</span>
                </td>
                <td className="small">
                  {e.actorType.toLowerCase()} {e.sourceIp && <span className="muted">{e.sourceIp}</span>}
                </td>
                <td className="mono small">{JSON.stringify(e.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
