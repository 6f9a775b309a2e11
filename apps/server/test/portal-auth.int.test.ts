import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';
import { addUser, login, PORTAL_HEADERS, session } from './portal-helpers';

describe('portal sign-in, sessions and roles', () => {
  let server: TestServer;
  let practice: TestPractice;

  beforeAll(async () => {
    server = await startTestServer();
    practice = await createTestPractice(server.deps.db, 'Auth Vets');
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs in with an HTTP-only SameSite cookie, knows the user and role, and signs out for good', async () => {
    const vet = await addUser(server.deps.db, practice.id, 'VET');
    const wrong = await login(server, vet.email, 'not the password');
    expect(wrong.res.status).toBe(401);
    expect(wrong.setCookie).toBe('');

    const ok = await login(server, vet.email.toUpperCase(), vet.password);
    expect(ok.res.status).toBe(200);
    expect(ok.setCookie).toMatch(/^vp_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
    const body = (await ok.res.json()) as { role: string; practice: { name: string }; user: { email: string } };
    expect(body).toMatchObject({ role: 'VET', practice: { name: 'Auth Vets' }, user: { email: vet.email } });

    const api = session(server, ok.cookie);
    expect((await api('/api/auth/me')).status).toBe(200);
    // The database holds only the hash of the token.
    const token = ok.cookie.split('=')[1]!;
    expect(await server.deps.db.session.count({ where: { id: token } })).toBe(0);

    expect((await api('/api/auth/logout', { method: 'POST' })).status).toBe(204);
    expect((await api('/api/auth/me')).status).toBe(401);
    const audit = await server.deps.db.auditEvent.findMany({ where: { practiceId: practice.id, entityId: vet.userId }, select: { action: true } });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['session.login', 'session.logout']));
  });

  it('refuses cookie-authenticated writes without the CSRF header or from a foreign origin', async () => {
    const vet = await addUser(server.deps.db, practice.id, 'VET');
    expect((await login(server, vet.email, vet.password, { 'content-type': 'application/json' })).res.status).toBe(403);
    const { cookie } = await login(server, vet.email, vet.password);
    const bare = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(bare.status).toBe(403);
    const foreign = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie, 'x-requested-with': 'vetpacs', origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    // Still signed in: neither forged request took effect.
    expect((await session(server, cookie)('/api/auth/me')).status).toBe(200);
  });

  it('enforces roles on the server: read-only and vets cannot administer, read-only cannot upload', async () => {
    const ro = await addUser(server.deps.db, practice.id, 'READ_ONLY');
    const vet = await addUser(server.deps.db, practice.id, 'VET');
    const admin = await addUser(server.deps.db, practice.id, 'OWNER_ADMIN');
    const asRo = session(server, (await login(server, ro.email, ro.password)).cookie);
    const asVet = session(server, (await login(server, vet.email, vet.password)).cookie);
    const asAdmin = session(server, (await login(server, admin.email, admin.password)).cookie);

    for (const path of ['/api/admin/users', '/api/admin/sites', '/api/admin/gateways', '/api/admin/tokens', '/api/admin/audit']) {
      expect((await asRo(path)).status, path).toBe(403);
      expect((await asVet(path)).status, path).toBe(403);
      expect((await asAdmin(path)).status, path).toBe(200);
    }
    expect((await asRo('/api/admin/tokens', { method: 'POST', body: JSON.stringify({ name: 'x', role: 'VET' }) })).status).toBe(403);
    const upload = await asRo('/api/uploads', { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } });
    expect(upload.status).toBe(403);
    expect((await asRo('/api/studies')).status).toBe(200);
  });

  it('lets an admin reset a password: old sessions and the old password stop working, and it is audited', async () => {
    const vet = await addUser(server.deps.db, practice.id, 'VET');
    const admin = await addUser(server.deps.db, practice.id, 'OWNER_ADMIN');
    const vetCookie = (await login(server, vet.email, vet.password)).cookie;
    const asAdmin = session(server, (await login(server, admin.email, admin.password)).cookie);
    const res = await asAdmin(`/api/admin/users/${vet.userId}/password`, { method: 'POST', body: JSON.stringify({}) });
    expect(res.status).toBe(200);
    const { generatedPassword } = (await res.json()) as { generatedPassword: string };
    expect(generatedPassword.length).toBeGreaterThanOrEqual(16);

    expect((await session(server, vetCookie)('/api/auth/me')).status).toBe(401);
    expect((await login(server, vet.email, vet.password)).res.status).toBe(401);
    expect((await login(server, vet.email, generatedPassword)).res.status).toBe(200);
    const audit = await server.deps.db.auditEvent.findFirst({ where: { practiceId: practice.id, action: 'user.set_password', entityId: vet.userId } });
    expect(audit?.actorId).toBe(admin.userId);
  });

  it('never lets a practice lose its last owner/admin', async () => {
    const solo = await createTestPractice(server.deps.db, 'Solo Vets');
    const admin = await addUser(server.deps.db, solo.id, 'OWNER_ADMIN');
    const asAdmin = session(server, (await login(server, admin.email, admin.password)).cookie);
    const demote = await asAdmin(`/api/admin/users/${admin.userId}`, { method: 'PATCH', body: JSON.stringify({ role: 'VET' }) });
    expect(demote.status).toBe(409);
    expect((await asAdmin(`/api/admin/users/${admin.userId}`, { method: 'DELETE' })).status).toBe(409);
    expect(((await asAdmin('/api/auth/me').then((r) => r.json())) as { role: string }).role).toBe('OWNER_ADMIN');
  });

  it('shows gateway secrets once, revokes, and audits both', async () => {
    const admin = await addUser(server.deps.db, practice.id, 'OWNER_ADMIN');
    const asAdmin = session(server, (await login(server, admin.email, admin.password)).cookie);
    const gw = await asAdmin('/api/admin/gateways', { method: 'POST', body: JSON.stringify({ siteId: practice.siteId, name: 'Front desk' }) });
    expect(gw.status).toBe(201);
    const created = (await gw.json()) as { keyId: string; secret: string; gateway: { id: string } };
    expect(created.secret.length).toBeGreaterThan(30);
    const list = await (await asAdmin('/api/admin/gateways')).text();
    expect(list).toContain(created.keyId);
    expect(list).not.toContain(created.secret);
    expect((await asAdmin(`/api/admin/gateways/${created.gateway.id}/revoke`, { method: 'POST' })).status).toBe(204);
    expect((await asAdmin(`/api/admin/gateways/${created.gateway.id}/revoke`, { method: 'POST' })).status).toBe(404);
    const actions = (await server.deps.db.auditEvent.findMany({ where: { practiceId: practice.id, entityId: created.gateway.id } })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['gateway.create', 'gateway.revoke']));
  });

  it('rate-limits sign-in attempts per address', async () => {
    const email = `nobody-${Date.now()}@example.test`;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await login(server, email, 'guess')).res.status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('rejects a malformed login body with 400, not a crash', async () => {
    const res = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: PORTAL_HEADERS, body: JSON.stringify({ email: 5 }) });
    expect(res.status).toBe(400);
  });
});
