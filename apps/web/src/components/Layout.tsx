import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../auth';

const ROLE_LABEL = { OWNER_ADMIN: 'Owner / admin', VET: 'Vet', NURSE: 'Nurse', READ_ONLY: 'Read-only' } as const;

/** Header with the practice's name, navigation by role, and the user menu. */
export function Layout() {
  const { me, signOut, switchPractice } = useAuth();
  if (!me) return null;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span className="practice-name" data-testid="practice-name">
            {me.practice.name}
          </span>
        </div>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Studies
          </NavLink>
          {me.role !== 'READ_ONLY' && <NavLink to="/upload">Upload</NavLink>}
          {me.role === 'OWNER_ADMIN' && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="user">
          {me.practices.length > 1 && (
            <label className="practice-switch">
              <span className="visually-hidden">Practice</span>
              <select value={me.practice.id} onChange={(e) => void switchPractice(e.target.value)}>
                {me.practices.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span className="user-name" title={me.user.email}>
            {me.user.name} <span className="role">{ROLE_LABEL[me.role]}</span>
          </span>
          <button type="button" className="btn btn-quiet" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
