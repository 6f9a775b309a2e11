import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { bundleSize, writeBundle } from '@vetpacs/bundle';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, testEnv, type TestPractice, type TestServer } from './harness';
import { spawnServer } from './process';
import { completed, tusUpload } from './tus-client';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function storedBytes(server: TestServer, practiceId: string, sopInstanceUid: string) {
  const inst = await server.deps.db.instance.findUniqueOrThrow({ where: { practiceId_sopInstanceUid: { practiceId, sopInstanceUid } } });
  return buffer((await server.deps.store.get(inst.objectKey)).body);
}

/** A ~1.2 MB radiograph-like instance (enough bytes for several chunks). */
function bigInstance(n: number) {
  return makeDicom({ seed: 5000 + n, sopInstanceUid: `1.2.826.0.1.3680043.10.1000.5000.${n}`, rows: 768, columns: 768, modality: 'DX' });
}

describe('tus ingest', () => {
  let server: TestServer;
  let practice: TestPractice;

  beforeAll(async () => {
    server = await startTestServer({ TUS_LOCK_TTL_MS: '2000' });
    practice = await createTestPractice(server.deps.db);
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores a single-instance upload and returns its receipt in the final response', async () => {
    const file = bigInstance(1);
    const res = completed(await tusUpload(server.url, practice.gatewayAuth, file, { chunkSize: 256 * 1024, metadata: { sha256: sha(file) } }));
    expect(res.body.receipts).toEqual([expect.objectContaining({ status: 'STORED', sha256: sha(file) })]);
    expect(sha(await storedBytes(server, practice.id, '1.2.826.0.1.3680043.10.1000.5000.1'))).toBe(sha(file));
    // Staging is cleaned once the instance is stored.
    const receipts = (await (await fetch(`${server.url}/api/receipts/${res.body.uploadId}`, { headers: { authorization: practice.gatewayAuth } })).json()) as { receipts: unknown[] };
    expect(receipts.receipts).toEqual([expect.objectContaining({ status: 'STORED', sha256: sha(file) })]);
  });

  it('resumes an upload interrupted at 50 % from the server offset; bytes identical', async () => {
    const file = bigInstance(2);
    const first = await tusUpload(server.url, practice.gatewayAuth, file, { chunkSize: 128 * 1024, abortAt: 0.5 });
    expect('aborted' in first).toBe(true);
    const head = await fetch(`${server.url}${new URL(first.uploadUrl, server.url).pathname}`, {
      method: 'HEAD',
      headers: { authorization: practice.gatewayAuth, 'tus-resumable': '1.0.0' },
    });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(file.length);
    const res = completed(await tusUpload(server.url, practice.gatewayAuth, file, { chunkSize: 128 * 1024, uploadUrl: first.uploadUrl }));
    expect(res.body.receipts[0]?.status).toBe('STORED');
    expect(sha(await storedBytes(server, practice.id, '1.2.826.0.1.3680043.10.1000.5000.2'))).toBe(sha(file));
  });

  it('refuses another practice access to an upload (404) and to its receipts (empty)', async () => {
    const other = await createTestPractice(server.deps.db, 'Other Vets');
    const file = bigInstance(3);
    const first = await tusUpload(server.url, practice.bearer, file, { chunkSize: 128 * 1024, abortAt: 0.3 });
    const path = new URL(first.uploadUrl, server.url).pathname;
    const head = await fetch(`${server.url}${path}`, { method: 'HEAD', headers: { authorization: other.bearer, 'tus-resumable': '1.0.0' } });
    expect(head.status).toBe(404);
    const done = completed(await tusUpload(server.url, practice.bearer, file, { uploadUrl: first.uploadUrl }));
    const theirs = (await (await fetch(`${server.url}/api/receipts/${done.body.uploadId}`, { headers: { authorization: other.bearer } })).json()) as { receipts: unknown[] };
    expect(theirs.receipts).toEqual([]);
    expect((await fetch(`${server.url}/api/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } })).status).toBe(401);
  });

  it('ingests a bundle member by member: good ones stored, a hash mismatch rejected with a reason', async () => {
    const files = [1, 2, 3].map((n) => makeDicom({ seed: 6000, sopInstanceUid: `1.2.826.0.1.3680043.10.1000.6000.${n}`, instanceNumber: n, rows: 64, columns: 64, modality: 'CT' }));
    const members = files.map((bytes, i) => ({
      name: `${i}.dcm`,
      size: bytes.length,
      // member 2 declares a wrong hash: it must be rejected, the others stored
      sha256: i === 1 ? sha(Buffer.from('something else')) : sha(bytes),
      source: () => Readable.from([bytes]),
    }));
    const tarBytes = await buffer(writeBundle(members));
    expect(tarBytes.length).toBe(bundleSize(members));
    const res = completed(await tusUpload(server.url, practice.gatewayAuth, tarBytes, { metadata: { type: 'bundle' }, chunkSize: 64 * 1024 }));
    expect(res.body.receipts.map((r) => [r.member, r.status, r.code ?? null])).toEqual([
      ['0.dcm', 'STORED', null],
      ['1.dcm', 'REJECTED', 'HASH_MISMATCH'],
      ['2.dcm', 'STORED', null],
    ]);
    expect(await server.deps.db.instance.count({ where: { practiceId: practice.id, sopInstanceUid: { startsWith: '1.2.826.0.1.3680043.10.1000.6000.' } } })).toBe(2);
    const keys: string[] = [];
    for await (const o of server.deps.store.list(`practices/${practice.id}/originals/`)) keys.push(o.key);
    // Exactly the two stored instances' objects: nothing left behind for the rejected member.
    const rows = await server.deps.db.instance.findMany({ where: { practiceId: practice.id, sopInstanceUid: { startsWith: '1.2.826.0.1.3680043.10.1000.6000.' } }, select: { objectKey: true } });
    expect(keys.filter((k) => k.includes('/1.2.826.0.1.3680043.10.1000.6000.')).sort()).toEqual(rows.map((r) => r.objectKey).sort());
  });

  it('keeps both versions when a UID is re-sent with different bytes, and says so', async () => {
    const uid = '1.2.826.0.1.3680043.10.1000.7000.1';
    const original = makeDicom({ seed: 7000, sopInstanceUid: uid, rows: 32, columns: 32, studyDescription: 'Thorax' });
    const altered = makeDicom({ seed: 7000, sopInstanceUid: uid, rows: 32, columns: 32, studyDescription: 'Thorax (corrected)' });
    expect(completed(await tusUpload(server.url, practice.bearer, original)).body.receipts[0]?.status).toBe('STORED');
    const res = completed(await tusUpload(server.url, practice.bearer, altered));
    expect(res.body.receipts[0]).toMatchObject({
      status: 'CONFLICT', version: 2, sha256: sha(altered),
      reason: 'SOP Instance UID already stored with different bytes; kept as version 2, the original is unchanged',
    });
    const inst = await server.deps.db.instance.findUniqueOrThrow({ where: { practiceId_sopInstanceUid: { practiceId: practice.id, sopInstanceUid: uid } }, include: { versions: { orderBy: { version: 'asc' } } } });
    expect(inst.sha256).toBe(sha(original)); // the original stays the served version
    expect(inst.hasConflict).toBe(true);
    expect(inst.versions.map((v) => v.sha256)).toEqual([sha(original), sha(altered)]);
    for (const v of inst.versions) expect(sha(await buffer((await server.deps.store.get(v.objectKey)).body))).toBe(v.sha256);
    const audit = await server.deps.db.auditEvent.findMany({ where: { practiceId: practice.id, action: 'ingest.conflict', entityId: inst.id } });
    expect(audit).toHaveLength(1);
    // Re-sending either version again is a plain duplicate.
    expect(completed(await tusUpload(server.url, practice.bearer, altered)).body.receipts[0]).toMatchObject({
      status: 'DUPLICATE', reason: 'already stored (version 2, same SHA-256)',
    });
  });
});

describe('tus across server processes', () => {
  let helper: TestServer;
  let practice: TestPractice;

  beforeAll(async () => {
    helper = await startTestServer();
    practice = await createTestPractice(helper.deps.db);
  });
  afterAll(async () => {
    await helper.close();
  });

  it('lets a second server process finish an upload the first one started (shared staging)', async () => {
    const env = testEnv({ UPLOAD_STAGING_DIR: helper.stagingDir, TUS_LOCK_TTL_MS: '2000', LOG_LEVEL: 'warn' });
    const [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
    try {
      const file = bigInstance(10);
      const first = await tusUpload(a.url, practice.gatewayAuth, file, { chunkSize: 128 * 1024, abortAt: 0.5 });
      expect('aborted' in first).toBe(true);
      const res = completed(await tusUpload(b.url, practice.gatewayAuth, file, { chunkSize: 128 * 1024, uploadUrl: first.uploadUrl }));
      expect(res.body.receipts[0]?.status).toBe('STORED');
      expect(sha(await storedBytes(helper, practice.id, '1.2.826.0.1.3680043.10.1000.5000.10'))).toBe(sha(file));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('resumes after the server is killed mid-upload and restarted', async () => {
    const env = testEnv({ UPLOAD_STAGING_DIR: helper.stagingDir, TUS_LOCK_TTL_MS: '2000', LOG_LEVEL: 'warn' });
    const a = await spawnServer(env);
    const file = bigInstance(11);
    const tusHeaders = { authorization: practice.gatewayAuth, 'tus-resumable': '1.0.0' };
    const created = await fetch(`${a.url}/api/uploads`, {
      method: 'POST',
      headers: { ...tusHeaders, 'upload-length': String(file.length), 'upload-metadata': `type ${Buffer.from('instance').toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const uploadUrl = created.headers.get('location') ?? '';
    const uploadId = new URL(uploadUrl, a.url).pathname.split('/').pop() ?? '';
    // A PATCH that sends the first half and then stalls, so the kill always lands mid-body
    // (a client sending the whole file could finish between two polls on a fast machine).
    const half = Math.floor(file.length / 2);
    const patch = request(`${a.url}${new URL(uploadUrl, a.url).pathname}`, {
      method: 'PATCH',
      headers: { ...tusHeaders, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(file.length) },
    });
    const patchDone = new Promise<unknown>((resolve) => {
      patch.on('error', resolve);
      patch.on('response', resolve);
    });
    patch.write(file.subarray(0, half));
    // Kill the process once the server has written some of the bytes to staging.
    const staged = path.join(helper.stagingDir, uploadId);
    for (let i = 0; i < 400 && ((await stat(staged).catch(() => null))?.size ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect((await stat(staged)).size).toBeGreaterThan(0);
    await a.kill();
    expect(await patchDone).toBeInstanceOf(Error);
    const restarted = await spawnServer(env, a.port);
    try {
      const head = await fetch(`${restarted.url}${new URL(uploadUrl, a.url).pathname}`, { method: 'HEAD', headers: tusHeaders });
      const offset = Number(head.headers.get('upload-offset'));
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeLessThanOrEqual(half);
      const res = completed(await tusUpload(restarted.url, practice.gatewayAuth, file, { chunkSize: 64 * 1024, uploadUrl }));
      expect(res.body.receipts[0]?.status).toBe('STORED');
      expect(sha(await storedBytes(helper, practice.id, '1.2.826.0.1.3680043.10.1000.5000.11'))).toBe(sha(file));
    } finally {
      await restarted.stop();
    }
  });
});
