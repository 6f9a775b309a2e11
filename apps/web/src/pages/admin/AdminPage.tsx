import { NavLink, Navigate, Route, Routes } from 'react-router';
import { AuditAdmin } from './Audit';
import { GatewaysAdmin } from './Gateways';
import { SitesAdmin } from './Sites';
import { TokensAdmin } from './Tokens';
import { UsersAdmin } from './Users';

/** Practice administration (owner/admin only; the server enforces it on every call). */
export function AdminPage() {
  return (
    <div className="admin">
      <nav className="tabs" aria-label="Administration">
        <NavLink to="/admin/users">Users &amp; roles</NavLink>
        <NavLink to="/admin/sites">Sites</NavLink>
        <NavLink to="/admin/gateways">Gateways</NavLink>
        <NavLink to="/admin/tokens">API tokens</NavLink>
        <NavLink to="/admin/audit">Audit log</NavLink>
      </nav>
      <Routes>
        <Route index element={<Navigate to="users" replace />} />
        <Route path="users" element={<UsersAdmin />} />
        <Route path="sites" element={<SitesAdmin />} />
        <Route path="gateways" element={<GatewaysAdmin />} />
        <Route path="tokens" element={<TokensAdmin />} />
        <Route path="audit" element={<AuditAdmin />} />
      </Routes>
    </div>
  );
}
