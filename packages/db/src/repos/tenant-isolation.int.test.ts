/**
 * Every tenant-scoped repository function, called with practice B's id, must neither see nor
 * change practice A's rows. The last test fails when a new repository function appears without
 * being covered here.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '../index';
import * as repos from './index';
import type { Actor } from './audit';

const actor: Actor = { type: 'SYSTEM', id: 'tenant-isolation-test' };
const covered = new Set<string>();
const api = { ...repos };
/** Marks a repository function as exercised across tenants. */
const use = <K extends keyof typeof api>(name: K): (typeof api)[K] => {
  covered.add(name);
  return api[name];
};

let db: Db;
const run = randomBytes(4).toString('hex');
const a = {} as {
  practiceId: string;
  siteId: string;
  userId: string;
  email: string;
  password: string;
  tokenId: string;
  token: string;
  gatewayId: string;
  keyId: string;
  secret: string;
};
let bId = '';
const AE = `AE${run}`.slice(0, 16).toUpperCase();

beforeAll(async () => {
  db = createDb(inject('databaseUrl'));
  const pa = await repos.createPractice(db, { name: 'Practice A', slug: `iso-a-${run}` }, actor);
  const pb = await repos.createPractice(db, { name: 'Practice B', slug: `iso-b-${run}` }, actor);
  a.practiceId = pa.id;
  bId = pb.id;
  const site = await repos.createSite(db, pa.id, { name: 'Main', code: 'MAIN', patientNameStyle: 'PET_OWNER' }, actor);
  await repos.createSite(db, pb.id, { name: 'Main', code: 'MAIN' }, actor);
  a.siteId = site.id;
  await repos.setDeviceNameStyle(db, pa.id, { callingAeTitle: AE, style: 'OWNER_COMMA_PET', siteId: site.id }, actor);
  a.email = `vet-${run}@a.example`;
  a.password = 'correct horse battery';
  const user = await repos.createUser(db, pa.id, { email: a.email, name: 'Vet A', role: 'VET', password: a.password }, actor);
  a.userId = user.member.userId;
  const token = await repos.createApiToken(db, pa.id, { name: 'pacs-bridge', role: 'READ_ONLY' }, actor);
  a.tokenId = token.apiToken.id;
  a.token = token.token;
  const gw = await repos.createGateway(db, pa.id, { siteId: site.id, name: 'Edge A' }, actor);
  a.gatewayId = gw.gateway.id;
  a.keyId = gw.keyId;
  a.secret = gw.secret;
});

afterAll(async () => {
  await db?.close();
});

