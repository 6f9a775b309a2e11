import { randomBytes } from 'node:crypto';
import { createUser, type Db, type Role } from '@vetpacs/db';
import { stowParts, type TestServer } from './harness';

/** Headers a portal page sends with every state-changing request (CSRF guard). */
export const PORTAL_HEADERS = { 'x-requested-with': 'vetpacs', 'content-type': 'application/json' };
const CSRF = { 'x-requested-with': 'vetpacs' };

/** Adds a member with a known password; returns the credentials. */
export async function addUser(db: Db, practiceId: string, role: Role, password = 'correct horse battery staple') {
  const email = `${role.toLowerCase()}-${randomBytes(4).toString('hex')}@example.test`;
  const r = await createUser(db, practiceId, { email, name: `${role} user`, role, password }, { type: 'SYSTEM', id: 'test' });
  return { email, password, userId: r.member.userId };
}

/** Signs in through the API; returns the raw response and the `name=value` cookie pair. */
export async function login(server: TestServer, email: string, password: string, headers: Record<string, string> = PORTAL_HEADERS) {
  const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers, body: JSON.stringify({ email, password }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { res, setCookie, cookie: setCookie.split(';')[0] ?? '' };
}

/** A fetch bound to a session cookie, sending the portal's CSRF header. */
export function session(server: TestServer, cookie: string) {
  return (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { ...(init.body ? PORTAL_HEADERS : CSRF), cookie, ...(init.headers as Record<string, string> | undefined) },
    });
}

/** Sends Part-10 files with STOW-RS (PS3.18 §10.5) using an Authorization header value. */
export async function stow(server: TestServer, auth: string, files: Uint8Array[]) {
  const res = await stowParts(server, auth, files.map((body) => ({ body })));
  if (res.status !== 200) throw new Error(`STOW failed: ${res.status} ${res.text}`);
}
