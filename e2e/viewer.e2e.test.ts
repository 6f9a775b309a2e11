import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO, openBrowser, type Session, shot, signIn } from './support/browser';

/** Non-black pixels per cornerstone canvas (a viewport that shows an image has many). */
async function litPerCanvas(s: Session): Promise<number[]> {
  return s.page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>('canvas.cornerstone-canvas')].map((c) => {
      const ctx = c.getContext('2d');
      if (!ctx || !c.width || !c.height) return 0;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! + d[i + 1]! + d[i + 2]! > 30) n++;
      return n;
    }),
  );
}
const litPixels = async (s: Session) => Math.max(0, ...(await litPerCanvas(s)));

describe('a vet finds a study and reads it in the viewer', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openBrowser(inject('baseUrl'));
  });
  afterAll(async () => {
    await s?.close();
  });

  it('signs in, finds the patient by owner surname, opens the study page', async () => {
    const { page } = s;
    await signIn(page, DEMO.vet);
    await expect(page.getByTestId('practice-name').textContent()).resolves.toBe(DEMO.practiceName);
    await page.getByLabel('Owner surname').fill('smith');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/owner=smith/);
    const rows = page.locator('tbody tr[data-study-uid]');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await expect(rows.first().locator('.pet-name').textContent()).resolves.toBe('Rex');
    await shot(page, 'worklist');

    // The URL holds the filters: reloading keeps them.
    await page.reload();
    await expect(page.getByLabel('Owner surname').inputValue()).resolves.toBe('smith');

    await rows.first().locator('.pet-name').click();
    await page.getByRole('heading', { level: 1, name: /Rex/ }).waitFor();
    await page.getByRole('heading', { name: 'Series' }).waitFor();
    await expect(page.locator('.series').count()).resolves.toBe(3);
    await expect(page.getByRole('heading', { name: /Other studies of Rex/ })).toBeDefined();
    await page.locator('.priors li').first().waitFor();
    await shot(page, 'study-page');
    expect(s.errors).toEqual([]);
  });

  it('opens the study in OHIF, shows real pixels, and draws a length measurement', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Open in viewer' }).click();
    await page.waitForURL(/\/ohif\/viewer\?StudyInstanceUIDs=/);
    await page.locator('canvas.cornerstone-canvas').first().waitFor({ timeout: 60_000 });
    await expect.poll(() => litPixels(s), { timeout: 60_000, interval: 500 }).toBeGreaterThan(1000);
    await shot(page, 'viewer');

    const length = page.locator('[data-cy="Length"], [data-cy="MeasurementTools-split-button-primary"], button[aria-label="Length"]').first();
    await length.click();
    const canvas = page.locator('canvas.cornerstone-canvas').first();
    const box = (await canvas.boundingBox())!;
    const x0 = box.x + box.width * 0.35;
    const y0 = box.y + box.height * 0.4;
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(x0 + i * box.width * 0.03, y0 + i * box.height * 0.02);
    await page.mouse.up();
    // Cornerstone draws annotations into the viewport's SVG layer; the label carries the length in mm.
    await expect.poll(() => page.locator('svg.svg-layer line, svg.svg-layer polyline').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('svg.svg-layer text').allTextContents().then((t) => t.join(' ')), { timeout: 15_000 }).toMatch(/\d+(\.\d+)?\s*mm/);
    // OHIF asks whether to track the series' measurements: yes, so the panel lists it.
    const yes = page.getByRole('button', { name: 'Yes', exact: true });
    if (await yes.isVisible().catch(() => false)) await yes.click();
    await shot(page, 'viewer-length');
  });

  it('opens the current study and its prior side by side', async () => {
    const { page } = s;
    await page.goto('/?owner=smith');
    const rows = page.locator('tbody tr[data-study-uid]');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    await rows.first().locator('.pet-name').click();
    await page.getByRole('link', { name: 'Compare side by side' }).first().click();
    await page.waitForURL(/hangingProtocolId=/);
    // Two viewports (current left, prior right), each with an image.
    await expect.poll(async () => (await litPerCanvas(s)).filter((n) => n > 1000).length, { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(2);
    // Both viewports hold the same animal (OHIF says "Multiple Patients" otherwise).
    await expect(page.getByText('Multiple Patients').count()).resolves.toBe(0);
    await shot(page, 'viewer-compare');
  });
});