describe('practice B cannot reach practice A', () => {
  it('practices', async () => {
    const b = await use('getPractice')(db, bId);
    expect(b?.id).toBe(bId);
    const updated = await use('updatePractice')(db, bId, { name: 'B renamed' }, actor);
    expect(updated?.id).toBe(bId);
    expect((await repos.getPractice(db, a.practiceId))?.name).toBe('Practice A');
    // Operator-level lookups are keyed by the practice itself, not by a tenant argument.
    expect((await use('getPracticeBySlug')(db, `iso-a-${run}`))?.id).toBe(a.practiceId);
    expect((await use('listPractices')(db)).map((p) => p.id)).toEqual(expect.arrayContaining([a.practiceId, bId]));
    await expect(use('createPractice')(db, { name: 'dup', slug: `iso-a-${run}` }, actor)).rejects.toThrow(/already exists/);
  });

  it('sites and device name styles', async () => {
    expect((await use('listSites')(db, bId)).map((s) => s.id)).not.toContain(a.siteId);
    expect(await use('getSite')(db, bId, a.siteId)).toBeNull();
    expect((await use('getSiteByCode')(db, bId, 'MAIN'))?.practiceId).toBe(bId);
    expect(await use('updateSite')(db, bId, a.siteId, { name: 'hijacked', patientNameStyle: 'PET' }, actor)).toBeNull();
    const siteA = await repos.getSite(db, a.practiceId, a.siteId);
    expect(siteA).toMatchObject({ name: 'Main', patientNameStyle: 'PET_OWNER' });

    await expect(
      use('setDeviceNameStyle')(db, bId, { callingAeTitle: 'OTHER', style: 'PET', siteId: a.siteId }, actor),
    ).rejects.toThrow(/site not found/);
    // Same AE title in B is B's own row and leaves A's untouched.
    await repos.setDeviceNameStyle(db, bId, { callingAeTitle: AE, style: 'PET' }, actor);
    expect((await use('listDeviceNameStyles')(db, a.practiceId)).find((d) => d.callingAeTitle === AE)?.style).toBe(
      'OWNER_COMMA_PET',
    );
    expect(await use('deleteDeviceNameStyle')(db, bId, AE, actor)).toBe(true);
    expect(await repos.deleteDeviceNameStyle(db, bId, AE, actor)).toBe(false);
    expect((await repos.listDeviceNameStyles(db, a.practiceId)).map((d) => d.callingAeTitle)).toContain(AE);
    expect(await repos.listDeviceNameStyles(db, bId)).toEqual([]);

    const resolve = use('resolvePatientNameStyle');
    expect(await resolve(db, bId, { siteId: a.siteId, callingAeTitle: AE })).toBe('OWNER_PET');
    expect(await resolve(db, a.practiceId, { siteId: a.siteId, callingAeTitle: AE })).toBe('OWNER_COMMA_PET');
    expect(await resolve(db, a.practiceId, { siteId: a.siteId, callingAeTitle: 'UNKNOWN' })).toBe('PET_OWNER');
    await expect(use('createSite')(db, a.practiceId, { name: 'dup', code: 'MAIN' }, actor)).rejects.toThrow(/already used/);
  });

  it('users and memberships', async () => {
    expect((await use('listUsers')(db, bId)).map((m) => m.userId)).not.toContain(a.userId);
    expect(await use('getMember')(db, bId, a.userId)).toBeNull();
    expect(await use('getMemberByEmail')(db, bId, a.email)).toBeNull();
    expect((await use('setUserPassword')(db, bId, a.userId, 'attacker-chosen-pw', actor)).ok).toBe(false);
    expect(await use('setMemberRole')(db, bId, a.userId, 'OWNER_ADMIN', actor)).toBeNull();
    expect(await use('removeMember')(db, bId, a.userId, actor)).toBe(false);

    expect((await repos.getMember(db, a.practiceId, a.userId))?.role).toBe('VET');
    const login = await use('authenticateUser')(db, a.email.toUpperCase(), a.password);
    expect(login?.memberships).toEqual([{ practiceId: a.practiceId, role: 'VET' }]);
    expect(await repos.authenticateUser(db, a.email, 'attacker-chosen-pw')).toBeNull();

    // Adding A's user to B grants B a membership but cannot rename the account or reset its password.
    const added = await use('createUser')(
      db,
      bId,
      { email: a.email, name: 'Renamed by B', role: 'OWNER_ADMIN', password: 'attacker-chosen-pw' },
      actor,
    );
    expect(added).toMatchObject({ existingUser: true, generatedPassword: null });
    expect((await repos.getMember(db, a.practiceId, a.userId))?.name).toBe('Vet A');
    expect(await repos.authenticateUser(db, a.email, a.password)).not.toBeNull();
    expect(await repos.authenticateUser(db, a.email, 'attacker-chosen-pw')).toBeNull();
    expect(await repos.removeMember(db, bId, a.userId, actor)).toBe(true);
    expect((await repos.getMember(db, a.practiceId, a.userId))?.role).toBe('VET');
  });

  it('API tokens', async () => {
    expect((await use('listApiTokens')(db, bId)).map((t) => t.id)).not.toContain(a.tokenId);
    expect(await use('revokeApiToken')(db, bId, a.tokenId, actor)).toBe(false);
    await expect(
      use('createApiToken')(db, bId, { name: 'x', role: 'VET', createdById: a.userId }, actor),
    ).rejects.toThrow(/not a member/);
    expect(await use('verifyApiToken')(db, a.token)).toEqual({ practiceId: a.practiceId, tokenId: a.tokenId, role: 'READ_ONLY' });
    const listed = await repos.listApiTokens(db, a.practiceId);
    expect(listed[0]).not.toHaveProperty('tokenHash');
  });

  it('gateways', async () => {
    expect((await use('listGateways')(db, bId)).map((g) => g.id)).not.toContain(a.gatewayId);
    expect(await use('getGateway')(db, bId, a.gatewayId)).toBeNull();
    expect(await use('revokeGateway')(db, bId, a.gatewayId, actor)).toBe(false);
    expect(await use('recordGatewayHeartbeat')(db, bId, a.gatewayId, { heartbeat: { queued: 0 } })).toBe(false);
    await expect(use('createGateway')(db, bId, { siteId: a.siteId, name: 'x' }, actor)).rejects.toThrow(/site not found/);
    expect(await use('verifyGatewayCredentials')(db, a.keyId, a.secret)).toEqual({
      practiceId: a.practiceId,
      siteId: a.siteId,
      gatewayId: a.gatewayId,
    });
    expect((await repos.getGateway(db, a.practiceId, a.gatewayId))?.lastSeenAt).toBeNull();
  });

  it('audit events', async () => {
    const bEvents = await use('listAuditEvents')(db, bId, { limit: 1000 });
    expect(bEvents.every((e) => e.practiceId === bId)).toBe(true);
    const aEvents = await repos.listAuditEvents(db, a.practiceId, { limit: 1000 });
    const aIds = new Set(aEvents.map((e) => e.id));
    expect(bEvents.some((e) => aIds.has(e.id))).toBe(false);
    expect(aEvents.map((e) => e.action)).toEqual(
      expect.arrayContaining(['practice.create', 'site.create', 'user.create', 'api_token.create', 'gateway.create']),
    );
    const written = await use('recordAudit')(db, {
      practiceId: bId,
      actor,
      action: 'test.marker',
      entityType: 'test',
      entityId: run,
    });
    expect((await repos.listAuditEvents(db, a.practiceId, { action: 'test.marker' })).map((e) => e.id)).not.toContain(written.id);
  });
});

