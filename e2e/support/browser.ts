/**
 * Chromium (Debian's, /usr/bin/chromium) through playwright-core, with the launch flags that work
 * headless on this kind of machine (WebGL2 through SwiftShader, which OHIF needs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');

export const DEMO = {
  vet: { email: 'vet@riverside.example', password: 'riverside-demo' },
  admin: { email: 'admin@riverside.example', password: 'riverside-demo' },
  readOnly: { email: 'reception@riverside.example', password: 'riverside-demo' },
  practiceName: 'Riverside Vets',
};

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen on portal pages. */
  errors: string[];
  close(): Promise<void>;
}

/** A fresh browser profile with one page; collects console errors. */
export async function openBrowser(baseUrl: string, viewport = { width: 1366, height: 900 }): Promise<Session> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'vetpacs-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
    baseURL: baseUrl,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  // OHIF may ask before leaving a viewer with unsaved measurements: leave.
  page.on('dialog', (d) => void d.accept().catch(() => undefined));
  page.on('console', (m) => {
    if (m.type() === 'error' && !page.url().includes('/ohif/')) errors.push(m.text());
  });
  page.on('pageerror', (e) => {
    if (!page.url().includes('/ohif/')) errors.push(e.message);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the portal's form and waits for the worklist. */
export async function signIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.goto('/');
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /^Studies/ }).waitFor();
}

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });
