import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { makeCorruptVariants, makeDicom } from '@vetpacs/dicom/testing';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';
import { completed, tusUpload } from './tus-client';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Everything a practice has in the index and the object store: bad input must add nothing. */
async function footprint(server: TestServer, practiceId: string) {
  const keys: string[] = [];
  for await (const o of server.deps.store.list(`practices/${practiceId}/`)) keys.push(o.key);
  const db = server.deps.db;
  const where = { practiceId };
  return {
    objects: keys.length,
    patients: await db.patient.count({ where }),
    studies: await db.study.count({ where }),
    series: await db.series.count({ where }),
    instances: await db.instance.count({ where }),
    versions: await db.instanceVersion.count({ where }),
  };
}

describe('bad input is rejected with a reason and harms nothing', () => {
  let server: TestServer;
  let practice: TestPractice;
  const limit = 300_000;

  beforeAll(async () => {
    server = await startTestServer({ MAX_INSTANCE_SIZE: String(limit), UPLOAD_EXPIRY_HOURS: '0.0003' });
    practice = await createTestPractice(server.deps.db);
  });
  afterAll(async () => {
    await server.close();
  });

  const variants = makeCorruptVariants({ rows: 64, columns: 64 });
  it('tus: an empty upload is refused at creation (400)', async () => {
    const res = await fetch(`${server.url}/api/uploads`, {
      method: 'POST',
      headers: { authorization: practice.bearer, 'tus-resumable': '1.0.0', 'upload-length': '0' },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/empty/);
  });

  for (const v of variants.filter((x) => x.bytes.length > 0)) {
    it(`tus: ${v.name} → REJECTED ${v.expected}`, async () => {
      const before = await footprint(server, practice.id);
      const res = completed(await tusUpload(server.url, practice.bearer, Buffer.from(v.bytes)));
      expect(res.body.receipts).toHaveLength(1);
      expect(res.body.receipts[0]).toMatchObject({ status: 'REJECTED', code: v.expected });
      expect(res.body.receipts[0]?.reason?.length).toBeGreaterThan(10);
      expect(await footprint(server, practice.id)).toEqual(before);
    });
  }

  it('STOW: every corrupt variant is a FailedSOPSequence item (409: nothing stored), nothing left behind', async () => {
    const before = await footprint(server, practice.id);
    const boundary = 'corrupt-batch';
    const body = Buffer.concat([
      ...variants.flatMap((v) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(v.bytes), Buffer.from('\r\n')]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const res = await fetch(`${server.url}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: practice.bearer, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(409);
    const json = (await res.json()) as Record<string, { Value: unknown[] }>;
    expect(json['00081198']?.Value).toHaveLength(variants.length);
    expect(json['00081199']).toBeUndefined();
    expect(res.headers.get('warning')).toMatch(/299/);
    expect(await footprint(server, practice.id)).toEqual(before);
  });

  it('rejects an instance over the size limit without storing anything', async () => {
    const before = await footprint(server, practice.id);
    const big = makeDicom({ seed: 8100, rows: 512, columns: 512 }); // 512 KB > limit
    expect(big.length).toBeGreaterThan(limit);
    const res = completed(await tusUpload(server.url, practice.bearer, big));
    expect(res.body.receipts[0]).toMatchObject({ status: 'REJECTED', code: 'TOO_LARGE' });
    expect(await footprint(server, practice.id)).toEqual(before);
  });

  it('a bundle mixing good and bad instances: good stored, bad rejected each with a reason, unlisted and missing members reported', async () => {
    const good = [1, 2].map((n) => makeDicom({ seed: 8200, sopInstanceUid: `1.2.826.0.1.3680043.10.1000.8200.${n}`, instanceNumber: n, rows: 32, columns: 32 }));
    const bad = variants.find((v) => v.expected === 'INVALID_UID')!.bytes;
    const members = [
      { name: 'good1.dcm', bytes: good[0]! },
      { name: 'bad.dcm', bytes: Buffer.from(bad) },
      { name: 'good2.dcm', bytes: good[1]! },
    ].map((m) => ({ name: m.name, size: m.bytes.length, sha256: sha(m.bytes), source: () => Readable.from([m.bytes]) }));
    // The manifest also lists a member that never comes, and the tar carries one it does not list.
    const pack = tar.pack();
    const manifest = { format: 'vetpacs-bundle/1', instances: [...members.map(({ name, size, sha256 }) => ({ name, size, sha256 })), { name: 'ghost.dcm', size: 5, sha256: sha(Buffer.from('ghost')) }] };
    pack.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
    for (const m of members) pack.entry({ name: m.name }, await buffer(m.source()));
    pack.entry({ name: 'stowaway.dcm' }, good[0]!);
    pack.finalize();
    const tarBytes = await buffer(pack as unknown as Readable);
    const res = completed(await tusUpload(server.url, practice.gatewayAuth, tarBytes, { metadata: { type: 'bundle' } }));
    expect(res.body.receipts.map((r) => [r.member, r.status])).toEqual([
      ['good1.dcm', 'STORED'],
      ['bad.dcm', 'REJECTED'],
      ['good2.dcm', 'STORED'],
      ['stowaway.dcm', 'REJECTED'],
      ['ghost.dcm', 'REJECTED'],
    ]);
    expect(res.body.receipts[3]?.reason).toMatch(/not listed in the manifest/);
    expect(res.body.receipts[4]?.reason).toMatch(/not in the bundle/);
    expect(res.body.receipts[1]?.reason).toMatch(/UID/);
  });

  it('rejects an instance whose series already belongs to another study, storing nothing', async () => {
    const series = '1.2.826.0.1.3680043.10.1000.8400.1';
    const first = makeDicom({ seed: 8400, studyInstanceUid: '1.2.826.0.1.3680043.10.1000.8400', seriesInstanceUid: series, sopInstanceUid: `${series}.1`, rows: 16, columns: 16 });
    const stray = makeDicom({ seed: 8401, studyInstanceUid: '1.2.826.0.1.3680043.10.1000.8401', seriesInstanceUid: series, sopInstanceUid: `${series}.2`, rows: 16, columns: 16 });
    expect(completed(await tusUpload(server.url, practice.bearer, first)).body.receipts[0]?.status).toBe('STORED');
    const before = await footprint(server, practice.id);
    const res = completed(await tusUpload(server.url, practice.bearer, stray));
    expect(res.body.receipts[0]).toMatchObject({ status: 'REJECTED', code: 'SERIES_IN_OTHER_STUDY' });
    expect(await footprint(server, practice.id)).toEqual(before);
  });

  it('rejects a bundle with a broken manifest as a whole, storing nothing', async () => {
    const before = await footprint(server, practice.id);
    const res = completed(await tusUpload(server.url, practice.gatewayAuth, Buffer.from('not a tar archive'.repeat(64)), { metadata: { type: 'bundle' } }));
    expect(res.body.receipts).toEqual([expect.objectContaining({ status: 'REJECTED', code: 'BUNDLE_FORMAT' })]);
    expect(await footprint(server, practice.id)).toEqual(before);
  });

  it('refuses an upload declared larger than the upload limit, and unknown upload types', async () => {
    const tooBig = await fetch(`${server.url}/api/uploads`, {
      method: 'POST',
      headers: { authorization: practice.bearer, 'tus-resumable': '1.0.0', 'upload-length': String(server.config.MAX_UPLOAD_SIZE + 1) },
    });
    expect(tooBig.status).toBe(413);
    const badType = await fetch(`${server.url}/api/uploads`, {
      method: 'POST',
      headers: { authorization: practice.bearer, 'tus-resumable': '1.0.0', 'upload-length': '100', 'upload-metadata': `type ${Buffer.from('zip').toString('base64')}` },
    });
    expect(badType.status).toBe(400);
    expect(await badType.text()).toMatch(/type/);
  });

  it('cleans up an upload cut off midway and never resumed, after the configured expiry', async () => {
    const file = makeDicom({ seed: 8300, rows: 256, columns: 256 });
    const first = await tusUpload(server.url, practice.bearer, file, { chunkSize: 32 * 1024, abortAt: 0.5 });
    const id = new URL(first.uploadUrl, server.url).pathname.split('/').pop()!;
    expect(await readdir(server.stagingDir)).toContain(id);
    await new Promise((r) => setTimeout(r, 1500)); // expiry is ~1.1 s in this server's config
    await server.app.tusServer.cleanUpExpired();
    expect((await readdir(server.stagingDir)).filter((f) => f.startsWith(id))).toEqual([]);
    const head = await fetch(`${server.url}/api/uploads/${id}`, { method: 'HEAD', headers: { authorization: practice.bearer, 'tus-resumable': '1.0.0' } });
    expect([404, 410]).toContain(head.status);
  });
});
