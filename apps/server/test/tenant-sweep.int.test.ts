import { createApiToken, createGateway } from '@vetpacs/db';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, stowParts, type TestPractice, type TestServer } from './harness';

/**
 * Product rule 3: tenant isolation is absolute. Practice B (with an admin token) calls EVERY
 * registered route, with every path parameter filled with practice A's identifiers. Each call must
 * be refused or come back without any of A's data, and afterwards A's data must be unchanged.
 * New routes are covered automatically (the list comes from the running server).
 */
describe('cross-tenant sweep over every route', () => {
  let server: TestServer;
  let a: TestPractice;
  let b: TestPractice;
  let bAdmin: string;
  const secrets: string[] = [];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer();
    a = await createTestPractice(server.deps.db, 'Alpha Vets');
    b = await createTestPractice(server.deps.db, 'Beta Vets');
    const actor = { type: 'SYSTEM' as const, id: 'test' };
    bAdmin = `Bearer ${(await createApiToken(server.deps.db, b.id, { name: 'b admin', role: 'OWNER_ADMIN' }, actor)).token}`;
    const extraGw = await createGateway(server.deps.db, a.id, { siteId: a.siteId, name: 'a-second' }, actor);

    const uids = { study: '1.2.826.0.1.3680043.10.1000.4711', series: '1.2.826.0.1.3680043.10.1000.4711.1', sop: '1.2.826.0.1.3680043.10.1000.4711.1.1' };
    const file = makeDicom({ studyInstanceUid: uids.study, seriesInstanceUid: uids.series, sopInstanceUid: uids.sop, patientName: 'Zzyzx^Secretpet', patientId: 'ALPHA-SECRET-1', responsiblePerson: 'Zzyzx^Owner', rows: 32, columns: 32 });
    const res = await stowParts(server, a.gatewayAuth, [{ body: file }]);
    expect(res.status).toBe(200);
    const uploadId = res.headers.get('x-receipts')!.split('/').pop()!;

    const db = server.deps.db;
    const study = await db.study.findFirstOrThrow({ where: { practiceId: a.id } });
    const series = await db.series.findFirstOrThrow({ where: { practiceId: a.id } });
    const instance = await db.instance.findFirstOrThrow({ where: { practiceId: a.id } });
    const user = await db.membership.findFirstOrThrow({ where: { practiceId: a.id } });
    const token = await db.apiToken.findFirstOrThrow({ where: { practiceId: a.id } });
    const patient = await db.patient.findFirstOrThrow({ where: { practiceId: a.id } });
    Object.assign(ids, {
      study: uids.study, series: uids.series, instance: uids.sop, frames: '1', frame: '1', frameList: '1',
      uploadId, studyId: study.id, seriesId: series.id, instanceId: instance.id, patientId: patient.id,
      userId: user.userId, siteId: a.siteId, gatewayId: extraGw.gateway.id, tokenId: token.id, practiceId: a.id, id: study.id,
    });
    secrets.push('Zzyzx', 'Secretpet', 'ALPHA-SECRET-1', uids.study, a.id, a.siteId, study.id, instance.sha256);
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses or hides practice A data on every route called by practice B', async () => {
    const routes = server.app.registeredRoutes.filter((r) => r.method !== 'OPTIONS' && !r.url.startsWith('/ohif') && r.url !== '/*');
    expect(routes.length).toBeGreaterThan(25);
    const problems: string[] = [];
    for (const route of routes) {
      const path = route.url
        .replace(/\*$/, ids.uploadId!)
        .replace(/:([A-Za-z]+)/g, (_m, name: string) => encodeURIComponent(ids[name] ?? ids.studyId!));
      for (const auth of [b.bearer, bAdmin]) {
        const init: RequestInit = { method: route.method, headers: { authorization: auth, 'content-type': 'application/json', 'tus-resumable': '1.0.0' } };
        if (!['GET', 'HEAD', 'DELETE'].includes(route.method)) init.body = JSON.stringify({ sopInstanceUids: [ids.instance], name: 'x', role: 'READ_ONLY' });
        const res = await fetch(`${server.url}${path}`, init);
        const text = route.method === 'HEAD' ? '' : await res.text();
        const leaked = secrets.filter((s) => text.includes(s));
        if (res.status < 300 && leaked.length) problems.push(`${route.method} ${route.url} → ${res.status} leaks ${leaked.join(', ')}`);
        // 501 is the honest answer of optional resources we do not implement; anything else 5xx is a crash.
        if (res.status >= 500 && res.status !== 501) problems.push(`${route.method} ${route.url} → ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("leaves practice A's data, credentials and users exactly as they were", async () => {
    const db = server.deps.db;
    expect(await db.instance.count({ where: { practiceId: a.id } })).toBe(1);
    expect(await db.study.count({ where: { practiceId: a.id } })).toBe(1);
    expect(await db.gateway.count({ where: { practiceId: a.id, revokedAt: { not: null } } })).toBe(0);
    expect(await db.apiToken.count({ where: { practiceId: a.id, revokedAt: { not: null } } })).toBe(0);
    expect(await db.membership.count({ where: { practiceId: a.id } })).toBe(1);
    const site = await db.site.findUniqueOrThrow({ where: { id: a.siteId } });
    expect(site.name).toBe('Main');
    // A still sees its own study.
    const own = await fetch(`${server.url}/dicomweb/studies?StudyInstanceUID=${ids.study}`, { headers: { authorization: a.bearer } });
    expect(((await own.json()) as unknown[]).length).toBe(1);
  });
});
