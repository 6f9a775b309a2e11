import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO, openBrowser, type Session, shot, signIn } from './support/browser';

const FILES = 6;

describe('browser upload of a referral folder', () => {
  let s: Session;
  let dir: string;
  beforeAll(async () => {
    s = await openBrowser(inject('baseUrl'));
    // A "CD" as referrals send it: images in nested folders, a DICOMDIR and a text file beside them.
    dir = mkdtempSync(path.join(tmpdir(), 'vetpacs-referral-'));
    const images = path.join(dir, 'REFERRAL', 'DICOM', 'S1');
    mkdirSync(images, { recursive: true });
    for (let i = 1; i <= FILES; i++) {
      const bytes = makeDicom({
        seed: 9100,
        studyInstanceUid: '1.2.826.0.1.3680043.10.1000.9100',
        seriesInstanceUid: '1.2.826.0.1.3680043.10.1000.9100.1',
        sopInstanceUid: `1.2.826.0.1.3680043.10.1000.9100.1.${i}`,
        instanceNumber: i,
        patientName: 'Okafor^Biscuit',
        responsiblePerson: 'Okafor^Ngozi',
        patientId: 'REF-77',
        species: 'Canine',
        breed: 'Beagle',
        modality: 'CR',
        studyDescription: 'Referral: stifle',
        rows: 128,
        columns: 128,
      });
      writeFileSync(path.join(images, `IM${i}`), bytes);
    }
    writeFileSync(path.join(dir, 'REFERRAL', 'DICOMDIR'), Buffer.alloc(300));
    writeFileSync(path.join(dir, 'REFERRAL', 'README.TXT'), 'Viewer software for Windows\n');
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads every image with progress to 100 % and a receipt each, skipping non-images', async () => {
    const { page } = s;
    await signIn(page, DEMO.vet);
    await page.getByRole('link', { name: 'Upload' }).click();
    await page.getByRole('heading', { name: 'Upload images' }).waitFor();
    await page.getByTestId('folder-input').setInputFiles(path.join(dir, 'REFERRAL'));
    await expect.poll(() => page.getByTestId('overall-percent').textContent(), { timeout: 60_000 }).toBe('100%');
    await expect.poll(() => page.getByTestId('receipt-summary').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`Receipts: ${FILES} stored`));
    await expect(page.locator('.upload-item[data-state="done"]').count()).resolves.toBe(FILES);
    await expect(page.getByRole('heading', { name: /Skipped 2 files/ }).count()).resolves.toBe(1);
    await shot(page, 'upload');
    expect(s.errors).toEqual([]);
  });

  it('shows the new study in the worklist with its thumbnail', async () => {
    const { page } = s;
    await page.goto('/?owner=okafor');
    const row = page.locator('tbody tr[data-study-uid="1.2.826.0.1.3680043.10.1000.9100"]');
    await row.waitFor({ timeout: 15_000 });
    await expect(row.locator('td[data-label="Images"]').textContent()).resolves.toBe(String(FILES));
    // The worker renders thumbnails asynchronously: reload until the picture is there.
    await expect
      .poll(
        async () => {
          await page.reload();
          await row.waitFor();
          return row.locator('img.thumb').count();
        },
        { timeout: 90_000, interval: 2_000 },
      )
      .toBe(1);
    // Loaded, not only in the page: decode() waits for a picture still loading (a busy machine) and
    // fails for one that cannot be shown; in view, as the thumbnail loads lazily.
    await row.locator('img.thumb').scrollIntoViewIfNeeded();
    const loaded = await row.locator('img.thumb').evaluate((img: HTMLImageElement) => img.decode().then(
      () => img.naturalWidth > 0,
      () => false,
    ));
    expect(loaded).toBe(true);
    await shot(page, 'worklist-after-upload');
  });
});
