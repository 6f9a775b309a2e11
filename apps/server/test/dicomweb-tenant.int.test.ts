import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@vetpacs/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, practiceAFixtures, practiceBFixtures, stow } from './dicomweb-fixtures';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';

/** Every read resource for one instance (QIDO scoped paths, WADO retrieve, metadata, frames, bulk). */
function resources(f: Fixture): string[] {
  const st = `/studies/${f.study}`;
  const se = `${st}/series/${f.series}`;
  const i = `${se}/instances/${f.sop}`;
  return [
    `${st}/series`, `${st}/instances`, `${se}/instances`,
    st, se, i,
    `${st}/metadata`, `${se}/metadata`, `${i}/metadata`,
    `${i}/frames/1`, `${i}/frames`, `${i}/bulk/00280030`,
  ];
}

describe('DICOMweb auth and tenant isolation', () => {
  let server: TestServer;
  let a: TestPractice;
  let b: TestPractice;
  let fa: Fixture[];
  let fb: Fixture[];
  const get = (path: string, headers: Record<string, string>) => fetch(`${server.url}/dicomweb${path}`, { headers });

  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: 'https://viewer.example' });
    a = await createTestPractice(server.deps.db, 'Practice A');
    b = await createTestPractice(server.deps.db, 'Practice B');
    fa = practiceAFixtures().slice(0, 2);
    fb = practiceBFixtures();
    expect(await stow(server, a.bearer, fa.map((f) => f.bytes))).toBe(200);
    expect(await stow(server, b.bearer, fb.map((f) => f.bytes))).toBe(200);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 401 without credentials on every resource', async () => {
    for (const path of ['/studies', '/series', '/instances', ...resources(fa[0]!)]) {
      expect((await get(path, {})).status, path).toBe(401);
    }
  });

  it("answers 404 for another practice's UIDs on every resource, and 200 for its own", async () => {
    const accept = { accept: '*/*' };
    for (const path of resources(fb[0]!)) {
      const res = await get(path, { authorization: a.bearer, ...accept });
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain(fb[0]!.sop);
    }
    for (const path of resources(fb[0]!)) {
      expect((await get(path, { authorization: b.bearer, ...accept })).status, path).toBe(200);
    }
  });

  it('never lists the other practice in searches, even for the same patient name and ID', async () => {
    for (const path of ['/studies?PatientID=PA-001', '/studies?PatientName=smith*', '/series', '/instances', `/instances?SOPInstanceUID=${fb[0]!.sop}`]) {
      const body = await (await get(path, { authorization: a.bearer })).text();
      expect(body, path).not.toContain(fb[0]!.study);
    }
    const seenByB = (await (await get('/studies?PatientID=PA-001', { authorization: b.bearer })).json()) as unknown[];
    expect(seenByB).toHaveLength(1);
  });

  it("accepts the portal's session cookie", async () => {
    const user = await server.deps.db.user.findFirstOrThrow({ where: { memberships: { some: { practiceId: a.id } } } });
    const token = randomBytes(24).toString('base64url');
    await server.deps.db.session.create({ data: { id: sha256Hex(token), userId: user.id, practiceId: a.id, expiresAt: new Date(Date.now() + 3600_000) } });
    const res = await get('/studies', { cookie: `vp_session=${token}` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBe(1);
  });

  it('answers CORS preflights for configured origins only, exposing ETag and Warning', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/dicomweb/studies`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const ok = await preflight('https://viewer.example');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://viewer.example');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const res = await get('/studies', { authorization: a.bearer, origin: 'https://viewer.example' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://viewer.example');
    expect(res.headers.get('access-control-expose-headers')).toContain('ETag');
  });
});
