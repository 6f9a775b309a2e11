import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeDicom } from '@vetpacs/dicom/testing';
import { describe, expect, it } from 'vitest';
import { openQueueDb } from '../src/queue/db';
import { type Cloud, cloudLookup, sha256, spawnGateway, storescu, tempDir, useCloud, waitFor, writeGatewayConfig } from './harness';
import { startCorruptingProxy } from './proxy';

/** The gateway's queue rows, read straight from its SQLite file (read-only, like `status`). */
function queueRows(dataDir: string) {
  const db = openQueueDb(dataDir, { readOnly: true });
  try {
    return db.prepare('select id, sop_instance_uid, sha256, state, attempts, upload_id, path from instance order by id').all() as {
      id: number; sop_instance_uid: string; sha256: string; state: string; attempts: number; upload_id: number | null; path: string;
    }[];
  } finally {
    db.close();
  }
}

function uploadUrls(dataDir: string): string[] {
  const db = openQueueDb(dataDir, { readOnly: true });
  try {
    return (db.prepare('select url from upload where url is not null').all() as { url: string }[]).map((r) => r.url);
  } finally {
    db.close();
  }
}

/** Writes `n` instances of one study; returns paths and SOP UIDs. */
async function fixtures(dir: string, seed: number, n: number, size: { rows: number; columns: number }) {
  const out: { file: string; sop: string }[] = [];
  for (let i = 1; i <= n; i++) {
    const file = path.join(dir, `s${seed}-${i}.dcm`);
    await writeFile(file, makeDicom({ seed, instanceNumber: i, modality: 'CT', ...size }));
    out.push({ file, sop: `1.2.826.0.1.3680043.10.1000.${seed}.1.1.${i}` });
  }
  return out;
}

/** Every instance is in the cloud exactly once, with the gateway's SHA-256. */
async function expectAllInCloud(cloud: Cloud, dataDir: string, sops: string[]) {
  const rows = queueRows(dataDir).filter((r) => sops.includes(r.sop_instance_uid));
  expect(rows).toHaveLength(sops.length); // nothing queued twice
  expect(rows.every((r) => r.state === 'verified')).toBe(true);
  const inCloud = await cloudLookup(cloud, sops);
  for (const r of rows) expect(inCloud.get(r.sop_instance_uid), r.sop_instance_uid).toBe(r.sha256);
  const indexed = await cloud.db.instance.findMany({ where: { sopInstanceUid: { in: sops } }, select: { sopInstanceUid: true, version: true } });
  expect(indexed).toHaveLength(sops.length); // nothing duplicated in the cloud
  expect(indexed.every((i) => i.version === 1)).toBe(true);
}

describe('gateway resilience', () => {
  const cloud = useCloud();

  it('kill -9 mid-upload, restart: resumes the same tus upload, nothing lost or duplicated', async () => {
    const dir = await tempDir('gw-kill-');
    // A slow link (256 KB/s) so the 4 MB instance is surely mid-upload when the power goes.
    const config = await writeGatewayConfig(dir, cloud.url, cloud, { upload: { bandwidth: { bytesPerSec: '256KB' }, chunkBytes: '256KiB', backoffBaseMs: 200, backoffMaxMs: 2000 } });
    let gw = await spawnGateway(config);
    const big = path.join(dir, 'big.dcm');
    await writeFile(big, makeDicom({ seed: 7001, modality: 'DX', rows: 1448, columns: 1448 }));
    const small = await fixtures(dir, 7002, 5, { rows: 64, columns: 64 });
    expect((await storescu(gw.dimsePort, [big, ...small.map((s) => s.file)], ['-xe'])).code).toBe(0);
    const inFlight = await waitFor(async () => {
      const s = (await gw.status()) as unknown as { uploads: { offset: number; size: number }[] };
      return s.uploads.find((u) => u.offset > 0 && u.offset < u.size && u.size > 3_000_000);
    });
    expect(inFlight.offset).toBeLessThan(inFlight.size);
    const urlBefore = uploadUrls(gw.dataDir);
    await gw.kill();

    gw = await spawnGateway(config);
    try {
      const sops = ['1.2.826.0.1.3680043.10.1000.7001.1.1.1', ...small.map((s) => s.sop)];
      await waitFor(async () => (await gw.status()).queue.verified === sops.length);
      await expectAllInCloud(cloud, gw.dataDir, sops);
      // The big instance finished on an upload created before the kill (resumed, not restarted).
      const bigUploads = await Promise.all(
        urlBefore.map(async (u) => {
          const res = await fetch(`${cloud.url}/api/receipts/${u.split('/').pop()}`, { headers: { authorization: cloud.practice.gatewayAuth } });
          return ((await res.json()) as { receipts: { sopInstanceUid: string }[] }).receipts.some((r) => r.sopInstanceUid === sops[0]);
        }),
      );
      expect(bigUploads).toContain(true);
    } finally {
      await gw.stop();
    }
  });

  it('cloud down: C-STOREs still succeed, the queue grows, and drains when the cloud is back', async () => {
    const dir = await tempDir('gw-outage-');
    const gw = await spawnGateway(await writeGatewayConfig(dir, cloud.url, cloud));
    try {
      await cloud.stop();
      const files = await fixtures(dir, 7100, 20, { rows: 128, columns: 128 });
      const r = await storescu(gw.dimsePort, files.map((f) => f.file), ['-xe']);
      expect(r.code, r.output).toBe(0);
      expect(r.output).not.toMatch(/Refused|Failed/i);
      const during = await gw.status();
      expect(during.queue.pendingInstances).toBe(20);
      expect(during.queue.verified).toBe(0);
      expect(during.studies).toEqual({ complete: 0, incomplete: 1 });
      await cloud.start();
      await waitFor(async () => (await gw.status()).queue.verified === 20);
      await expectAllInCloud(cloud, gw.dataDir, files.map((f) => f.sop));
    } finally {
      await cloud.start();
      await gw.stop();
    }
  });

  it('a chunk corrupted in transit is detected and re-sent; the cloud ends with identical bytes', async () => {
    const dir = await tempDir('gw-corrupt-');
    const proxy = await startCorruptingProxy({ host: '127.0.0.1', port: cloud.port }, 1);
    const gw = await spawnGateway(await writeGatewayConfig(dir, proxy.url, cloud));
    try {
      const file = path.join(dir, 'ct.dcm');
      await writeFile(file, makeDicom({ seed: 7200, modality: 'CT', rows: 512, columns: 512 }));
      expect((await storescu(gw.dimsePort, [file], ['-xe'])).code).toBe(0);
      await waitFor(async () => (await gw.status()).queue.verified === 1);
      expect(proxy.flipped()).toBe(1);
      const [row] = queueRows(gw.dataDir);
      expect(row!.attempts).toBe(2); // first upload refused (HASH_MISMATCH), second one verified
      await expectAllInCloud(cloud, gw.dataDir, ['1.2.826.0.1.3680043.10.1000.7200.1.1.1']);
      expect(sha256(await readFile(row!.path))).toBe(row!.sha256);
    } finally {
      await gw.stop();
      await proxy.close();
    }
  });
});