describe('credentials', () => {
  it('revoked, malformed and tampered credentials are refused', async () => {
    const t = await repos.createApiToken(db, bId, { name: 'temp', role: 'VET' }, actor);
    expect(await repos.verifyApiToken(db, t.token)).not.toBeNull();
    expect(await repos.verifyApiToken(db, `${t.token.slice(0, -1)}${t.token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await repos.verifyApiToken(db, 'vp_nope')).toBeNull();
    expect(await repos.revokeApiToken(db, bId, t.apiToken.id, actor)).toBe(true);
    expect(await repos.verifyApiToken(db, t.token)).toBeNull();

    const site = await repos.getSiteByCode(db, bId, 'MAIN');
    const gw = await repos.createGateway(db, bId, { siteId: site!.id, name: 'Edge B' }, actor);
    expect(await repos.verifyGatewayCredentials(db, gw.keyId, 'wrong')).toBeNull();
    expect(await repos.verifyGatewayCredentials(db, 'gw_unknown', gw.secret)).toBeNull();
    expect(await repos.recordGatewayHeartbeat(db, bId, gw.gateway.id, { heartbeat: { queued: 3 }, version: '1.0.0' })).toBe(true);
    expect(await repos.revokeGateway(db, bId, gw.gateway.id, actor)).toBe(true);
    expect(await repos.verifyGatewayCredentials(db, gw.keyId, gw.secret)).toBeNull();
  });
});

it('covers every tenant-facing repository function', () => {
  const helpers = new Set(['RepoError', 'conflictAs', 'isUniqueViolation', 'inTransaction', 'normaliseEmail']);
  const functions = Object.entries(api)
    .filter(([name, v]) => typeof v === 'function' && !helpers.has(name))
    .map(([name]) => name)
    .sort();
  expect(functions.filter((f) => !covered.has(f))).toEqual([]);
});
