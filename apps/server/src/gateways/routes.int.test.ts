import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from '../../test/harness';

describe('gateway heartbeat and list', () => {
  let server: TestServer;
  let a: TestPractice;
  let b: TestPractice;
  beforeAll(async () => {
    server = await startTestServer();
    a = await createTestPractice(server.deps.db, 'A Vets');
    b = await createTestPractice(server.deps.db, 'B Vets');
  });
  afterAll(async () => {
    await server?.close();
  });

  const beat = (auth: string, body: unknown) =>
    fetch(`${server.url}/api/gateway/heartbeat`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const list = async (auth: string) => {
    const res = await fetch(`${server.url}/api/gateways`, { headers: { authorization: auth } });
    return { status: res.status, body: (await res.json()) as { gateways: { id: string; silent: boolean; version: string | null; queue: Record<string, number> | null; modalities: { callingAeTitle: string }[] }[] } };
  };

  it('only a gateway may post a heartbeat', async () => {
    expect((await beat(a.bearer, { version: '1' })).status).toBe(403);
    expect((await fetch(`${server.url}/api/gateway/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect((await beat(a.gatewayAuth, { queue: { queued: -1 } })).status).toBe(400);
  });

  it('stores the heartbeat and lists it to its own practice only', async () => {
    expect((await list(a.bearer)).body.gateways.find((g) => g.id === a.gatewayId)?.silent).toBe(true); // never reported
    const res = await beat(a.gatewayAuth, { version: '0.1.0', queue: { queued: 4, verified: 10 }, lastCStoreByAe: [{ callingAe: 'XRAY1', at: new Date().toISOString(), stores: 10 }] });
    expect(res.status).toBe(200);
    const mine = (await list(a.bearer)).body.gateways.find((g) => g.id === a.gatewayId)!;
    expect(mine).toMatchObject({ silent: false, version: '0.1.0', queue: { queued: 4, verified: 10 } });
    expect(mine.modalities.map((m) => m.callingAeTitle)).toEqual(['XRAY1']);
    const theirs = (await list(b.bearer)).body.gateways;
    expect(theirs.map((g) => g.id)).toEqual([b.gatewayId]);
    expect((await list(a.gatewayAuth)).status).toBe(403);
  });
});
