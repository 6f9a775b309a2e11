import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO, openBrowser, type Session, signIn } from './support/browser';

/** Status of a same-origin request made by the page itself (its cookie, its CSRF header). */
const status = (s: Session, url: string, method = 'GET') =>
  s.page.evaluate(
    ([u, m]) => fetch(u!, { method: m, headers: { 'X-Requested-With': 'vetpacs', 'Content-Type': 'application/json' }, body: m === 'GET' ? undefined : '{"name":"x","role":"VET"}' }).then((r) => r.status),
    [url, method],
  );

describe('who sees what', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openBrowser(inject('baseUrl'));
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a read-only user cannot reach admin pages or APIs, nor upload', async () => {
    await signIn(s.page, DEMO.readOnly);
    await expect(s.page.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
    await expect(s.page.getByRole('link', { name: 'Upload' }).count()).resolves.toBe(0);
    await s.page.goto('/admin/users');
    await s.page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
    expect(await status(s, '/api/admin/users')).toBe(403);
    expect(await status(s, '/api/admin/tokens', 'POST')).toBe(403);
    expect(await status(s, '/api/admin/audit')).toBe(403);
    // Reading is what the role is for.
    expect(await status(s, '/api/studies')).toBe(200);
    await s.page.getByRole('button', { name: 'Sign out' }).click();
    await s.page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await status(s, '/api/studies')).toBe(401);
  });

  it("a user of another practice sees none of this practice's studies, by list, page, API or viewer", async () => {
    // Learn a real study UID of the demo practice as its vet first.
    await signIn(s.page, DEMO.vet);
    const uid = await s.page.locator('tbody tr[data-study-uid]').first().getAttribute('data-study-uid');
    expect(uid).toMatch(/^[0-9.]+$/);
    await s.page.getByRole('button', { name: 'Sign out' }).click();

    await signIn(s.page, inject('otherUser'));
    await expect(s.page.getByTestId('practice-name').textContent()).resolves.toBe('Elsewhere Animal Clinic');
    await s.page.getByText('No studies yet').waitFor();
    await s.page.goto(`/studies/${uid}`);
    await s.page.getByRole('alert').filter({ hasText: 'study not found' }).waitFor();
    expect(await status(s, `/api/studies/${uid}`)).toBe(404);
    expect(await status(s, `/api/studies/${uid}/download`)).toBe(404);
    expect(await status(s, `/dicomweb/studies/${uid}/series`)).toBe(404);
    const qido = await s.page.evaluate(
      (u) => fetch(`/dicomweb/studies?StudyInstanceUID=${u}`, { headers: { Accept: 'application/dicom+json' } }).then(async (r) => ({ status: r.status, body: await r.text() })),
      uid,
    );
    expect(qido.status === 204 || qido.body.trim() === '[]').toBe(true);
  });
});
