import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { el, makeDicom } from '@vetpacs/dicom/testing';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../server/test/process';
import { cloudLookup, spawnGateway, storescu, tempDir, useCloud, waitFor, writeGatewayConfig } from './harness';

describe('gateway refusals', () => {
  const cloud = useCloud();

  it('an instance the cloud rejects is kept locally and reported with the cloud’s reason', async () => {
    const dir = await tempDir('gw-reject-');
    const drop = path.join(dir, 'drop');
    const gw = await spawnGateway(await writeGatewayConfig(dir, cloud.url, cloud, { importer: { dropDir: drop, scanIntervalMs: 300 } }));
    try {
      // Over DIMSE: a StudyInstanceUID with an empty component, which the cloud refuses (PS3.5 §9.1).
      const bad = path.join(dir, 'bad.dcm');
      await writeFile(bad, makeDicom({ seed: 7300, extra: [el('StudyInstanceUID', 'UI', '1.2..3')] }));
      const r = await storescu(gw.dimsePort, [bad], ['-xe']);
      expect(r.code, r.output).toBe(0);
      // Through the drop folder: one good file, one not DICOM at all.
      await mkdir(drop, { recursive: true });
      await writeFile(path.join(drop, 'good.dcm'), makeDicom({ seed: 7301 }));
      await writeFile(path.join(drop, 'notes.txt'), 'Dear owner, here are the X-rays of Rex.\n');

      const s = await waitFor(async () => {
        const st = await gw.status();
        return st.queue.failedPermanent === 1 && st.queue.verified === 1 ? st : undefined;
      });
      const failure = s.permanentFailures[0]!;
      expect(failure.sopInstanceUid).toBe('1.2.826.0.1.3680043.10.1000.7300.1.1.1');
      expect(failure.code).toBe('INVALID_UID');
      expect(failure.reason).toMatch(/UID/);
      // Kept: the spooled copy is still on disk, and it never reached the cloud.
      const files = await readdir(path.join(gw.dataDir, 'spool', 'files'), { recursive: true });
      expect(files.filter((f) => f.endsWith('.dcm'))).toHaveLength(2);
      expect((await cloudLookup(cloud, [failure.sopInstanceUid])).size).toBe(0);
      // The good drop-folder file is in the cloud and gone from the folder; the text file was set aside.
      expect((await cloudLookup(cloud, ['1.2.826.0.1.3680043.10.1000.7301.1.1.1'])).size).toBe(1);
      await waitFor(async () => (await readdir(drop)).every((f) => f === 'rejected'));
      await access(path.join(drop, 'rejected', 'notes.txt'));
    } finally {
      await gw.stop();
    }
  });

  it('disk budget reached: C-STORE answered "out of resources", nothing accepted is lost', async () => {
    const dir = await tempDir('gw-budget-');
    const files: string[] = [];
    for (let i = 1; i <= 5; i++) {
      files.push(path.join(dir, `b${i}.dcm`));
      await writeFile(files.at(-1)!, makeDicom({ seed: 7400, instanceNumber: i, rows: 128, columns: 128 })); // ~34 KB each
    }
    // First run: the cloud is unreachable (nothing drains) and the budget holds three instances.
    const deadCloud = `http://127.0.0.1:${await freePort()}`;
    const budget = { storage: { budgetBytes: '110KB', minFreeBytes: '1MB' }, retention: { keepDays: 7, cacheBytes: '100KB' } };
    let gw = await spawnGateway(await writeGatewayConfig(dir, deadCloud, cloud, budget));
    try {
      // -nh: keep sending after a refusal (storescu halts on the first one by default).
      const r = await storescu(gw.dimsePort, files, ['-xe', '-nh']);
      const refused = r.output.match(/Refused: OutOfResources|0xa700/gi) ?? [];
      expect(refused.length, r.output).toBeGreaterThanOrEqual(2);
      expect((await gw.status()).queue.pendingInstances).toBe(3);
    } finally {
      await gw.stop();
    }

    // Second run with the cloud reachable: what was accepted uploads; the modality re-sends the rest.
    gw = await spawnGateway(await writeGatewayConfig(dir, cloud.url, cloud, budget));
    try {
      await waitFor(async () => (await gw.status()).queue.verified === 3);
      const again = await storescu(gw.dimsePort, files, ['-xe']);
      expect(again.output).not.toMatch(/Refused|Failed/i);
      await waitFor(async () => (await gw.status()).queue.verified === 5);
      const sops = files.map((_, i) => `1.2.826.0.1.3680043.10.1000.7400.1.1.${i + 1}`);
      expect((await cloudLookup(cloud, sops)).size).toBe(5);
    } finally {
      await gw.stop();
    }
  });
});
